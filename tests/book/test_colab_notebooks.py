"""The Colab notebooks read like the website (issue 14).

``tools/colab_notebooks.py`` (``make notebooks``) generates ``book/<page>.ipynb`` from every notebook page. On each
committed notebook this checks: no MyST role or directive is left, every ``literalinclude`` listing is there as
code, every glued number is the value of the last build (no glue printout, no placeholder), every citation is an
author-year link, and the code cells are the page's own (so nbval executes what the site executed). The converter
itself is checked on small pages. Freshness (regenerating gives the committed file) is in tests/book/test_notebooks.py.
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
from pathlib import Path
from types import SimpleNamespace

import jupytext
import nbformat
import pytest
from conftest import REPO, tool_module
from sphinx.directives.code import LiteralInclude, LiteralIncludeReader


colab = tool_module("colab_notebooks")
PAGES = colab.notebook_pages()
ROLE = re.compile(r"\{[A-Za-z][\w:.-]*\}`")
DIRECTIVE = re.compile(r"^\s*(?:`{3,}|~{3,})\s*\{[\w:.-]+\}|^\s*:{3,}", re.MULTILINE)
# labels, comments, equation labels
MYST_LINE = re.compile(r"^\([^()\s]+\)=\s*$|^%|\$\$\s*\([^()\s]+\)\s*$", re.MULTILINE)
# plain fenced code (not a directive)
FENCED = re.compile(r"^(?P<fence>`{3,}|~{3,})(?!\s*\{)[^\n]*\n.*?^(?P=fence)\s*$", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"(?<![}`])(?P<ticks>`{1,2})(?!`).+?(?<!`)(?P=ticks)(?!`)", re.DOTALL)  # not fences
GLUE = re.compile(r"\{glue(?::\w+)?\}`(?:[^`]*::)?([\w.-]+)(?::[^`]*)?`")
CITE = re.compile(r"\{cite(?::\w+)?\}`([^`]*)`")


@pytest.fixture(scope="module")
def book():
    return colab.Book()


def markdown(notebook: nbformat.NotebookNode) -> str:
    return "\n\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")


def outside_code(text: str) -> str:
    """Markdown with fenced code blocks and code spans removed: code may contain anything."""
    return CODE_SPAN.sub("", FENCED.sub("", text))


def myst_markup(text: str) -> list[str]:
    prose = outside_code(text)
    return ROLE.findall(prose) + [m.group().strip() for m in DIRECTIVE.finditer(prose)] + MYST_LINE.findall(prose)


def committed(page: Path) -> nbformat.NotebookNode:
    ipynb = page.with_suffix(".ipynb")
    if not ipynb.exists():
        pytest.fail(f"{ipynb.name} is missing: run `make notebooks`")
    return nbformat.read(ipynb, as_version=4)


def listings(page: Path) -> list[str]:
    """Every literalinclude of the page as the site shows it, read by Sphinx's own reader."""
    found = []
    text = page.read_text(encoding="utf-8")
    for match in re.finditer(r"^```+\{literalinclude\}\s*(\S+)\n((?::[\w-]+:.*\n)*)", text, re.MULTILINE):
        options = dict(re.findall(r"^:([\w-]+):\s*(.*)$", match.group(2), re.MULTILINE))
        options = {key: LiteralInclude.option_spec[key](value or None) for key, value in options.items()}
        reader = LiteralIncludeReader(str(page.parent / match.group(1)), options,
                                      SimpleNamespace(source_encoding="utf-8-sig"))
        found.append(reader.read()[0].rstrip("\n"))
    return found


