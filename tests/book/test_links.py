"""The built website: every internal link and #anchor resolves, and no page loads anything from the network.

Runs on the site `make book` wrote (or $LMTUTORIAL_SITE); `make test` builds it first. The browser test
(test_site.py) checks the same offline promise at run time by recording every request.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from builtsite import Page, html_pages, site_dir, toc_files

pytestmark = pytest.mark.site  # needs the built website: make test runs it after the build

EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)  # http:, https:, mailto:, data:, //host, ...
# Tags and link relations whose URL the browser fetches while showing the page (an <a href> is only followed on click).
LOADING_TAGS = {"script", "img", "object", "iframe", "embed", "source", "video", "audio", "track", "input"}
LOADING_RELS = {"stylesheet", "preload", "modulepreload", "prefetch", "icon", "shortcut", "apple-touch-icon",
                "manifest", "preconnect", "dns-prefetch"}
REMOTE_IN_CODE = re.compile(r"""["'`(]\s*((?:https?:)?//[^"'`)\s]+\.(?:m?js|css|woff2?|ttf|otf|svg|png|json))""")


@cache
def parsed(path: Path) -> Page:
    return Page(path)


def pages() -> list[Path]:
    return html_pages(site_dir())


def page_urls() -> Iterator[tuple[Path, Page, str, dict[str, str], str]]:
    """Every URL of every page: (path, parsed page, tag, attributes, url)."""
    for path in pages():
        page = parsed(path)
        for tag, attributes, url in page.urls:
            yield path, page, tag, attributes, url


def test_site_has_every_toc_page():
    site = site_dir()
    missing = [name for name in toc_files() if not (site / f"{name}.html").exists()]
    assert not missing, f"pages of _toc.yml missing from the built site: {missing}"


def test_internal_links_resolve():
    site = site_dir()
    broken = []
    for path, _page, tag, _attributes, url in page_urls():
        if not url or EXTERNAL.match(url):
            continue
        parts = urlsplit(url)
        target = path if not parts.path else (path.parent / unquote(parts.path)).resolve()
        if target.is_dir():
            target = target / "index.html"
        where = f"{path.relative_to(site)}: <{tag}> {url}"
        if not target.exists():
            broken.append(f"{where} (no file {target})")
        elif parts.fragment and target.suffix == ".html" and unquote(parts.fragment) not in parsed(target).ids:
            broken.append(f"{where} (no id #{parts.fragment} in {target.relative_to(site)})")
    assert not broken, f"{len(broken)} broken internal links:\n" + "\n".join(broken[:50])


def test_no_page_loads_anything_from_the_network():
    site = site_dir()
    remote = []
    for path, _page, tag, attributes, url in page_urls():
        rels = set(attributes.get("rel", "").lower().split())
        loads = tag in LOADING_TAGS or (tag == "link" and rels & LOADING_RELS)
        if loads and EXTERNAL.match(url) and not url.startswith("data:"):
            remote.append(f"{path.relative_to(site)}: <{tag}> {url}")
    for path in pages():
        for script in parsed(path).inline_scripts:
            remote += [f"{path.relative_to(site)}: inline script loads {url}" for url in REMOTE_IN_CODE.findall(script)]
    assert not remote, "the site must render offline, but pages load:\n" + "\n".join(sorted(set(remote))[:50])


def test_no_stylesheet_imports_from_the_network():
    site = site_dir()
    remote = []
    for css in sorted((site / "_static").rglob("*.css")):
        text = css.read_text(encoding="utf-8", errors="replace")
        for url in re.findall(r"""(?:url\(\s*|@import\s+)["']?((?:https?:)?//[^"')\s]+)""", text):
            remote.append(f"{css.relative_to(site)}: {url}")
    assert not remote, "stylesheets fetch from the network:\n" + "\n".join(remote[:50])


@pytest.mark.parametrize("asset", ["_static/mathjax/tex-chtml.js", "_static/mathjax/output/chtml/fonts/woff-v2"])
def test_mathjax_is_served_by_the_site(asset: str):
    assert (site_dir() / asset).exists(), f"{asset} is missing: MathJax must be copied into the site (_ext/offline_site.py)"
