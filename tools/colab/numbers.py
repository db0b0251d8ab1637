"""Figures, exercises and labelled equations carry the website's numbers (Fig. 3.1, Exercise 3.1, (3.1)), computed
from ``_toc.yml`` as Sphinx numbers them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import yaml

from .myst import EQUATION, Fenced, blocks
from .repo import REPO


def numbered_labels(lines: list[str]) -> Iterator[tuple[str, str]]:
    """("figure", name) for every named figure, ("exercise", label) for every numbered exercise and ("equation",
    label) for every labelled equation of a page, in order: what Sphinx numbers (each kind counted apart)."""
    for block in blocks(lines):
        if isinstance(block, str):
            equation = EQUATION.search(block)
            if equation:
                yield "equation", equation.group("label")
            continue
        if isinstance(block, Fenced):
            continue
        if block.name == "math" and block.options.get("label"):
            yield "equation", block.options["label"]
        if block.name in ("figure", "glue:figure") and block.options.get("name"):
            yield "figure", block.options["name"]
        if block.name in ("exercise", "exercise-start") and "nonumber" not in block.options:
            yield "exercise", block.options.get("label", "")


def toc_numbers() -> dict[str, str]:
    """Figure, exercise or equation label → its number on the website ("3.2"), as Sphinx numbers them: in a
    numbered part of the table of contents, the chapter's number, then the labelled figures (exercises,
    equations: each kind counted apart) through the chapter and its sections."""
    toc = yaml.safe_load((REPO / "_toc.yml").read_text(encoding="utf-8"))
    numbers: dict[str, str] = {}
    for part in toc.get("parts", []):
        if not part.get("numbered"):
            continue
        for chapter_number, chapter in enumerate(part.get("chapters", []), start=1):
            files = [chapter["file"], *(section["file"] for section in chapter.get("sections", []))]
            count: Counter[str] = Counter()
            for file in files:
                md = REPO / f"{file}.md"
                if not md.exists():
                    continue
                for kind, label in numbered_labels(md.read_text(encoding="utf-8").splitlines()):
                    count[kind] += 1
                    numbers[label] = f"{chapter_number}.{count[kind]}"
    return numbers