def test_there_are_notebook_pages():
    assert PAGES and all(page.parent == REPO / "book" for page in PAGES)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_no_myst_markup_is_left(page: Path):
    leftovers = myst_markup(markdown(committed(page)))
    assert not leftovers, f"{page.with_suffix('.ipynb').name} shows raw MyST markup in Colab: {leftovers[:10]}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_listing_is_in_the_notebook(page: Path):
    text = markdown(committed(page))
    missing = [code.splitlines()[0] for code in listings(page) if code not in text]
    assert not missing, f"{page.with_suffix('.ipynb').name} lacks the listings that start {missing}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_glued_number_has_the_value_of_the_build(page: Path):
    notebook = committed(page)
    names = set(GLUE.findall(page.read_text(encoding="utf-8")))
    stored = notebook.metadata.get("lmtutorial", {}).get("glue", {})
    without = sorted(name for name in names if not stored.get(name))
    assert not without, (f"{page.with_suffix('.ipynb').name}: no built value for {without}: build the book "
                         "(`make book`), then `make notebooks`")
    placeholder = colab.MISSING_GLUE.format(name="")
    assert placeholder not in markdown(notebook)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_citations_are_author_year_links(page: Path, book):
    text = markdown(committed(page))
    keys = {key for content in CITE.findall(page.read_text(encoding="utf-8"))
            for key in colab.split_keys(content)[1]}
    for key in sorted(keys):
        link = colab.cite_link(book.bibliography[key], book)
        assert re.search(rf"\[[^\]]+,? \(?\d{{4}}[a-z]?\)?\]\({re.escape(link)}\)", text), (
            f"{page.with_suffix('.ipynb').name}: no author-year link to {link} for {key!r}")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_code_cells_are_the_pages_code(page: Path):
    """nbval executes these notebooks: their code cells must be the page's, in order, with the same tags."""
    ours = [(cell.source, cell.metadata.get("tags", [])) for cell in committed(page).cells
            if cell.cell_type == "code"]
    source = [(cell.source, cell.metadata.get("tags", [])) for cell in jupytext.read(page, fmt="md:myst").cells
              if cell.cell_type == "code"]
    assert ours == source, f"{page.with_suffix('.ipynb').name}: code cells differ from {page.name}"


# ---- the converter on small pages


@pytest.fixture()
def page(book):
    def convert(text: str, glue: dict | None = None) -> str:
        return colab.Page(REPO / "book" / "ch99_example.md", glue or {}, book).markdown(text)

    return convert


def test_glue_values_and_format_specs(page):
    glue = {"n": {"text/plain": "'3,000'"}, "x": {"text/plain": "0.12345"}}
    assert page("{glue:text}`n` and {glue:text}`x:.2f` and {glue}`n`", glue) == "3,000 and 0.12 and 3,000"
    assert page("{glue:text}`gone`") == colab.MISSING_GLUE.format(name="gone")


def test_citations_read_author_year_and_link(page, book):
    lstm = colab.cite_link(book.bibliography["hochreiter1997lstm"], book)
    adam = colab.cite_link(book.bibliography["kingma2015adam"], book)
    assert page("{cite:p}`hochreiter1997lstm,kingma2015adam`") == (
        f"([Hochreiter and Schmidhuber, 1997]({lstm}); [Kingma and Ba, 2015]({adam}))")
    assert page("{cite:t}`kingma2015adam`") == f"[Kingma and Ba (2015)]({adam})"
    assert page("a role that wraps {cite:p}`hochreiter1997lstm,\nkingma2015adam`.").startswith(
        "a role that wraps ([Hochreiter")
    with pytest.raises(ValueError, match="not in references.bib"):
        page("{cite:p}`no-such-key`")


def test_cross_references_become_links_to_the_website(page, book):
    assert page("{doc}`ch04_math`") == f"[{book.pages['ch04_math']}]({book.site}book/ch04_math.html)"
    assert page("{doc}`this <ch04_math>`") == f"[this]({book.site}book/ch04_math.html)"
    label, (stem, anchor, title) = next(iter(book.labels.items()))
    assert page(f"{{ref}}`{label}`") == f"[{title}]({book.site}book/{stem}.html#{anchor})"
    with pytest.raises(ValueError, match="unknown label"):
        page("{ref}`no-such-label`")


def test_code_is_left_alone(page):
    text = "`{glue:text}` and ``a `b` c``\n\n```python\nprint('{cite:p}`x`')\n```"
    assert page(text) == text


def test_boxes_become_quotes_with_a_bold_title(page):
    text = ("::::{admonition} Erratum: a title\n:class: erratum\n:name: erratum-x\n\nBody $x$.\n\n"
            ":::{note}\nInner.\n:::\n::::")
    assert page(text) == ("> **Erratum: a title**\n>\n> Body $x$.\n>\n> > **Note**\n> >\n> > Inner.")


def test_exercises_and_solutions(page):
    text = (":::{exercise}\n:label: ex-a\nDo it.\n:::\n\n:::{solution} ex-a\n:class: dropdown\nDone.\n:::\n\n"
            "```{solution-start} ex-a\n:class: dropdown\n```\nWith code.\n```{solution-end}\n```")
    assert page(text) == ("> **Exercise 1**\n>\n> Do it.\n\n> **Solution to Exercise 1**\n>\n> Done.\n\n"
                          "**Solution to Exercise 1**\n\nWith code.")


