"""Helpers for the tests of the built website: where it is, which pages the table of contents lists, the config."""

from __future__ import annotations

import os
import re
from html.parser import HTMLParser
from pathlib import Path

import yaml
from conftest import REPO, in_ci, skip_or_fail  # noqa: F401 - re-exported for the site tests

CHAPTER = re.compile(r"book/ch(\d\d)_(?:(\d)_)?[a-z][a-z0-9_]*")  # a chapter, or a section page: ch06_2_...


def site_dir() -> Path:
    """The built HTML: $LMTUTORIAL_SITE, else _build/html (what `make book` writes)."""
    site = Path(os.environ.get("LMTUTORIAL_SITE", REPO / "_build" / "html"))
    if not (site / "book" / "index.html").exists():
        skip_or_fail(f"needs the built website at {site}: run `make book` first (`make test` does)")
    return site


def config() -> dict:
    return yaml.safe_load((REPO / "_config.yml").read_text(encoding="utf-8"))


def toc_files() -> list[str]:
    """Every page of the table of contents in reading order, sections after their chapter, as paths without suffix
    (``book/ch01_background``)."""
    toc = yaml.safe_load((REPO / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]

    def add(entries: list[dict]) -> None:
        for entry in entries:
            files.append(entry["file"])
            add(entry.get("sections", []))

    for part in toc.get("parts", []):
        add(part.get("chapters", []))
    return files


def chapter_files() -> list[str]:
    return [name for name in toc_files() if CHAPTER.fullmatch(name)]


def chapter_number(name: str) -> str:
    """The article's section a page follows: ``"3"`` for ``book/ch03_algorithms``, ``"6.2"`` for a section page."""
    match = CHAPTER.fullmatch(name)
    return str(int(match.group(1))) + (f".{match.group(2)}" if match.group(2) else "")


def colab_url(name: str) -> str:
    """The Colab launch link a chapter page must carry: its .ipynb on the configured repository and branch."""
    conf = config()
    repository = conf["repository"]["url"].removeprefix("https://github.com/").strip("/")
    colab = conf["launch_buttons"]["colab_url"].rstrip("/")
    return f"{colab}/github/{repository}/blob/{conf['repository']['branch']}/{name}.ipynb"


class Page(HTMLParser):
    """The parts of an HTML page the checks need: ids, and every URL with the tag and attribute that holds it."""

    URL_ATTRIBUTES = {"href", "src", "data", "poster"}

    def __init__(self, path: Path):
        super().__init__(convert_charrefs=True)
        self.path = path
        self.ids: set[str] = set()
        self.urls: list[tuple[str, dict[str, str], str]] = []  # (tag, attributes, url)
        self.inline_scripts: list[str] = []
        self._in_script = False
        self.feed(path.read_text(encoding="utf-8"))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {key: value or "" for key, value in attrs}
        if "id" in attributes:
            self.ids.add(attributes["id"])
        if tag == "a" and "name" in attributes:
            self.ids.add(attributes["name"])
        for key in self.URL_ATTRIBUTES & attributes.keys():
            self.urls.append((tag, attributes, attributes[key]))
        if "srcset" in attributes:
            self.urls += [(tag, attributes, part.split()[0]) for part in attributes["srcset"].split(",") if part.strip()]
        self._in_script = tag == "script" and "src" not in attributes

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.inline_scripts.append(data)


def html_pages(site: Path) -> list[Path]:
    return sorted(path for path in site.rglob("*.html") if "_static" not in path.relative_to(site).parts)
