"""The Chinese edition's message catalogues (``locales/zh_CN/LC_MESSAGES/book/<page>.po``, ``tools/i18n.py``).

A catalogue holds every message of today's page (Sphinx's gettext builder cuts the page into messages, executing
nothing), each translated and none fuzzy: an English paragraph changed without its translation fails here. Each
translation keeps its message's markup: the same roles with the same targets, inline code, math, footnotes and
link addresses, and no line break, since Sphinx checks only part of this and a lost role or formula would otherwise
pass unseen.
"""

from __future__ import annotations

import importlib.util
import re
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from conftest import REPO

spec = importlib.util.spec_from_file_location("i18n", REPO / "tools" / "i18n.py")
i18n = importlib.util.module_from_spec(spec)
spec.loader.exec_module(i18n)

CATALOGUES = REPO / "locales" / i18n.LANGUAGE / "LC_MESSAGES" / "book"
PAGES = sorted(page.stem for page in (REPO / "book").glob("*.md"))
ROLE = re.compile(r"\{(?P<role>[\w:-]+)\}`(?P<body>[^`]*)`")
CODE = re.compile(r"(?<![}`])`(?P<code>[^`]+)`")
MATH = re.compile(r"\$\$.+?\$\$|\$[^$]+\$", re.DOTALL)
FOOTNOTE = re.compile(r"\[\^[\w-]+\]")
URL = re.compile(r"\]\((?P<url>[^)\s]+)\)|<(?P<auto>https?://[^>]+)>")


def messages(page: str) -> dict[str, object]:
    with (CATALOGUES / f"{page}.po").open("rb") as stream:
        return {message.id: message for message in read_po(stream) if message.id}


def role_target(role: str, body: str) -> tuple[str, str]:
    """A role and its target: ``{term}`自注意力 <self-attention>``` and ``{term}`self-attention``` are one."""
    explicit = re.fullmatch(r"(?s).*<(?P<target>[^<>]+)>", body)
    target = explicit.group("target") if explicit else body
    if role == "term":
        target = target.lower()
    return role, target.strip()


def markup(text: str) -> Counter:
    """What a translation must keep of its message: roles with targets, inline code, math, footnotes, addresses."""
    found = Counter(role_target(match["role"], match["body"]) for match in ROLE.finditer(text))
    bare = ROLE.sub("", text)
    found.update(("code", match["code"]) for match in CODE.finditer(bare))
    found.update(("math", math) for math in MATH.findall(bare))
    found.update(("footnote", note) for note in FOOTNOTE.findall(bare))
    found.update(("url", match["url"] or match["auto"]) for match in URL.finditer(bare))
    return found


@pytest.fixture(scope="module")
def templates(tmp_path_factory) -> Path:
    """Today's messages of every page: the gettext builder run on the pages (about 10 s; nothing is executed)."""
    out = tmp_path_factory.mktemp("gettext")
    assert i18n.templates(out) == 0, "the gettext build failed"
    return out


def catalogue_problems(page: str, wanted: set[str]) -> list[str]:
    """What the catalogue of ``page`` lacks for the messages ``wanted``: missing, untranslated or fuzzy ones."""
    found = messages(page)
    missing = sorted(wanted - found.keys())
    untranslated = sorted(text for text in wanted & found.keys() if not found[text].string)
    fuzzy = sorted(text for text in wanted & found.keys() if found[text].fuzzy)
    return ([f"{len(missing)} messages not in the catalogue (run `python tools/i18n.py catalogues`, then "
             f"translate), e.g. {missing[:2]}"] if missing else []) + \
           ([f"{len(untranslated)} untranslated, e.g. {untranslated[:2]}"] if untranslated else []) + \
           ([f"{len(fuzzy)} fuzzy (the English changed), e.g. {fuzzy[:2]}"] if fuzzy else [])


@pytest.mark.parametrize("page", PAGES)
def test_every_message_of_the_page_is_translated_and_none_is_fuzzy(templates, page):
    with (templates / "book" / f"{page}.pot").open("rb") as stream:
        wanted = {message.id for message in read_po(stream) if message.id}
    assert not catalogue_problems(page, wanted), f"{page}: {catalogue_problems(page, wanted)}"


@pytest.mark.parametrize("page", PAGES)
def test_each_translation_keeps_its_messages_markup(page):
    problems = []
    for text, message in messages(page).items():
        if not message.string:
            continue
        if markup(text) != markup(message.string):
            problems.append(f"{text[:60]!r}: {sorted((markup(text) - markup(message.string)).elements())} lost, "
                            f"{sorted((markup(message.string) - markup(text)).elements())} added")
        elif "\n" in message.string and "\n" not in text:
            problems.append(f"{text[:60]!r}: the translation breaks the line")
    assert not problems, f"{page}: {len(problems)} translations differ in markup: {problems[:3]}"


def test_the_checks_can_fail():
    """A new English paragraph is reported; a lost code span or a role with another target is a markup change."""
    translated = set(messages("ch07_tools"))
    assert catalogue_problems("ch07_tools", translated) == []
    assert catalogue_problems("ch07_tools", translated | {"A paragraph that no page has."})
    assert markup("{term}`Self-attention` and `x` and $y$") == markup("{term}`自注意力 <self-attention>` 与 `x` 和 $y$")
    assert markup("see `x`") != markup("参见 x")
    assert markup("{doc}`ch05_bert_project`") != markup("{doc}`ch04_math`")
