"""A Markdown cell rewritten, block by block, into plain Markdown that Colab renders: text has its roles replaced;
math, tables and mermaid fences are kept, labelled equations get the website's number (``\\tag``); labels
``(name)=`` and ``%`` comments are dropped; definition lists and glossaries become bullet lists; each directive has
its own rewriting (``Markdown.directive``)."""

from __future__ import annotations

import re

from .boxes import Boxes
from .citations import bibliography_list
from .embeds import Embeds
from .myst import ADMONITIONS, EQUATION, TARGET, Directive, Fenced, blocks, glossary_entries
from .roles import Roles

GLUE_DIRECTIVES = ("glue", "glue:any", "glue:figure", "glue:math", "glue:md")


class Markdown(Roles, Boxes, Embeds):
    """The Markdown of a page's cells (``Page`` adds the notebook around it)."""

    def markdown(self, source: str) -> str:
        lines = self.convert(source.splitlines())
        text = "\n".join(lines).strip("\n")
        return re.sub(r"\n{3,}", "\n\n", text)

    def convert(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        paragraph: list[str] = []

        def flush() -> None:
            out.extend(self.text(paragraph))
            paragraph.clear()

        for block in blocks(lines):
            if isinstance(block, str):
                paragraph.append(block)
                continue
            flush()
            if isinstance(block, Fenced):
                out.extend(block.lines)
            else:
                out.extend(["", *self.directive(block), ""])
        flush()
        return out

    def text(self, lines: list[str]) -> list[str]:
        """Plain text lines: drop labels and comments, rewrite definition lists, replace roles."""
        out: list[str] = []
        for line in lines:
            if TARGET.match(line) or line.startswith("%"):
                continue
            equation = EQUATION.search(line)
            if equation:
                number = self.book.numbers.get(equation.group("label"))
                line = line[:equation.start()] + (f"\\tag{{{number}}} $$" if number else "$$")
            definition = re.match(r"^: {1,3}(.*)$", line)
            if definition and out and out[-1].strip() and not out[-1].startswith(("- **", "  ")):
                out.append(f"- **{out.pop().strip()}**: {definition.group(1)}")
            elif definition:  # another definition of the same term
                out.append(f"  {definition.group(1)}")
            else:
                out.append(line)
        return self.inline("\n".join(out)).split("\n") if out else []

    def directive(self, block: Directive) -> list[str]:
        """The Markdown of a directive; an unknown one becomes a quoted box (with a warning)."""
        rewrite = {
            "literalinclude": self.literalinclude, "figure": self.figure, "image": self.figure,
            **dict.fromkeys(GLUE_DIRECTIVES, self.glued_block),
            **dict.fromkeys(("code-block", "code", "sourcecode"), self.code), "mermaid": self.mermaid,
            "math": self.math, "raw": self.raw, "glossary": self.glossary, "bibliography": self.bibliography,
            "exercise": self.exercise, "exercise-start": self.exercise,
            "solution": self.solution, "solution-start": self.solution,
            "admonition": self.admonition, **dict.fromkeys(ADMONITIONS, self.admonition),
            "tableofcontents": self.table_of_contents, "errata-list": self.errata_list,
            **dict.fromkeys(("solution-end", "exercise-end", "toctree"), self.nothing),
        }
        if block.name in rewrite:
            return rewrite[block.name](block)
        self.warnings.append(f"{self.md.name}: directive {{{block.name}}} rendered as a quoted box")
        return self.quote(f"{block.name.capitalize()}: {self.inline(block.argument)}".rstrip(": "), block.body)

    def code(self, block: Directive) -> list[str]:
        return [f"```{block.argument}", *block.body, "```"]

    def mermaid(self, block: Directive) -> list[str]:
        return ["```mermaid", *block.body, "```"]

    def math(self, block: Directive) -> list[str]:
        number = self.book.numbers.get(block.options.get("label", ""))
        return ["$$", *block.body, *([f"\\tag{{{number}}}"] if number else []), "$$"]

    def raw(self, block: Directive) -> list[str]:
        return block.body if block.argument == "html" else []

    def glossary(self, block: Directive) -> list[str]:
        return [f"- {', '.join(f'**{term}**' for term in terms)}: {self.inline(' '.join(definition.split()))}"
                for terms, definition in glossary_entries(block.body)]

    def bibliography(self, block: Directive) -> list[str]:
        return bibliography_list(self.book)

    def table_of_contents(self, block: Directive) -> list[str]:
        return [f"The chapters are listed on the [website]({self.book.site})."]

    def errata_list(self, block: Directive) -> list[str]:
        return [f"The list of errata is on the [website]({self.book.url(self.md.stem)})."]

    def nothing(self, block: Directive) -> list[str]:
        return []
