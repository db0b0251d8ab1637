"""Every page of the Chinese edition (``_build/html/zh``, ``tools/i18n.py build``), opened in Chromium.

For each page of the table of contents: the page is Chinese (``lang="zh-CN"`` and Chinese text in its body), its
Chinese text is drawn with a CJK font that is installed (Chromium reports, per text node, the fonts that drew its
glyphs: none may come from a font without Chinese, which would show empty boxes), MathJax typesets every formula,
every diagram is an SVG, every image loads, there is no JavaScript error and no request leaves the local server,
and the language switch leads to the same page of the English edition and back.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import pytest
from builtsite import REPO, site_dir, skip_or_fail, toc_files
from test_site import LOCAL_SCHEMES, MERMAID_SOURCE, Visit, browser, rendered_state, serve  # noqa: F401

pytestmark = pytest.mark.site

ARTIFACTS = REPO / "test-artifacts" / "site-zh"
CHINESE = re.compile(r"[\u4e00-\u9fff]")
SWITCH = "a.btn-language-switch-button"
# The first paragraphs of the article with Chinese text, and the fonts Chromium used for each (DevTools protocol).
FONTS = """async () => [...document.querySelectorAll('main p')]
    .filter(p => /[\\u4e00-\\u9fff]/.test(p.textContent)).slice(0, 3).map((p, i) => {
        p.setAttribute('data-font-probe', String(i)); return i; })"""


def zh_site():
    site = site_dir() / "zh"
    if not (site / "book" / "index.html").exists():
        skip_or_fail(f"needs the Chinese edition at {site}: run `make book` (it builds both editions)")
    return site


@pytest.fixture(scope="module")
def server():
    """The English site (with the Chinese edition in zh/) over http on 127.0.0.1."""
    zh_site()
    yield from serve(ARTIFACTS)


def glyph_fonts(page) -> list[dict]:
    """For up to three Chinese paragraphs: the platform fonts that drew their glyphs (family, glyph count)."""
    probes = page.evaluate(FONTS)
    session = page.context.new_cdp_session(page)
    session.send("DOM.enable")
    session.send("CSS.enable")
    root = session.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    found = []
    for probe in probes:
        node = session.send("DOM.querySelector", {"nodeId": root, "selector": f'[data-font-probe="{probe}"]'})
        fonts = session.send("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})["fonts"]
        found.append([{"family": font["familyName"], "glyphs": font["glyphCount"]} for font in fonts])
    session.detach()
    return found


@pytest.mark.parametrize("name", toc_files())
def test_chinese_page_renders_in_the_browser(browser, server, name: str):  # noqa: F811 - the imported fixture
    visit = Visit(browser, f"{server}/zh/{name}.html")
    try:
        page = visit.page
        state = rendered_state(page)
        lang = page.evaluate("() => document.documentElement.lang")
        switch = page.get_attribute(SWITCH, "href")
        fonts = glyph_fonts(page)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name.replace('/', '__')}.png"))  # the top: the English test has all
    finally:
        visit.close()

    assert lang.lower().startswith("zh"), f"zh/{name}: <html lang={lang!r}>, expected Chinese"
    chinese = len(CHINESE.findall(state["text"]))
    assert chinese >= 20, f"zh/{name}: only {chinese} Chinese characters in the page body"
    assert fonts, f"zh/{name}: no paragraph with Chinese text"
    for paragraph in fonts:
        cjk = [font for font in paragraph if "CJK" in font["family"] and font["glyphs"] > 0]
        assert cjk, f"zh/{name}: Chinese text drawn without a CJK font (empty boxes): {paragraph}"

    remote = [url for url in visit.requests
              if urlsplit(url).scheme not in LOCAL_SCHEMES and urlsplit(url).hostname != "127.0.0.1"]
    assert not remote, f"zh/{name} requested from the network: {remote}"
    assert not visit.errors, f"zh/{name}: JavaScript errors or failed requests: {visit.errors}"
    assert all(math["typeset"] for math in state["math"]), f"zh/{name}: math left untypeset"
    source = (REPO / f"{name}.md").read_text(encoding="utf-8")
    assert state["rawMermaid"] == 0 and len(state["diagrams"]) == len(MERMAID_SOURCE.findall(source))
    assert all(d["root"] == "svg" and d["width"] > 0 for d in state["diagrams"]), f"zh/{name}: {state['diagrams']}"
    assert all(image["width"] > 0 for image in state["images"]), f"zh/{name}: an image did not load"

    english = urljoin(f"{server}/zh/{name}.html", switch)
    assert english == f"{server}/{name}.html", f"zh/{name}: the language switch leads to {english}"


def test_the_english_pages_switch_to_the_same_chinese_page(browser, server):  # noqa: F811
    for name in toc_files():
        visit = Visit(browser, f"{server}/{name}.html")
        try:
            switch = visit.page.get_attribute(SWITCH, "href")
        finally:
            visit.close()
        assert urljoin(f"{server}/{name}.html", switch) == f"{server}/zh/{name}.html", name
