"""The block structure of MyST Markdown: text lines, fenced code, directives with their options; labels, headings,
labelled equations, explicit titles (``text <target>``), citation keys and glossary entries."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass

import yaml
from sphinx.util.nodes import _make_id

FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,}|:{3,})(?P<info>.*)$")
DIRECTIVE = re.compile(r"^\{(?P<name>[A-Za-z][\w:.-]*)\}\s*(?P<argument>.*)$")
OPTION = re.compile(r"^:(?P<key>[\w-]+):(?:\s+(?P<value>.*))?$")
ROLE = re.compile(r"\{(?P<name>[A-Za-z][\w:.-]*)\}$")
TARGET = re.compile(r"^\((?P<label>[^()\s]+)\)=\s*$")
HEADING = re.compile(r"^(?P<level>#{1,6})\s+(?P<title>.+?)\s*#*\s*$")
EQUATION = re.compile(r"\$\$\s*\((?P<label>[^()\s]+)\)\s*$")  # the closing $$ of a labelled display equation
EXPLICIT = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^<>]+)>$", re.DOTALL)

# The admonition directives and their default titles ("" for boxes that have none).
ADMONITIONS = {"note": "Note", "warning": "Warning", "tip": "Tip", "important": "Important", "hint": "Hint",
               "caution": "Caution", "attention": "Attention", "danger": "Danger", "error": "Error",
               "seealso": "See also", "margin": "", "sidebar": "", "topic": "", "dropdown": "", "epigraph": ""}


@dataclass
class Directive:
    name: str
    argument: str
    options: dict[str, str]
    body: list[str]


@dataclass
class Fenced:
    lines: list[str]


@dataclass
class Role:
    """A role ``{name}`content```; content ``text <target>`` gives an explicit text, else text is ""."""

    name: str
    content: str
    text: str
    target: str

    @classmethod
    def read(cls, name: str, content: str) -> Role:
        explicit = EXPLICIT.match(content)
        text, target = (explicit.group("text"), explicit.group("target")) if explicit else ("", content)
        return cls(name, content, text, target)


def blocks(lines: list[str]) -> Iterator[str | Directive | Fenced]:
    """Lines of text one by one, and each fenced block (a directive, or plain fenced code) as one item."""
    number = 0
    while number < len(lines):
        line = lines[number]
        fence = FENCE.match(line)
        if not fence:
            yield line
            number += 1
            continue
        char, width = fence.group("fence")[0], len(fence.group("fence"))
        closing = re.compile(rf"^ {{0,3}}{re.escape(char)}{{{width},}}\s*$")
        end = next((j for j in range(number + 1, len(lines)) if closing.match(lines[j])), len(lines))
        inner = lines[number + 1:end]
        directive = DIRECTIVE.match(fence.group("info").strip())
        if directive:
            options, body = read_options(inner)
            yield Directive(directive.group("name"), directive.group("argument").strip(), options, body)
        else:
            yield Fenced(lines[number:end + 1])
        number = end + 1


def read_options(lines: list[str]) -> tuple[dict[str, str], list[str]]:
    """A directive's ``:key: value`` lines (or YAML block between ``---`` lines), and the body after them."""
    if lines and lines[0].strip() == "---":
        end = lines.index("---", 1)
        options = {key: str(value) for key, value in (yaml.safe_load("\n".join(lines[1:end])) or {}).items()}
        return options, lines[end + 1:]
    options = {}
    number = 0
    while number < len(lines):
        option = OPTION.match(lines[number].strip())
        if not option:
            break
        options[option.group("key")] = (option.group("value") or "").strip()
        number += 1
    body = lines[number:]
    while body and not body[0].strip():
        body = body[1:]
    return options, body


def plain(text: str) -> str:
    """Heading or title text without Markdown code marks or roles."""
    text = re.sub(r"\{[\w:.-]+\}`([^`]*)`", lambda m: EXPLICIT.sub(r"\g<text>", m.group(1)), text)
    return text.replace("`", "").strip()


def split_keys(content: str) -> tuple[str, list[str], str]:
    """sphinxcontrib-bibtex's ``{pre}key1,key2{post}``."""
    match = re.fullmatch(r"\s*(?:\{(?P<pre>[^}]*)\})?(?P<keys>[^{}]*)(?:\{(?P<post>[^}]*)\})?\s*", content)
    if not match:
        raise ValueError(f"cannot read the citation {content!r}")
    keys = [key.strip() for key in match.group("keys").split(",") if key.strip()]
    return match.group("pre") or "", keys, match.group("post") or ""


def glossary_entries(body: list[str]) -> Iterator[tuple[list[str], str]]:
    """(terms, definition) for each entry of a glossary directive's body: one or more terms flush left (synonyms),
    then the indented definition."""
    terms: list[str] = []
    definition: list[str] = []
    for line in body:
        if line and not line[0].isspace():
            if definition:
                yield terms, textwrap.dedent("\n".join(definition)).strip()
                terms, definition = [], []
            terms.append(line.strip())
        elif line.strip() or definition:
            definition.append(line)
    if terms:
        yield terms, textwrap.dedent("\n".join(definition)).strip()


def term_anchor(term: str) -> str:
    """The anchor Sphinx gives a glossary term."""
    return _make_id(f"term-{term}")

