"""Navigation: chapters are numbered like the article's sections, each opens with what the reader will learn and
closes with what comes next (a link to the following page of the book)."""

from __future__ import annotations

import re

import pytest

from builtsite import REPO, chapter_files, chapter_number, site_dir, toc_files

LEARN = re.compile(r"^(?::{3,}|`{3,})\{admonition\}\s*What you will learn\s*$", re.MULTILINE)
H2 = re.compile(r"^## (.+?)\s*$", re.MULTILINE)
DOC_LINK = re.compile(r"\{doc\}`(?:[^`<]*<)?([^`>]+)>?`")


def source(name: str) -> str:
    return (REPO / f"{name}.md").read_text(encoding="utf-8")


def following(name: str) -> str | None:
    pages = toc_files()
    index = pages.index(name)
    return pages[index + 1] if index + 1 < len(pages) else None


def test_toc_lists_chapters_in_article_order():
    numbers = [chapter_number(name) for name in chapter_files()]
    assert numbers == sorted(numbers), f"chapters out of order in _toc.yml: {chapter_files()}"
    assert toc_files()[-1] == "book/appendix_errata", "the errata appendix comes last, after the chapters"


def test_every_chapter_file_is_in_the_toc():
    files = sorted(f"book/{path.stem}" for path in (REPO / "book").glob("ch[0-9][0-9]_*.md"))
    missing = [name for name in files if name not in chapter_files()]
    assert not missing, f"chapter files missing from _toc.yml (so from the book): {missing}"


@pytest.mark.parametrize("name", chapter_files())
def test_chapter_number_on_the_page_is_the_article_section(name: str):
    html = (site_dir() / f"{name}.html").read_text(encoding="utf-8")
    shown = re.search(r'<h1><span class="section-number">([\d.]+)\.\s*</span>', html)
    assert shown, f"{name}: the page title carries no chapter number"
    assert shown.group(1) == str(chapter_number(name)), (
        f"{name} is shown as chapter {shown.group(1)} but is section {chapter_number(name)} of the article: "
        "every chapter before it must be in _toc.yml")


@pytest.mark.parametrize("name", chapter_files())
def test_chapter_opens_with_what_you_will_learn(name: str):
    text = source(name)
    learn = LEARN.search(text)
    assert learn, f"{name} has no ':::{{admonition}} What you will learn' box"
    first_section = H2.search(text)
    assert first_section is None or learn.start() < first_section.start(), (
        f"{name}: the 'What you will learn' box must come before the first section")


@pytest.mark.parametrize("name", chapter_files())
def test_chapter_closes_with_what_comes_next(name: str):
    text = source(name)
    sections = list(H2.finditer(text))
    assert sections and sections[-1].group(1) == "What comes next", (
        f"{name}: the last section must be '## What comes next'")
    nxt = following(name)
    if nxt is None:
        return
    target = nxt.removeprefix("book/")
    links = [link.strip() for link in DOC_LINK.findall(text[sections[-1].start():])]
    assert any(link.removeprefix("/book/").removeprefix("book/") == target for link in links), (
        f"{name}: 'What comes next' must link the next page with {{doc}}`{target}`; it links {links}")
