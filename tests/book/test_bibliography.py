"""The bibliography of the built site (chapter 10) is labelled like the book's author-year citations.

``_ext/bibliography_labels.py`` gives every entry a label such as "Devlin et al., 2019"; each citation in the text,
"(Devlin et al., 2019)" or "Devlin et al. [2019]", links to the entry whose label has the same author and year.
"""

from __future__ import annotations

import re
import sys
from html import unescape

import pytest
from pybtex.database import parse_file

from builtsite import REPO, site_dir, toc_files

ENTRY = re.compile(
    r'<div class="citation" id="(id\d+)" role="doc-biblioentry">\s*<span class="label">(.*?)</span></span>', re.DOTALL
)
CITATION = re.compile(
    r'<a class="reference internal" href="(?:ch10_references\.html)?#(id\d+)" title="[^"]*">(.*?)</a>'
)
LABEL = re.compile(r"^\S.*, (\d{4})[a-z]?$")


def text_of(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", "", html)).split()).strip("[] ")  # nbsp and newlines: one space


def bibliography_labels() -> dict[str, str]:
    page = (site_dir() / "book" / "ch10_references.html").read_text(encoding="utf-8")
    return {anchor: text_of(label) for anchor, label in ENTRY.findall(page)}


@pytest.mark.site
def test_every_entry_has_a_unique_author_year_label():
    labels = bibliography_labels()
    entries = len(parse_file(REPO / "references.bib").entries)
    assert len(labels) == entries, f"{len(labels)} labelled entries on the page, {entries} in references.bib"
    bad = [label for label in labels.values() if not LABEL.match(label)]
    assert not bad, f"labels not of the form 'Author, 2019': {bad}"
    assert len(set(labels.values())) == len(labels), "two entries share a label"


@pytest.mark.site
def test_citations_in_the_text_match_their_entry_label():
    labels = bibliography_labels()
    checked = 0
    for name in toc_files():
        page = (site_dir() / f"{name}.html").read_text(encoding="utf-8")
        for anchor, text in CITATION.findall(page):
            if anchor not in labels:
                continue  # a link to another target on the page, not a citation
            cited, label = text_of(text), labels[anchor]
            year = re.search(r"\d{4}", cited)
            assert year and year.group() == LABEL.match(label).group(1), f"{name}: '{cited}' links to '{label}'"
            if not cited[0].isdigit():  # parenthetical: "Devlin et al., 2019"; textual citations show only the year
                assert label.startswith(cited.split(",")[0]), f"{name}: '{cited}' links to '{label}'"
            checked += 1
    assert checked > 50, f"only {checked} citations found: has the HTML of citations changed?"


def test_labels_disambiguate_equal_author_and_year():
    sys.path.insert(0, str(REPO / "_ext"))
    try:
        from bibliography_labels import AuthorYearLabelStyle
    finally:
        sys.path.remove(str(REPO / "_ext"))
    bib = parse_file(REPO / "references.bib")
    labels = dict(zip(bib.entries, AuthorYearLabelStyle().format_labels(bib.entries.values())))
    assert labels["hochreiter1997lstm"] == "Hochreiter and Schmidhuber, 1997"
    assert labels["devlin2019bert"] == "Devlin et al., 2019"
    touvron = sorted(label for label in labels.values() if label.startswith("Touvron et al., 2023"))
    assert touvron == ["Touvron et al., 2023a", "Touvron et al., 2023b"]


def test_neurips_proceedings_are_named_for_their_year():
    """The conference was NIPS until 2017 and NeurIPS from 2018: a citation uses the name its proceedings carry."""
    wrong = []
    for key, entry in parse_file(REPO / "references.bib").entries.items():
        venue = entry.fields.get("booktitle", "") + entry.fields.get("journal", "")
        year = int(entry.fields["year"])
        if re.search(r"\bNeurIPS\b", venue) and year < 2018 or re.search(r"\bNIPS\b", venue) and year >= 2018:
            wrong.append(f"{key} ({year}): {venue}")
    assert not wrong, f"NIPS before 2018, NeurIPS from 2018: {wrong}"


def test_preprints_that_were_published_are_cited_in_their_published_version():
    published = {"magesh2025legal": "Journal of Empirical Legal Studies",
                 "brynjolfsson2025genai": "The Quarterly Journal of Economics", "deepseek2025r1": "Nature"}
    entries = parse_file(REPO / "references.bib").entries
    cited = {key: entries[key].fields.get("journal", "") for key in published}
    assert cited == published
