"""Every page of the built website, opened in a real browser (Debian's Chromium driven by Playwright).

For each page of the table of contents it checks what a reader sees at a 1280-pixel-wide window: math typeset by
MathJax (no raw ``$$``), no code cell or output that scrolls sideways, every mermaid diagram an SVG, every image
loaded, no JavaScript error in the console, only requests to the local server (the site renders offline), and on
chapter pages the Colab link to that chapter's notebook. A screenshot of
every page goes to ``test-artifacts/site/``. The search page is checked to find a chapter.

Readers without Chromium or Playwright get a skip with the reason; under CI=true a missing browser is a failure.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from builtsite import REPO, chapter_files, colab_url, site_dir, skip_or_fail, toc_files

pytestmark = pytest.mark.site  # needs the built website: make test runs it after the build

ARTIFACTS = REPO / "test-artifacts" / "site"
# The flags mermaid-cli's Chromium gets (_ext/puppeteer-config.json, the one list), plus one for small /dev/shm.
CHROMIUM_FLAGS = [*json.loads((REPO / "_ext" / "puppeteer-config.json").read_text(encoding="utf-8"))["args"],
                  "--disable-dev-shm-usage"]
LOCAL_SCHEMES = {"data", "blob", "about", "file"}
MERMAID_SOURCE = re.compile(r"^(?:```|:::)\{?mermaid\}?", re.MULTILINE)


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        skip_or_fail("the browser test needs Debian's chromium (`apt-get install chromium`) or $CHROMIUM")
    return path


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the signature of the base class
        pass


def serve(artifacts: Path):
    """The built site over http on 127.0.0.1 (a random free port), from a thread; ``artifacts`` emptied first."""
    site = site_dir()
    shutil.rmtree(artifacts, ignore_errors=True)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(site)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def server():
    yield from serve(ARTIFACTS)


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("the browser test needs playwright (`pip install playwright`; it drives the system chromium)")
    executable = chromium_path()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


class Visit:
    """One page opened in a fresh browser context, with its console errors and every request it made."""

    def __init__(self, browser, url: str):
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", lambda message: message.type == "error" and self.errors.append(
            f"console: {message.text} ({message.location.get('url', '')})"))
        self.page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))
        self.page.on("requestfailed", lambda request: self.errors.append(
            f"request failed: {request.url} ({request.failure})"))
        self.page.goto(url, wait_until="load")

    def _route(self, route) -> None:
        """Record every request; let only the local server answer, so the test itself never touches the network."""
        url = route.request.url
        self.requests.append(url)
        parts = urlsplit(url)
        if parts.scheme in LOCAL_SCHEMES or parts.hostname == "127.0.0.1":
            route.continue_()
        else:
            route.abort()

    def close(self) -> None:
        self.context.close()


def wait_for_mathjax(page) -> None:
    page.wait_for_function("() => window.MathJax === undefined || (window.MathJax.startup !== undefined"
                           " && window.MathJax.startup.promise !== undefined)", timeout=20_000)
    page.evaluate("() => window.MathJax === undefined ? null : window.MathJax.startup.promise.then(() => null)")


def wait_for_images_and_diagrams(page) -> None:
    page.evaluate("""async () => {
        const images = [...document.images];
        images.forEach(image => { image.loading = 'eager'; });
        await Promise.all(images.map(image => image.complete ? null
            : new Promise(done => { image.onload = image.onerror = done; })));
    }""")
    page.wait_for_function("""() => [...document.querySelectorAll('object[data*="mermaid-"]')].every(
        object => object.contentDocument && object.contentDocument.documentElement)""", timeout=20_000)


# Code and outputs that scroll sideways (issue 14: none may at a 1280-pixel window): a code block or output whose
# content is wider than its box, or a table or image that reaches past the text column.
SIDEWAYS = """() => {
    const describe = (node, why) => {
        const text = (node.innerText || node.getAttribute('src') || '').trim().split('\\n')[0].slice(0, 70);
        return `${node.tagName.toLowerCase()}.${[...node.classList].join('.')}: ${why}: ${text}`;
    };
    const found = [];
    const boxes = 'div.cell_input pre, .highlight pre, .cell_output pre, .cell_output, .cell_output table';
    for (const node of document.querySelectorAll(boxes)) {
        if (node.clientWidth > 0 && node.scrollWidth > node.clientWidth + 1) {
            found.push(describe(node, `scrolls (${node.scrollWidth} > ${node.clientWidth} px)`));
        }
    }
    const article = document.querySelector('main article') || document.querySelector('main');
    const right = article.getBoundingClientRect().right;
    for (const node of article.querySelectorAll('.cell_output img, .cell_output table, article table')) {
        const box = node.getBoundingClientRect();
        if (box.width > 0 && box.right > right + 1) {
            found.push(describe(node, `reaches past the column (${Math.round(box.right)} > ${Math.round(right)} px)`));
        }
    }
    return found;
}"""

PAGE_STATE = """() => {
    const SIDEWAYS = """ + SIDEWAYS + """;
    const visible = document.querySelector('main') || document.body;
    const copy = visible.cloneNode(true);
    copy.querySelectorAll('pre, code, script, style, .highlight, mjx-assistive-mml').forEach(node => node.remove());
    return {
        text: copy.textContent,
        math: [...document.querySelectorAll('.math')].map(node => ({
            source: node.textContent.slice(0, 80),
            typeset: node.querySelector('mjx-container') !== null})),
        rawMermaid: document.querySelectorAll('pre.mermaid, div.mermaid').length,
        diagrams: [...document.querySelectorAll('object[data*="mermaid-"]')].map(object => ({
            data: object.getAttribute('data'),
            root: object.contentDocument && object.contentDocument.documentElement
                  ? object.contentDocument.documentElement.tagName.toLowerCase() : null,
            width: object.getBoundingClientRect().width})),
        images: [...document.images].map(image => ({
            src: image.getAttribute('src'), width: image.naturalWidth, plot: image.closest('.cell_output') !== null})),
        colab: [...document.querySelectorAll('a[href*="colab.research.google.com"]')].map(a => a.href),
        h1: (document.querySelector('main h1') || {}).textContent || '',
        sideways: SIDEWAYS(),
    };
}"""


def rendered_state(page) -> dict:
    """What a reader sees (``PAGE_STATE``), once MathJax, the images and the diagrams are done."""
    wait_for_mathjax(page)
    wait_for_images_and_diagrams(page)
    return page.evaluate(PAGE_STATE)


def page_ids() -> list[str]:
    try:
        return toc_files()
    except FileNotFoundError:
        return []


@pytest.mark.parametrize("name", page_ids())
def test_page_renders_in_the_browser(browser, server, name: str):
    visit = Visit(browser, f"{server}/{name}.html")
    try:
        page = visit.page
        state = rendered_state(page)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name.replace('/', '__')}.png"), full_page=True)
    finally:
        visit.close()

    remote = [url for url in visit.requests
              if urlsplit(url).scheme not in LOCAL_SCHEMES and urlsplit(url).hostname != "127.0.0.1"]
    assert not remote, f"{name} requested from the network: {remote}"
    assert not visit.errors, f"{name}: JavaScript errors or failed requests: {visit.errors}"

    untypeset = [math["source"] for math in state["math"] if not math["typeset"]]
    assert not untypeset, f"{name}: math left untypeset by MathJax: {untypeset}"
    for raw in ("$$", "\\[", "\\("):
        assert raw not in state["text"], f"{name}: raw math delimiter {raw!r} is visible"

    source = (REPO / f"{name}.md").read_text(encoding="utf-8")
    assert state["rawMermaid"] == 0, f"{name}: mermaid source left unrendered"
    assert len(state["diagrams"]) == len(MERMAID_SOURCE.findall(source)), (
        f"{name}: {len(MERMAID_SOURCE.findall(source))} mermaid blocks in the source, "
        f"{len(state['diagrams'])} diagrams on the page")
    for diagram in state["diagrams"]:
        assert diagram["root"] == "svg" and diagram["width"] > 0, f"{name}: diagram is not a shown SVG: {diagram}"

    assert not state["sideways"], (f"{name} at 1280 px: code or output that scrolls sideways (wrap code lines at "
                                   f"88 characters; print shorter lines or tables): {state['sideways']}")

    broken = [image["src"] for image in state["images"] if image["width"] == 0]
    assert not broken, f"{name}: images that did not load: {broken}"
    if "plt.show()" in source:
        assert any(image["plot"] for image in state["images"]), f"{name} calls plt.show() but shows no plot"

    if name in chapter_files():
        assert colab_url(name) in state["colab"], f"{name}: Colab link {colab_url(name)} missing; found {state['colab']}"
        assert (REPO / f"{name}.ipynb").exists(), f"the Colab link of {name} points at a notebook that is not committed"


def test_search_finds_a_chapter(browser, server):
    chapters = chapter_files()
    if not chapters:
        pytest.skip("no chapter in _toc.yml yet")
    first = chapters[0]
    query = re.search(r"^# (.+)$", (REPO / f"{first}.md").read_text(encoding="utf-8"), re.MULTILINE).group(1)
    visit = Visit(browser, f"{server}/search.html?q={query}")
    try:
        visit.page.wait_for_function(
            "() => document.querySelectorAll('#search-results li').length > 0", timeout=20_000)
        links = visit.page.eval_on_selector_all("#search-results li a", "links => links.map(a => a.href)")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        visit.page.screenshot(path=str(ARTIFACTS / "search.png"))
    finally:
        visit.close()
    assert any(f"{first}.html" in link for link in links), f"searching {query!r} did not find {first}: {links}"
    assert not visit.errors, f"search page: {visit.errors}"


def test_chapter_renders_from_a_file_url(browser):
    """Opened straight from disk (file://, what `make book` prints), math is still typeset by the site's MathJax."""
    chapters = chapter_files()
    if not chapters:
        pytest.skip("no chapter in _toc.yml yet")
    page_file = site_dir() / f"{chapters[0]}.html"
    visit = Visit(browser, page_file.as_uri())
    try:
        wait_for_mathjax(visit.page)
        state = visit.page.evaluate(PAGE_STATE)
    finally:
        visit.close()
    assert all(math["typeset"] for math in state["math"]), f"{chapters[0]} from file://: math left untypeset"
    assert not visit.errors, f"{chapters[0]} from file://: {visit.errors}"
