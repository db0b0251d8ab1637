"""Inline roles: ``{doc}``, ``{ref}``, ``{numref}``, ``{eq}`` and ``{term}`` become links to the website, with the
website's numbers (Fig. 3.1, Exercise 3.1, (3.1)); glued values become their value, citations author-year links,
``{math}`` inline math; code spans are left as they are."""

from __future__ import annotations

import re
from pathlib import Path

from .book import Book
from .citations import citation
from .glue import MISSING_GLUE, format_glue
from .myst import EXPLICIT, ROLE, Role, term_anchor
from .repo import REPO, source_url

# Roles whose content is kept, in Markdown's own markup.
MARKUP = {"math": "${content}$", "sub": "<sub>{content}</sub>", "sup": "<sup>{content}</sup>",
          **dict.fromkeys(("code", "literal", "kbd", "file", "samp", "command", "program", "guilabel"),
                          "`{content}`")}
GLUE_ROLES = ("glue", "glue:text", "glue:any", "glue:md")


class Roles:
    """The inline part of a page's conversion, mixed into ``Page`` (which sets these attributes)."""

    md: Path
    book: Book
    glue: dict[str, dict | None]
    used_glue: dict[str, dict | None]
    exercises: dict[str, str]  # label → number, of the exercises converted so far
    warnings: list[str]

    def inline(self, text: str) -> str:
        """Replace every role; leave code spans, and everything else, as they are."""
        out, position = [], 0
        for run in re.finditer(r"`+", text):
            if run.start() < position:
                continue
            ticks = run.group()
            closing = re.compile(rf"(?<!`){ticks}(?!`)")
            end = closing.search(text, run.end())
            if end is None:
                continue
            role = ROLE.search(text, position, run.start())
            content = text[run.end():end.start()]
            if role:
                out.append(text[position:role.start()])
                out.append(self.role(role.group("name"), content))
            else:
                out.append(text[position:end.end()])
            position = end.end()
        out.append(text[position:])
        return "".join(out)

    def role(self, name: str, content: str) -> str:
        """The Markdown of ``{name}`content```; an unknown role keeps its content as text (with a warning)."""
        if name in MARKUP:
            return MARKUP[name].format(content=content)
        if name == "abbr":
            return EXPLICIT.sub(r"\g<text>", content)  # "LM <language model>" reads "LM"
        if name.startswith("cite"):
            return citation(name, content, self.book, self.md.name)
        links = {"doc": self.doc, "ref": self.ref, "numref": self.ref, "prf:ref": self.ref, "term": self.term,
                 "eq": self.eq, "download": self.download, **dict.fromkeys(GLUE_ROLES, self.glue_value)}
        if name not in links:
            self.warnings.append(f"{self.md.name}: unknown role {{{name}}}, kept as text")
            return content
        return links[name](Role.read(name, content))

    def glued(self, key: str) -> dict | None:
        """The glued data named ``key`` (None where there is none), recorded as used by the notebook."""
        data = self.glue.get(key)
        self.used_glue[key] = data
        return data

    def glue_value(self, role: Role) -> str:
        key, _, spec = role.target.partition(":")
        key = key.split("::")[-1]
        data = self.glued(key)
        if data is None:
            return MISSING_GLUE.format(name=key)
        if role.name == "glue:md":
            return format_glue(data, "", "text/markdown")
        return format_glue(data, spec, "text/plain")

    def doc(self, role: Role) -> str:
        stem = Path(role.target).name.removesuffix(".md")
        return f"[{self.inline(role.text) or self.book.pages.get(stem, stem)}]({self.book.url(stem)})"

    def ref(self, role: Role) -> str:
        """A link titled by the target's number ("Fig. 3.1", "Exercise 3.1", "(3.1)") or else its title."""
        target, text = role.target, role.text
        if target not in self.book.labels:
            raise ValueError(f"{self.md.name}: unknown label {target!r} in {{{role.name}}}`{role.content}`")
        stem, anchor, title = self.book.labels[target]
        number = self.book.numbers.get(target)
        kind = "Exercise" if target in self.exercises or "exercise" in title.lower() else "Fig."
        if title == "equation" and number:
            return f"[{text or f'({number})'}]({self.book.url(stem, anchor)})"
        if number:
            label = text.replace("%s", number).replace("{number}", number) if text else f"{kind} {number}"
        else:
            label = text.replace("%s", title).replace("{number}", title) if text else title
        return f"[{self.inline(label)}]({self.book.url(stem, anchor)})"

    def term(self, role: Role) -> str:
        term = role.target.strip()
        stem, anchor = self.book.glossary.get(term.lower(), ("ch01_background", term_anchor(term)))
        return f"[{role.text or term}]({self.book.url(stem, anchor)})"

    def eq(self, role: Role) -> str:
        stem, anchor, _ = self.book.labels.get(role.target, (self.md.stem, f"equation-{role.target}", ""))
        number = self.book.numbers.get(role.target)
        label = role.text or (f"({number})" if number else "the equation")
        return f"[{label}]({self.book.url(stem, anchor)})"

    def download(self, role: Role) -> str:
        path = (self.md.parent / role.target).resolve().relative_to(REPO).as_posix()
        return f"[{role.text or Path(role.target).name}]({source_url(path)})"
