"""How big is a page's run? One table per page in lmtutorial/book/sizes.py, read in one way: no page keeps a size
dictionary of its own, and each table has every profile, with the same names in each (a
fine-tune's arguments may differ: its defaults fill the rest)."""

from __future__ import annotations

import re

import jupytext
import pytest
from conftest import REPO

from lmtutorial.book.resources import PROFILES
from lmtutorial.book.sizes import page_sizes, SIZES

PAGES = sorted((REPO / "book").glob("*.md"))
INLINE = re.compile(r"""[{,]\s*["'](ci|full)["']\s*:""")  # a profile as a dictionary key


@pytest.mark.parametrize("page", sorted(SIZES))
def test_each_table_names_a_page_and_has_every_profile_with_the_same_names(page):
    assert (REPO / "book" / f"{page}.md").exists()
    assert set(SIZES[page]) == set(PROFILES)
    assert len({tuple(SIZES[page][name]) for name in PROFILES}) == 1


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.stem)
def test_a_page_reads_its_sizes_from_its_table_only(page):
    code = "\n".join(cell.source for cell in jupytext.read(page, fmt="md:myst").cells
                     if cell.cell_type == "code")
    assert not INLINE.findall(code), f"{page.name} keeps a size dictionary of its own"
    for name in re.findall(r"page_sizes\(\"([^\"]+)\"\)", code):
        assert name == page.stem, f"{page.name} reads the sizes of {name}"


def test_an_unknown_page_is_a_clear_error():
    with pytest.raises(KeyError, match="page_sizes: expected one of .*got 'ch99'"):
        page_sizes("ch99")
