"""Where things are: the repository's folders, the website and GitHub addresses, and the notebook pages."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
BOOK = REPO / "book"
GLUE_DIR = REPO / "_build" / "jupyter_execute" / "book"


@cache
def repository() -> tuple[str, str]:
    """("owner/name", branch) of the repository configured in _config.yml."""
    config = yaml.safe_load((REPO / "_config.yml").read_text(encoding="utf-8"))["repository"]
    return config["url"].removeprefix("https://github.com/").strip("/"), config["branch"]


def site_url() -> str:
    """Where the website is published: the GitHub Pages address of the configured repository."""
    owner, name = repository()[0].split("/")
    return f"https://{owner.lower()}.github.io/{name}/"


def source_url(path: str) -> str:
    return f"https://github.com/{repository()[0]}/blob/{repository()[1]}/{path}"


def raw_url(path: str) -> str:
    return f"https://raw.githubusercontent.com/{repository()[0]}/{repository()[1]}/{path}"


def is_notebook_page(md: Path) -> bool:
    """A page with a MyST notebook header (``kernelspec``): the pages that get a Colab button."""
    text = md.read_text(encoding="utf-8")
    if not text.startswith("---\n"):
        return False
    header = yaml.safe_load(text.split("\n---\n", 1)[0].removeprefix("---\n")) or {}
    return "kernelspec" in header


# The translated editions (locales/<language>/), each with its own Colab notebooks: language -> the folder of the
# English website that holds its website (tools/i18n.py builds it there; _ext/language_switch.py links to it).
EDITIONS = {"zh_CN": "zh"}


def edition_notebooks(language: str) -> Path:
    """Where the Colab notebooks of the edition ``language`` are committed (its website's Colab buttons open them):
    ``locales/<language>/notebooks``, with ``book/<page>.ipynb`` under it as the English ones under the root."""
    return REPO / "locales" / language / "notebooks"


def edition_notebook(md: Path, language: str) -> Path:
    """The Colab notebook of page ``md`` in the edition ``language``."""
    return edition_notebooks(language) / "book" / f"{md.stem}.ipynb"


def notebook_pages() -> list[Path]:
    return sorted(md for md in BOOK.glob("*.md") if is_notebook_page(md))
