"""Navigation: chapters (and chapter 6's section pages) are numbered like the article's sections; each opens with
what the reader will learn; chapters 2-9 and their sections close with a summary and at least three exercises; a
closing "What comes next" links the following page of the book."""

from __future__ import annotations

import re

import pytest

from builtsite import CHAPTER, REPO, chapter_files, chapter_number, site_dir, toc_files

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
    numbers = [tuple(int(part) for part in chapter_number(name).split(".")) for name in chapter_files()]
    assert numbers == sorted(numbers), f"chapters out of order in _toc.yml: {chapter_files()}"
    assert toc_files()[-1] == "book/appendix_errata", "the errata appendix comes last, after the chapters"


def test_every_chapter_file_is_in_the_toc():
    files = sorted(f"book/{path.stem}" for path in (REPO / "book").glob("ch[0-9][0-9]_*.md")
                   if CHAPTER.fullmatch(f"book/{path.stem}"))
    missing = [name for name in files if name not in chapter_files()]
    assert not missing, f"chapter files missing from _toc.yml (so from the book): {missing}"


@pytest.mark.site
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


EXERCISE = re.compile(r"^:{3,}\{exercise\}", re.MULTILINE)
BULLET = re.compile(r"^- ", re.MULTILINE)


@pytest.mark.parametrize("name", [n for n in chapter_files() if 2 <= int(chapter_number(n).split(".")[0]) <= 9])
def test_chapter_ends_with_a_summary_and_exercises(name: str):
    text = source(name)
    titles = [m.group(1) for m in H2.finditer(text)]
    closing = [title for title in titles if title != "What comes next"][-2:]
    assert closing == ["Summary", "Exercises"], (
        f"{name}: the last sections must be '## Summary' and '## Exercises' (then optionally 'What comes next'); "
        f"got {titles[-3:]}")
    summary = text[text.index("\n## Summary"):text.index("\n## Exercises")]
    assert 3 <= len(BULLET.findall(summary)) <= 6, f"{name}: the summary must have 3 to 6 bullets"
    assert len(EXERCISE.findall(text[text.index("\n## Exercises"):])) >= 3, f"{name}: fewer than 3 exercises"


@pytest.mark.parametrize("name", chapter_files())
def test_what_comes_next_links_the_following_page(name: str):
    text = source(name)
    sections = list(H2.finditer(text))
    if not sections or sections[-1].group(1) != "What comes next":
        assert 2 <= int(chapter_number(name).split(".")[0]) <= 9, f"{name}: must close with '## What comes next'"
        return
    nxt = following(name)
    if nxt is None:
        return
    target = nxt.removeprefix("book/")
    links = [link.strip() for link in DOC_LINK.findall(text[sections[-1].start():])]
    assert any(link.removeprefix("/book/").removeprefix("book/") == target for link in links), (
        f"{name}: 'What comes next' must link the next page with {{doc}}`{target}`; it links {links}")