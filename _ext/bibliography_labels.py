"""Sphinx extension: author-year labels in the bibliography, matching the author-year citations in the text.

The book cites with ``bibtex_reference_style: author_year``, so the text reads "(Devlin et al., 2019)". pybtex's
formatting styles label the bibliography's entries differently ("[DCLT19]" for ``alpha``, "[1]" for ``plain``). This
registers ``plain_author_year``: pybtex's ``plain`` formatting with labels in the citations' own form, used through
``bibtex_default_style`` in ``_config.yml``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from string import ascii_lowercase

from pybtex.backends.plaintext import Backend as PlainText
from pybtex.database import Entry
from pybtex.plugin import register_plugin
from pybtex.style.formatting.plain import Style as PlainStyle
from pybtex.style.labels import BaseLabelStyle
from sphinx.application import Sphinx


def author_year(entry: Entry) -> str:
    """"Hochreiter and Schmidhuber, 1997", "Devlin et al., 2019", or the organisation's name for a corporate author."""
    persons = entry.persons.get("author") or entry.persons.get("editor") or []
    text = PlainText()  # render(text) is render_as("text") without looking the backend up among entry points each time
    surnames = [" ".join(name.render(text) for name in person.rich_last_names) or
                " ".join(name.render(text) for name in person.rich_first_names) for person in persons]
    if not surnames:
        who = entry.fields.get("organization") or entry.fields.get("title", entry.key)
    elif len(surnames) == 1:
        who = surnames[0]
    elif len(surnames) == 2:
        who = f"{surnames[0]} and {surnames[1]}"
    else:
        who = f"{surnames[0]} et al."
    return f"{who}, {entry.fields.get('year', 'n.d.')}"


class AuthorYearLabelStyle(BaseLabelStyle):
    """Labels like the text's citations; equal labels get a, b, ... after the year, in bibliography order."""

    def format_labels(self, sorted_entries: Iterable[Entry]) -> Iterator[str]:
        entries = list(sorted_entries)
        labels = [author_year(entry) for entry in entries]
        total = Counter(labels)
        seen: Counter[str] = Counter()
        for label in labels:
            if total[label] > 1:
                yield label + ascii_lowercase[seen[label]]
                seen[label] += 1
            else:
                yield label


class PlainAuthorYearStyle(PlainStyle):
    """pybtex's ``plain`` formatting (sorted by author, year, title) with author-year labels."""

    default_label_style = "author_year"


def setup(app: Sphinx) -> dict[str, object]:
    register_plugin("pybtex.style.labels", "author_year", AuthorYearLabelStyle)
    register_plugin("pybtex.style.formatting", "plain_author_year", PlainAuthorYearStyle)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
