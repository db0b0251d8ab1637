"""Citations read "(Author, Year)" / "Author (Year)" and link to the DOI or URL in ``references.bib`` (else to the
website's bibliography page); ``{bibliography}`` becomes a list of the cited works. The author-year labels are the
site's own (``_ext/bibliography_labels.py``)."""

from __future__ import annotations

import codecs
import importlib.util
import re
from functools import cache
from types import ModuleType

import latexcodec  # noqa: F401 - registers the "ulatex" codec used for author names
from pybtex.database import Entry, parse_file
from pybtex.plugin import register_plugin

from .book import Book
from .myst import split_keys
from .repo import REPO


@cache
def bibliography_labels() -> ModuleType:
    """``_ext/bibliography_labels.py``: the site's author-year labels, the one definition."""
    spec = importlib.util.spec_from_file_location("bibliography_labels", REPO / "_ext" / "bibliography_labels.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def decode_latex(text: str) -> str:
    return codecs.decode(text, "ulatex").replace("{", "").replace("}", "")


def cite_link(entry: Entry, book: Book) -> str:
    if "doi" in entry.fields:
        return f"https://doi.org/{entry.fields['doi']}"
    if "url" in entry.fields:
        return entry.fields["url"]
    return book.url(book.bibliography_page)


def citation(name: str, content: str, book: Book, where: str) -> str:
    """The Markdown of the role ``{name}`content``` (``cite:p``, ``cite:t``, ...) on page ``where``."""
    pre, keys, post = split_keys(content)
    authors, years, links = [], [], []
    labels = bibliography_labels()
    for key in keys:
        entry = book.bibliography.get(key)
        if entry is None:
            raise ValueError(f"{where}: {{{name}}}`{content}` cites {key!r}, which is not in references.bib")
        who, _, year = labels.author_year(entry).rpartition(", ")
        authors.append(decode_latex(who))
        years.append(year)
        links.append(cite_link(entry, book))
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


def bibliography_list(book: Book) -> list[str]:
    """``{bibliography}``: one bullet per work cited in the book, formatted as on the site."""
    from pybtex.backends.markdown import Backend

    labels = bibliography_labels()
    register_plugin("pybtex.style.labels", "author_year", labels.AuthorYearLabelStyle, force=True)
    style = labels.PlainAuthorYearStyle()
    data = parse_file(str(REPO / "references.bib"))
    backend = Backend()
    lines = []
    for formatted in style.format_bibliography(data, citations=book.cited_keys()):
        text = re.sub(r"\\([.\-()#_])", r"\1", formatted.text.render(backend).replace("\n", " "))
        lines.append(f"- [{decode_latex(formatted.label)}] {text}")
    return lines
