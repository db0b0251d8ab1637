"""The book's Colab notebooks, generated from its MyST pages so that they read like the website.

``python tools/colab_notebooks.py`` (what ``make notebooks`` runs) writes ``book/<page>.ipynb`` beside every
``book/<page>.md`` that is a notebook page (a MyST header with a ``kernelspec``); ``python tools/colab_notebooks.py
book/ch03_algorithms.md`` does one page, and ``--check`` only reports stale notebooks (exit status 1; a page that
cannot be converted is reported too, and the others are still written). The Colab button of the website opens these
files, and nbval executes them.

Code cells are copied unchanged (tags included; hidden cells of the site are collapsed in Jupyter). Markdown is
rewritten into plain Markdown that Colab renders:

- ``literalinclude`` becomes a fenced code block with the same lines as on the site (Sphinx's own reader);
- ``{glue:text}`` (and ``{glue}``, ``{glue:md}``) becomes the value of the LAST BOOK BUILD, read from
  ``_build/jupyter_execute/book/<page>.glue.json``; without a build the values already stored in the committed
  notebook are kept; a value found in neither reads "`name` (computed when the notebook runs)" (a warning; a test
  fails on it); a glued figure (``{glue:figure}``) becomes an image attached to its Markdown cell;
- citations read "(Author, Year)" / "Author (Year)" and link to the DOI or URL in ``references.bib`` (else to the
  website's bibliography page); ``{bibliography}`` becomes a list of the cited works;
- admonitions (erratum boxes included), exercises and solutions become block quotes with a bold title; the gated
  ``solution-start``/``solution-end`` form becomes a bold heading before the solution's code cells;
- ``{doc}``, ``{ref}``, ``{numref}``, ``{eq}`` and ``{term}`` become links to the website; figures, exercises and
  labelled equations carry the website's numbers (Fig. 3.1, Exercise 3.1, (3.1)), computed from ``_toc.yml`` as
  Sphinx numbers them; math, tables and mermaid fences are kept; labels ``(name)=`` and ``%`` comments are dropped;
  definition lists and glossaries become bullet lists.

Freshness: every notebook stores the glue values it used (text in ``metadata.lmtutorial.glue``, figures as its
attachments). Regenerating a page with those stored values (``--check``, and ``tests/test_notebooks.py``) must give
the committed file byte for byte, so the check is stable although timings differ from build to build, and it fails when the page, a listed
source file, ``references.bib``, ``_toc.yml`` (numbers) or this script changed without ``make notebooks``.
"""

from __future__ import annotations

import argparse
import ast
import codecs
import importlib.util
import json
import re
import sys
import textwrap
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from types import ModuleType, SimpleNamespace

import jupytext
import latexcodec  # noqa: F401 - registers the "ulatex" codec used for author names
import nbformat
import yaml
from docutils.nodes import make_id
from pybtex.database import Entry, parse_file
from pybtex.plugin import register_plugin
from sphinx.directives.code import LiteralInclude, LiteralIncludeReader
from sphinx.util.nodes import _make_id

REPO = Path(__file__).resolve().parents[1]
BOOK = REPO / "book"
GLUE_DIR = REPO / "_build" / "jupyter_execute" / "book"
MISSING_GLUE = "`{name}` (computed when the notebook runs)"
GLUE_MIMES = ("text/plain", "text/markdown", "text/latex", "image/png")  # image/png: glued figures
HIDDEN_SOURCE = {"remove-input", "remove-cell", "hide-input", "hide-cell"}
HIDDEN_OUTPUT = {"remove-output", "remove-cell", "hide-output", "hide-cell"}
ADMONITIONS = {"note": "Note", "warning": "Warning", "tip": "Tip", "important": "Important", "hint": "Hint",
               "caution": "Caution", "attention": "Attention", "danger": "Danger", "error": "Error",
               "seealso": "See also", "margin": "", "sidebar": "", "topic": "", "dropdown": "", "epigraph": ""}

FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,}|:{3,})(?P<info>.*)$")
DIRECTIVE = re.compile(r"^\{(?P<name>[A-Za-z][\w:.-]*)\}\s*(?P<argument>.*)$")
OPTION = re.compile(r"^:(?P<key>[\w-]+):(?:\s+(?P<value>.*))?$")
ROLE = re.compile(r"\{(?P<name>[A-Za-z][\w:.-]*)\}$")
TARGET = re.compile(r"^\((?P<label>[^()\s]+)\)=\s*$")
HEADING = re.compile(r"^(?P<level>#{1,6})\s+(?P<title>.+?)\s*#*\s*$")
EQUATION = re.compile(r"\$\$\s*\((?P<label>[^()\s]+)\)\s*$")  # the closing $$ of a labelled display equation
EXPLICIT = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^<>]+)>$", re.DOTALL)


@cache
def bibliography_labels() -> ModuleType:
    """``_ext/bibliography_labels.py``: the site's author-year labels, the one definition."""
    spec = importlib.util.spec_from_file_location("bibliography_labels", REPO / "_ext" / "bibliography_labels.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@cache
def repository() -> tuple[str, str]:
    """("owner/name", branch) of the repository configured in _config.yml."""
    config = yaml.safe_load((REPO / "_config.yml").read_text(encoding="utf-8"))["repository"]
    return config["url"].removeprefix("https://github.com/").strip("/"), config["branch"]


def site_url() -> str:
    """Where the website is published: the GitHub Pages address of the configured repository."""
    owner, name = repository()[0].split("/")
    return f"https://{owner.lower()}.github.io/{name}/"


def source_url(path: str) -> str:
    return f"https://github.com/{repository()[0]}/blob/{repository()[1]}/{path}"


def raw_url(path: str) -> str:
    return f"https://raw.githubusercontent.com/{repository()[0]}/{repository()[1]}/{path}"


def is_notebook_page(md: Path) -> bool:
    """A page with a MyST notebook header (``kernelspec``): the pages that get a Colab button."""
    text = md.read_text(encoding="utf-8")
    if not text.startswith("---\n"):
        return False
    header = yaml.safe_load(text.split("\n---\n", 1)[0].removeprefix("---\n")) or {}
    return "kernelspec" in header


def notebook_pages() -> list[Path]:
    return sorted(md for md in BOOK.glob("*.md") if is_notebook_page(md))


def build_glue(stem: str) -> dict[str, dict] | None:
    """The glued data (mime type → text) of the last book build for page ``stem``: myst-nb writes every glue output
    of a page to ``_build/jupyter_execute/book/<page>.glue.json`` beside the executed copy."""
    path = GLUE_DIR / f"{stem}.glue.json"
    if not path.exists():
        return None
    outputs = json.loads(path.read_text(encoding="utf-8"))
    return {name: {mime: text for mime, text in output.get("data", {}).items() if mime in GLUE_MIMES}
            for name, output in outputs.items()}


def stored_glue(ipynb: Path) -> dict[str, dict | None]:
    """The glue values a generated notebook was made with: text from its metadata, figures from its attachments."""
    if not ipynb.exists():
        return {}
    notebook = nbformat.read(ipynb, as_version=4)
    glue = notebook.metadata.get("lmtutorial", {}).get("glue", {})
    for cell in notebook.cells:
        for name, data in cell.get("attachments", {}).items():
            key = name.removesuffix(".png")
            if glue.get(key) is not None:
                glue[key] = {**glue[key], **data}
    return glue


def format_glue(data: dict, spec: str, mime: str = "text/plain") -> str:
    """myst-nb's rule for ``{glue:text}`name:spec```: literal-evaluate text/plain, then ``format(value, spec)``."""
    text = data.get(mime, data.get("text/plain", ""))
    if mime != "text/plain":
        return text
    try:
        value = ast.literal_eval(text)
    except (SyntaxError, ValueError):
        value = text
    if not spec:
        return str(value)
    kind = spec[-1]
    if kind in "bcdoxX":
        value = int(value)
    elif kind in "eEfFgGn%":
        value = float(value)
    elif kind == "s":
        value = str(value)
    return format(value, spec)


# --------------------------------------------------------------------------------------------------------------
# What the whole book defines: page titles, labels, glossary terms, the bibliography.


@dataclass
class Book:
    """Targets of cross-references across all pages, and the bibliography."""

    site: str = field(default_factory=site_url)

    @cached_property
    def pages(self) -> dict[str, str]:
        """Page stem → its title (the first ``#`` heading)."""
        titles = {}
        for md in sorted(BOOK.glob("*.md")):
            match = re.search(r"^# (.+)$", md.read_text(encoding="utf-8"), re.MULTILINE)
            titles[md.stem] = plain(match.group(1)) if match else md.stem
        return titles

    @cached_property
    def labels(self) -> dict[str, tuple[str, str, str]]:
        """Label → (page stem, anchor, title) for ``(label)=`` targets and ``:name:``/``:label:`` options."""
        found = {}
        for md in sorted(BOOK.glob("*.md")):
            lines = md.read_text(encoding="utf-8").splitlines()
            exercises = 0
            for number, line in enumerate(lines):
                equation = EQUATION.search(line)
                if equation:
                    label = equation.group("label")
                    found[label] = (md.stem, f"equation-{label}", "equation")
                target = TARGET.match(line)
                if target:
                    heading = next((HEADING.match(after) for after in lines[number + 1:] if after.strip()), None)
                    title = plain(heading.group("title")) if heading else target.group("label")
                    found[target.group("label")] = (md.stem, make_id(target.group("label")), title)
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
                        found[label] = (md.stem, make_id(label) if option.group("key") == "name" else label, title)
        return found

    @cached_property
    def numbers(self) -> dict[str, str]:
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

    @cached_property
    def glossary(self) -> dict[str, tuple[str, str]]:
        """Glossary term (lower case) → (page stem, anchor)."""
        terms = {}
        for md in sorted(BOOK.glob("*.md")):
            for block in blocks(md.read_text(encoding="utf-8").splitlines()):
                if isinstance(block, Directive) and block.name == "glossary":
                    for synonyms, _ in glossary_entries(block.body):
                        for term in synonyms:
                            terms[term.lower()] = (md.stem, _make_id(f"term-{term}"))
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


def plain(text: str) -> str:
    """Heading or title text without Markdown code marks or roles."""
    text = re.sub(r"\{[\w:.-]+\}`([^`]*)`", lambda m: EXPLICIT.sub(r"\g<text>", m.group(1)), text)
    return text.replace("`", "").strip()


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


# --------------------------------------------------------------------------------------------------------------
# Block structure of a Markdown cell: text, fenced code, directives.


@dataclass
class Directive:
    name: str
    argument: str
    options: dict[str, str]
    body: list[str]


@dataclass
class Fenced:
    lines: list[str]


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


# --------------------------------------------------------------------------------------------------------------
# One page.


class Page:
    """Converts one MyST page into a Colab notebook."""

    def __init__(self, md: Path, glue: dict[str, dict | None], book: Book):
        self.md = md
        self.glue = glue
        self.book = book
        self.used_glue: dict[str, dict | None] = {}
        self.exercises: dict[str, str] = {}  # label → number
        self.warnings: list[str] = []
        self.attachments: dict[str, dict] = {}  # images of the markdown cell being converted

    # ---- inline roles

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
        explicit = EXPLICIT.match(content)
        text, target = (explicit.group("text"), explicit.group("target")) if explicit else ("", content)
        if name in ("glue", "glue:text", "glue:any", "glue:md"):
            key, _, spec = target.partition(":")
            key = key.split("::")[-1]
            data = self.glue.get(key)
            self.used_glue[key] = data
            if data is None:
                return MISSING_GLUE.format(name=key)
            return format_glue(data, spec if name != "glue:md" else "",
                               "text/markdown" if name == "glue:md" else "text/plain")
        if name.startswith("cite"):
            return self.cite(name, content)
        if name == "doc":
            stem = Path(target).name.removesuffix(".md")
            return f"[{self.inline(text) or self.book.pages.get(stem, stem)}]({self.book.url(stem)})"
        if name in ("ref", "numref", "prf:ref"):
            if target not in self.book.labels:
                raise ValueError(f"{self.md.name}: unknown label {target!r} in {{{name}}}`{content}`")
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
        if name == "term":
            term = target.strip()
            stem, anchor = self.book.glossary.get(term.lower(), ("ch01_background", _make_id(f"term-{term}")))
            return f"[{text or term}]({self.book.url(stem, anchor)})"
        if name == "eq":
            stem, anchor, _ = self.book.labels.get(target, (self.md.stem, f"equation-{target}", ""))
            number = self.book.numbers.get(target)
            label = text or (f"({number})" if number else "the equation")
            return f"[{label}]({self.book.url(stem, anchor)})"
        if name == "math":
            return f"${content}$"
        if name in ("sub", "sup"):
            return f"<{name}>{content}</{name}>"
        if name in ("code", "literal", "kbd", "file", "samp", "command", "program", "guilabel"):
            return f"`{content}`"
        if name == "download":
            path = (self.md.parent / target).resolve().relative_to(REPO).as_posix()
            return f"[{text or Path(target).name}]({source_url(path)})"
        if name == "abbr":
            return EXPLICIT.sub(r"\g<text>", content) if explicit else content
        self.warnings.append(f"{self.md.name}: unknown role {{{name}}}, kept as text")
        return content

    def cite(self, name: str, content: str) -> str:
        pre, keys, post = split_keys(content)
        authors, years, links = [], [], []
        labels = bibliography_labels()
        for key in keys:
            entry = self.book.bibliography.get(key)
            if entry is None:
                raise ValueError(f"{self.md.name}: {{{name}}}`{content}` cites {key!r}, which is not in references.bib")
            who, _, year = labels.author_year(entry).rpartition(", ")
            authors.append(decode_latex(who))
            years.append(year)
            links.append(cite_link(entry, self.book))
        if name in ("cite:t", "cite:ts"):
            parts = [f"[{who} ({year})]({link})" for who, year, link in zip(authors, years, links)]
            return ", ".join(parts)
        if name == "cite:year":
            return "; ".join(f"[{year}]({link})" for year, link in zip(years, links))
        if name == "cite:author":
            return ", ".join(f"[{who}]({link})" for who, link in zip(authors, links))
        parts = [f"[{who}, {year}]({link})" for who, year, link in zip(authors, years, links)]
        inside = "; ".join(parts)
        inside = f"{pre} {inside}".strip() if pre else inside
        inside = f"{inside}, {post}" if post else inside
        return inside if name == "cite:alp" else f"({inside})"

    # ---- blocks

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
        name = block.name
        if name == "literalinclude":
            return self.literalinclude(block)
        if name in ("code-block", "code", "sourcecode"):
            return [f"```{block.argument}", *block.body, "```"]
        if name == "mermaid":
            return ["```mermaid", *block.body, "```"]
        if name == "math":
            number = self.book.numbers.get(block.options.get("label", ""))
            return ["$$", *block.body, *([f"\\tag{{{number}}}"] if number else []), "$$"]
        if name in ("figure", "image"):
            return self.figure(block)
        if name in ("glue", "glue:any", "glue:figure", "glue:math", "glue:md"):
            return self.glued_block(block)
        if name == "bibliography":
            return self.bibliography()
        if name == "glossary":
            return [f"- {', '.join(f'**{term}**' for term in terms)}: {self.inline(' '.join(definition.split()))}"
                    for terms, definition in glossary_entries(block.body)]
        if name in ("exercise", "exercise-start"):
            label = block.options.get("label", f"exercise-{len(self.exercises) + 1}")
            number = self.book.numbers.get(label, str(len(self.exercises) + 1))
            self.exercises[label] = number
            title = f"Exercise {number}" + (f" ({self.inline(block.argument)})" if block.argument else "")
            return self.quote(title, block.body) if name == "exercise" else [f"**{title}**"]
        if name in ("solution", "solution-start"):
            number = self.exercises.get(block.argument)
            title = f"Solution to Exercise {number}" if number else "Solution"
            return self.quote(title, block.body) if name == "solution" else [f"**{title}**"]
        if name in ("solution-end", "exercise-end", "toctree"):
            return []
        if name == "tableofcontents":
            return [f"The chapters are listed on the [website]({self.book.site})."]
        if name == "errata-list":
            return [f"The list of errata is on the [website]({self.book.url(self.md.stem)})."]
        if name == "raw":
            return block.body if block.argument == "html" else []
        if name == "admonition":
            return self.quote(self.inline(block.argument), block.body)
        if name in ADMONITIONS:
            title = self.inline(block.argument) if block.argument else ADMONITIONS[name]
            return self.quote(title, block.body)
        self.warnings.append(f"{self.md.name}: directive {{{name}}} rendered as a quoted box")
        return self.quote(f"{name.capitalize()}: {self.inline(block.argument)}".rstrip(": "), block.body)

    def glued_block(self, block: Directive) -> list[str]:
        """A glued output shown as a block: its text where it has one, else a link to it on the website."""
        key = block.argument.split("::")[-1]
        data = self.glue.get(key)
        self.used_glue[key] = data
        if data is None:
            return [MISSING_GLUE.format(name=key)]
        caption = self.inline(" ".join(line.strip() for line in block.body if line.strip()))
        if block.name == "glue:math" and "text/latex" in data:
            shown = [data["text/latex"].strip()]
        elif "text/markdown" in data:
            shown = data["text/markdown"].splitlines()
        elif "image/png" in data:
            self.attachments[f"{key}.png"] = {"image/png": data["image/png"]}
            number = self.book.numbers.get(block.options.get("name", ""))
            shown = [f"![{f'Fig. {number}' if number else 'Figure'}](attachment:{key}.png)"]
            caption = f"Fig. {number} {caption}" if number and caption else caption
        elif block.name == "glue:figure":
            shown = [f"[The figure is on the website]({self.book.url(self.md.stem)})."]
        else:
            shown = ["```", *format_glue(data, "").splitlines(), "```"]
        return shown + (["", f"*{caption}*"] if caption else [])

    def quote(self, title: str, body: list[str]) -> list[str]:
        inner = self.convert(body)
        while inner and not inner[0].strip():
            inner.pop(0)
        while inner and not inner[-1].strip():
            inner.pop()
        collapsed = re.sub(r"\n{3,}", "\n\n", "\n".join(inner)).split("\n") if inner else []
        lines = ([f"**{title}**", ""] if title else []) + collapsed
        return [f"> {line}".rstrip() for line in lines]

    def literalinclude(self, block: Directive) -> list[str]:
        path = (self.md.parent / block.argument).resolve()
        options = {key: LiteralInclude.option_spec[key](value or None) for key, value in block.options.items()
                   if key in LiteralInclude.option_spec}
        code, _ = LiteralIncludeReader(str(path), options, SimpleNamespace(source_encoding="utf-8-sig")).read()
        relative = path.relative_to(REPO).as_posix()
        what = f"`{block.options['pyobject']}` from " if "pyobject" in block.options else ""
        caption = block.options.get("caption")
        header = [f"*{self.inline(caption)}*", ""] if caption else []
        return [*header, f"{what}[`{relative}`]({source_url(relative)}):", "",
                f"```{block.options.get('language', 'python')}", *code.rstrip("\n").split("\n"), "```"]

    def figure(self, block: Directive) -> list[str]:
        target = block.argument
        if not re.match(r"^[a-z]+://", target):
            target = raw_url((self.md.parent / target).resolve().relative_to(REPO).as_posix())
        caption = " ".join(line.strip() for line in block.body if line.strip())
        alt = block.options.get("alt", plain(caption) or Path(block.argument).stem)
        number = self.book.numbers.get(block.options.get("name", ""))
        caption = self.inline(caption)
        caption = f"Fig. {number} {caption}" if number and caption else caption
        return [f"![{alt}]({target})"] + (["", f"*{caption}*"] if caption else [])

    def bibliography(self) -> list[str]:
        from pybtex.backends.markdown import Backend

        labels = bibliography_labels()
        register_plugin("pybtex.style.labels", "author_year", labels.AuthorYearLabelStyle, force=True)
        style = labels.PlainAuthorYearStyle()
        data = parse_file(str(REPO / "references.bib"))
        backend = Backend()
        lines = []
        for formatted in style.format_bibliography(data, citations=self.book.cited_keys()):
            text = re.sub(r"\\([.\-()#_])", r"\1", formatted.text.render(backend).replace("\n", " "))
            lines.append(f"- [{decode_latex(formatted.label)}] {text}")
        return lines

    # ---- the notebook

    def notebook(self) -> nbformat.NotebookNode:
        source = jupytext.read(self.md, fmt="md:myst")
        cells = []
        for cell in source.cells:
            if cell.cell_type == "markdown":
                text = self.markdown(cell.source)
                if text.strip():
                    cells.append(nbformat.v4.new_markdown_cell(text))
                    if self.attachments:
                        cells[-1].attachments = dict(sorted(self.attachments.items()))
                self.attachments = {}
                continue
            tags = list(cell.metadata.get("tags", []))
            metadata = {key: value for key, value in cell.metadata.items()}
            jupyter = {}
            if HIDDEN_SOURCE & set(tags):
                jupyter["source_hidden"] = True
            if HIDDEN_OUTPUT & set(tags):
                jupyter["outputs_hidden"] = True
            if jupyter:
                metadata["jupyter"] = jupyter
            cells.append(nbformat.v4.new_code_cell(cell.source, metadata=metadata))
        for number, cell in enumerate(cells):
            cell.id = f"cell-{number:03d}"
        metadata = {key: value for key, value in source.metadata.items() if key != "jupytext"}
        metadata["lmtutorial"] = {
            "source": self.md.relative_to(REPO).as_posix(),
            "generated_by": "tools/colab_notebooks.py (make notebooks); edit the .md, not this file",
            "glue": {name: value if value is None else {mime: text for mime, text in value.items()
                                                        if mime.startswith("text/")}
                     for name, value in sorted(self.used_glue.items())},
        }
        return nbformat.v4.new_notebook(cells=cells, metadata=metadata)


def decode_latex(text: str) -> str:
    return codecs.decode(text, "ulatex").replace("{", "").replace("}", "")


def cite_link(entry: Entry, book: Book) -> str:
    if "doi" in entry.fields:
        return f"https://doi.org/{entry.fields['doi']}"
    if "url" in entry.fields:
        return entry.fields["url"]
    return book.url(book.bibliography_page)


# --------------------------------------------------------------------------------------------------------------


def render(md: Path, glue_source: Callable[[Path], dict[str, dict | None]], book: Book | None = None,
           ) -> tuple[str, list[str]]:
    """The notebook JSON for page ``md`` and the warnings; ``glue_source`` maps the page to its glue outputs."""
    page = Page(md, glue_source(md), book or Book())
    notebook = page.notebook()
    nbformat.validate(notebook)
    missing = [name for name, value in page.used_glue.items() if value is None]
    if missing:
        page.warnings.append(f"{md.name}: no built value for {', '.join(missing)} (build the book, then rerun)")
    return nbformat.writes(notebook) + "\n", page.warnings


def last_build_glue(md: Path) -> dict[str, dict | None]:
    """The last build's values where the build has them, else the values stored in the committed notebook."""
    return {**stored_glue(md.with_suffix(".ipynb")), **(build_glue(md.stem) or {})}


def committed_glue(md: Path) -> dict[str, dict | None]:
    return stored_glue(md.with_suffix(".ipynb"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pages", nargs="*", type=Path, help="book/*.md pages (default: every notebook page)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if a committed notebook differs from its page")
    args = parser.parse_args(argv)
    pages = [page.resolve() for page in args.pages] or notebook_pages()
    book = Book()
    stale, failed = [], []
    for md in pages:
        if md.suffix != ".md" or not md.exists():
            parser.error(f"expected a book/*.md page, got {md}")
        ipynb = md.with_suffix(".ipynb")
        try:
            text, warnings = render(md, committed_glue if args.check else last_build_glue, book)
        except (ValueError, OSError) as error:  # an unknown label or citation, a missing listed file: next page
            print(f"error: {error}", file=sys.stderr)
            failed.append(md.name)
            continue
        for warning in warnings:
            print(f"warning: {warning}", file=sys.stderr)
        current = ipynb.read_text(encoding="utf-8") if ipynb.exists() else None
        if text == current:
            continue
        if args.check:
            stale.append(ipynb.name)
        else:
            ipynb.write_text(text, encoding="utf-8")
            print(f"wrote {ipynb.relative_to(REPO)}")
    if stale:
        print(f"stale notebooks (run `make notebooks`): {', '.join(stale)}", file=sys.stderr)
    if failed:
        print(f"not converted: {', '.join(failed)}", file=sys.stderr)
    return 1 if stale or failed else 0


if __name__ == "__main__":
    sys.exit(main())