def test_labels_comments_deflists_mermaid_and_math(page):
    text = ("(sec-a)=\n## A\n% a comment\n`TERM`\n: what it is,\n  on two lines.\n\n"
            "```mermaid\ngraph LR; A-->B\n```\n\n```{math}\na = b\n```")
    assert page(text) == ("## A\n- **`TERM`**: what it is,\n  on two lines.\n\n"
                          "```mermaid\ngraph LR; A-->B\n```\n\n$$\na = b\n$$")


def test_glued_figures_are_attached_and_text_is_shown(page, book):
    glue = {"fig": {"text/plain": "<Figure size 640x480>", "image/png": "iVBORw0KGgo="},
            "t": {"text/plain": "'a  b'"}, "gone": {"text/plain": "<Figure size 640x480>"}}
    converter = colab.Page(REPO / "book" / "ch99_example.md", glue, book)
    assert converter.markdown("```{glue:figure} fig\nA caption.\n```") == (
        "![Figure](attachment:fig.png)\n\n*A caption.*")
    assert converter.attachments == {"fig.png": {"image/png": "iVBORw0KGgo="}}
    assert page("```{glue} t\n```", glue) == "```\na  b\n```"
    assert page("```{glue:figure} gone\n```", glue) == (
        f"[The figure is on the website]({book.site}book/ch99_example.html).")


def test_figures_exercises_and_equations_are_numbered_by_chapter(book):
    """Sphinx numbers them per chapter of the numbered table of contents: 3.1, 3.2, ..."""
    for label, number in book.numbers.items():
        stem = book.labels[label][0]
        chapter = number.split(".")[0]
        assert re.match(rf"ch0*{chapter}_", stem), f"{label} on {stem} numbered {number}"


def test_glossary_becomes_a_list_and_terms_link_to_it(page, book):
    text = ":::{glossary}\nBackpropagation through time\nBPTT\n  Backpropagation through\n  an unrolled network.\n:::"
    assert page(text) == "- **Backpropagation through time**, **BPTT**: Backpropagation through an unrolled network."
    term, (stem, anchor) = next(iter(book.glossary.items()))
    assert page(f"a {{term}}`{term}`") == f"a [{term}]({book.site}book/{stem}.html#{anchor})"


def test_labelled_equations_keep_their_number(page, book):
    label, number = next((label, number) for label, number in book.numbers.items()
                         if book.labels[label][2] == "equation")
    stem = book.labels[label][0]
    assert page(f"$$\na = b\n$$ ({label})") == f"$$\na = b\n\\tag{{{number}}} $$"
    assert page(f"see {{eq}}`{label}`") == f"see [({number})]({book.site}book/{stem}.html#equation-{label})"


def test_literalinclude_is_the_listing_of_the_site(page):
    text = "```{literalinclude} ../lmtutorial/progress.py\n:pyobject: tqdm\n:language: python\n```"
    listing = LiteralIncludeReader(str(REPO / "lmtutorial" / "progress.py"), {"pyobject": "tqdm"},
                                   SimpleNamespace(source_encoding="utf-8-sig")).read()[0]
    converted = page(text)
    assert f"```python\n{listing.rstrip()}\n```" in converted and "lmtutorial/progress.py" in converted


def test_the_markup_check_can_fail():
    assert len(myst_markup("{cite:p}`x`\n:::{note}\nA\n:::\n```{literalinclude} a.py\n```\n(label)=\n% comment\n"
                           "$$\nx\n$$ (eq-x)")) == 7
    assert not myst_markup("`{cite:p}` in prose is code\n```python\n{x}`y`\n```")


def test_glue_prints_nothing_in_colab(monkeypatch):
    """In Colab (no myst-nb) a glue call must not print "name: value": the text already shows the number."""
    from lmtutorial.book import pages

    monkeypatch.setitem(sys.modules, "myst_nb", None)  # importing myst_nb now fails, as on Colab
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        pages.glue("ch00_example", "1,234", display=False)
    assert printed.getvalue() == ""


def test_the_command_reports_a_page_it_cannot_convert_and_goes_on(monkeypatch, capsys):
    def fail(md, glue, book):
        raise ValueError(f"{md.name}: unknown label 'x'")

    monkeypatch.setattr(colab, "render", fail)  # nothing is written
    assert colab.main([str(page) for page in PAGES[:2]]) == 1
    assert f"not converted: {PAGES[0].name}, {PAGES[1].name}" in capsys.readouterr().err
