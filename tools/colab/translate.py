"""A page's Markdown in another edition's language, for that edition's Colab notebooks.

Sphinx cuts a page into messages (a paragraph, a heading, a list item, a table cell, a box title, a caption), and
the edition's catalogue ``locales/<language>/LC_MESSAGES/book/<page>.po`` holds each message's translation
(``tools/i18n.py``). Here a Markdown cell's source is parsed with MyST's own parser, each block whose text is a
message is replaced by its translation, and the boxes' bodies (directives) are translated the same way, block by
block. The result is still MyST, which the notebook generator then rewrites for Colab as it does the English.
"""

from __future__ import annotations

import re
from functools import cache

from .myst import FENCE, OPTION
from .repo import REPO

LOCALES = REPO / "locales"
# Directives whose argument is a title and whose body is text (translated block by block).
PROSE = {"admonition", "note", "warning", "tip", "important", "hint", "caution", "attention", "danger", "error",
         "seealso", "topic", "dropdown", "exercise", "solution", "figure", "glue:figure", "table"}


@cache
def catalogue(page: str, language: str) -> dict[str, str]:
    """The translated messages of ``page`` (``book/<page>.md``), English -> translation; empty without a catalogue."""
    from babel.messages.pofile import read_po

    path = LOCALES / language / "LC_MESSAGES" / "book" / f"{page}.po"
    if not path.exists():
        return {}
    with path.open("rb") as stream:
        return {message.id: message.string for message in read_po(stream)
                if message.id and message.string and not message.fuzzy}


@cache
def _parser():  # noqa: ANN202 - myst-parser's markdown-it parser, with the book's extensions
    from markdown_it.renderer import RendererHTML
    from myst_parser.config.main import MdParserConfig
    from myst_parser.parsers.mdit import create_md_parser

    config = MdParserConfig(enable_extensions={"amsmath", "dollarmath", "colon_fence", "deflist", "substitution"})
    return create_md_parser(config, RendererHTML)


def message(text: str) -> str:
    """A block's text as Sphinx's gettext builder keys it: lines joined by spaces."""
    return " ".join(line.strip() for line in text.strip().splitlines())


def translate(source: str, messages: dict[str, str], used: set[str] | None = None) -> str:
    """``source`` (MyST) with every block that is a message of ``messages`` replaced by its translation; the keys
    used are added to ``used``."""
    used = set() if used is None else used
    lines = source.split("\n")
    edits: list[tuple[int, int, list[str]]] = []  # (first line, line after the last, replacement), no overlaps
    tokens = _parser().parse(source)
    tables = [token.map for token in tokens if token.type == "table_open" and token.map]
    for token in tokens:
        in_table = token.map and any(start <= token.map[0] < end for start, end in tables)
        if token.type == "inline" and token.map and not in_table:
            key = message(token.content)
            if key in messages:
                used.add(key)
                first = lines[token.map[0]]
                start = first.find(token.content.split("\n")[0].strip())
                end = max(token.map[1], token.map[0] + 1)  # a definition list's term has an empty map
                edits.append((token.map[0], end, [first[:max(start, 0)] + messages[key]]))
        elif token.type == "table_open" and token.map:
            edits.append((token.map[0], token.map[1], _table(lines[token.map[0]:token.map[1]], messages, used)))
        elif token.type in ("colon_fence", "fence") and token.map:
            replaced = _directive(lines[token.map[0]:token.map[1]], messages, used)
            if replaced is not None:
                edits.append((token.map[0], token.map[1], replaced))
    for start, end, replacement in sorted(edits, reverse=True):
        lines[start:end] = replacement
    return "\n".join(lines)


def _table(rows: list[str], messages: dict[str, str], used: set[str]) -> list[str]:
    out = []
    for row in rows:
        cells = row.split("|")
        for number, cell in enumerate(cells):
            key = cell.strip()
            if key in messages:
                used.add(key)
                cells[number] = cell.replace(key, messages[key])
        out.append("|".join(cells))
    return out


def _directive(block: list[str], messages: dict[str, str], used: set[str]) -> list[str] | None:
    """A fenced directive with its title and its body translated; ``None`` for code, math and the like."""
    fence = FENCE.match(block[0])
    info = re.match(r"^\{(?P<name>[\w:.-]+)\}\s*(?P<argument>.*)$", fence.group("info").strip()) if fence else None
    if info is None or (info["name"] not in PROSE and info["name"] != "glossary"):
        return None
    head = block[0]
    argument = info["argument"].strip()
    if argument in messages:
        used.add(argument)
        head = head[:head.rindex(argument)] + messages[argument]
    closing = block[-1] if len(block) > 1 and FENCE.match(block[-1]) else None
    body = block[1:-1] if closing is not None else block[1:]
    options = 0
    while options < len(body) and OPTION.match(body[options]):
        options += 1
    text = body[options:]
    if info["name"] == "glossary":
        translated = _glossary(text, messages, used)
    else:
        translated = translate("\n".join(text), messages, used).split("\n") if text else []
    return [head, *body[:options], *translated, *([closing] if closing is not None else [])]


def _glossary(lines: list[str], messages: dict[str, str], used: set[str]) -> list[str]:
    """A glossary: term lines kept (the term's own message), each definition (indented lines) translated."""
    out: list[str] = []
    definition: list[str] = []

    def flush() -> None:
        key = message("\n".join(definition))
        if definition and key in messages:
            used.add(key)
            out.append("  " + messages[key])
        else:
            out.extend(definition)
        definition.clear()

    for line in lines:
        if line.startswith((" ", "\t")) and line.strip():
            definition.append(line)
            continue
        flush()
        if line.strip() in messages:
            used.add(line.strip())
        out.append(line)
    flush()
    return out
