"""Boxes: admonitions (erratum boxes included), exercises and solutions become block quotes with a bold title; the
gated ``exercise-start``/``solution-start`` ... ``-end`` form becomes a bold heading before the cells it gates."""

from __future__ import annotations

import re
from .book import Book
from .myst import ADMONITIONS, Directive


class Boxes:
    """Quoted boxes, mixed into ``Page`` (which also provides ``inline``, ``convert`` and the exercise numbers)."""

    book: Book
    exercises: dict[str, str]  # label → number, of the exercises converted so far

    def quote(self, title: str, body: list[str]) -> list[str]:
        """``body`` converted, as a block quote that starts with the bold ``title`` (if any)."""
        inner = self.convert(body)
        while inner and not inner[0].strip():
            inner.pop(0)
        while inner and not inner[-1].strip():
            inner.pop()
        collapsed = re.sub(r"\n{3,}", "\n\n", "\n".join(inner)).split("\n") if inner else []
        lines = ([f"**{title}**", ""] if title else []) + collapsed
        return [f"> {line}".rstrip() for line in lines]

    def admonition(self, block: Directive) -> list[str]:
        """``{admonition} Title`` and the named ones (``{note}``: "Note" unless it has a title of its own)."""
        if block.argument or block.name not in ADMONITIONS:
            title = self.inline(block.argument)
        else:
            title = ADMONITIONS[block.name]
        return self.quote(title, block.body)

    def exercise(self, block: Directive) -> list[str]:
        """"Exercise 3.1 (argument)", numbered as on the website (else in order on the page)."""
        label = block.options.get("label", f"exercise-{len(self.exercises) + 1}")
        number = self.book.numbers.get(label, str(len(self.exercises) + 1))
        self.exercises[label] = number
        title = f"Exercise {number}" + (f" ({self.inline(block.argument)})" if block.argument else "")
        return self.quote(title, block.body) if block.name == "exercise" else [f"**{title}**"]

    def solution(self, block: Directive) -> list[str]:
        """"Solution to Exercise 3.1" for the exercise labelled by the argument (converted before it)."""
        number = self.exercises.get(block.argument)
        title = f"Solution to Exercise {number}" if number else "Solution"
        return self.quote(title, block.body) if block.name == "solution" else [f"**{title}**"]
