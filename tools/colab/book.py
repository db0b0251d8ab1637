"""What the whole book defines: page titles, labels and their numbers, glossary terms, the bibliography."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

from docutils.nodes import make_id
from pybtex.database import Entry, parse_file

from .myst import (ADMONITIONS, DIRECTIVE, EQUATION, FENCE, HEADING, OPTION, TARGET, Directive, blocks,
                   glossary_entries, plain, split_keys, term_anchor)
from .numbers import toc_numbers
from .repo import BOOK, EDITIONS, REPO, site_url
from .translate import catalogue

Target = tuple[str, str, str]  # (page stem, anchor, title)


@dataclass
class Book:
    """Targets of cross-references across all pages, and the bibliography."""

    site: str = field(default_factory=site_url)
    language: str | None = None  # an edition's language (its titles, from its catalogues); None: English

    @classmethod
    def edition(cls, language: str) -> Book:
        """The book of a translated edition: its titles in ``language``, its links to that edition's website."""
        return cls(site=f"{site_url()}{EDITIONS[language]}/", language=language)

    @cached_property
    def pages(self) -> dict[str, str]:
        """Page stem → its title (the first ``#`` heading), in the edition's language."""
        titles = {}
        for md in sorted(BOOK.glob("*.md")):
            match = re.search(r"^# (.+)$", md.read_text(encoding="utf-8"), re.MULTILINE)
            title = match.group(1) if match else md.stem
            if self.language:
                title = catalogue(md.stem, self.language).get(title, title)
            titles[md.stem] = plain(title)
        return titles

    @cached_property
    def labels(self) -> dict[str, Target]:
        """Label → (page stem, anchor, title) for ``(label)=`` targets and ``:name:``/``:label:`` options."""
        found: dict[str, Target] = {}
        for md in sorted(BOOK.glob("*.md")):
            found.update(page_labels(md.stem, md.read_text(encoding="utf-8").splitlines()))
        return found

    @cached_property
    def numbers(self) -> dict[str, str]:
        """Figure, exercise or equation label → its number on the website ("3.2")."""
        return toc_numbers()

    @cached_property
    def glossary(self) -> dict[str, tuple[str, str]]:
        """Glossary term (lower case) → (page stem, anchor)."""
        terms = {}
        for md in sorted(BOOK.glob("*.md")):
            for block in blocks(md.read_text(encoding="utf-8").splitlines()):
                if isinstance(block, Directive) and block.name == "glossary":
                    for synonyms, _ in glossary_entries(block.body):
                        for term in synonyms:
                            terms[term.lower()] = (md.stem, term_anchor(term))
        return terms

    @cached_property
    def bibliography(self) -> dict[str, Entry]:
        return dict(parse_file(str(REPO / "references.bib")).entries)

    @cached_property
    def bibliography_page(self) -> str:
        for md in sorted(BOOK.glob("*.md")):
            if re.search(r"^```+\{bibliography\}", md.read_text(encoding="utf-8"), re.MULTILINE):
                return md.stem
        return "ch10_references"

    def url(self, stem: str, anchor: str = "") -> str:
        return f"{self.site}book/{stem}.html" + (f"#{anchor}" if anchor else "")

    def cited_keys(self) -> list[str]:
        keys: list[str] = []
        for md in sorted(BOOK.glob("*.md")):
            for match in re.finditer(r"\{cite(?::\w+)?\}`([^`]*)`", md.read_text(encoding="utf-8")):
                keys += [key for key in split_keys(match.group(1))[1] if key not in keys]
        return keys


def page_labels(stem: str, lines: list[str]) -> Iterator[tuple[str, Target]]:
    """(label, target) for each labelled equation, ``(label)=`` target and ``:name:``/``:label:`` option of the page
    ``stem``, in order (a label defined twice: the last one wins)."""
    exercises = 0
    for number, line in enumerate(lines):
        equation = EQUATION.search(line)
        if equation:
            label = equation.group("label")
            yield label, (stem, f"equation-{label}", "equation")
        target = TARGET.match(line)
        if target:
            heading = next((HEADING.match(after) for after in lines[number + 1:] if after.strip()), None)
            title = plain(heading.group("title")) if heading else target.group("label")
            yield target.group("label"), (stem, make_id(target.group("label")), title)
        fence = FENCE.match(line)
        directive = fence and DIRECTIVE.match(fence.group("info").strip())
        if not directive:
            continue
        name, argument = directive.group("name"), plain(directive.group("argument"))
        if name in ("exercise", "exercise-start"):
            exercises += 1
        for option_line in lines[number + 1:]:
            option = OPTION.match(option_line.strip())
            if not option:
                break
            if option.group("key") in ("name", "label") and option.group("value"):
                label = option.group("value").strip()
                title = f"Exercise {exercises}" if name in ("exercise", "exercise-start") else (
                    argument or ADMONITIONS.get(name) or name.capitalize())
                yield label, (stem, make_id(label) if option.group("key") == "name" else label, title)
