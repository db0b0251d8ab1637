"""Every chapter is a MyST notebook (the source) with a committed, output-free .ipynb generated from it for Colab and
nbval by ``make notebooks`` (tools/colab_notebooks.py), which must be fresh; and a chapter that reads IMDb checks for
it first, so a reader without the data stops at once with one message saying how to get it."""

from __future__ import annotations

from pathlib import Path

import jupytext
import nbformat
import pytest
from conftest import REPO, tool_module

BOOK = REPO / "book"
CHAPTERS = sorted(p for p in BOOK.glob("*.md") if p.read_text(encoding="utf-8").startswith("---\njupytext:"))
colab = tool_module("colab_notebooks")
READS_IMDB = [p for p in CHAPTERS if "load_imdb(" in p.read_text(encoding="utf-8")]


def test_there_are_chapter_notebooks():
    assert len(CHAPTERS) >= 1


def test_the_generator_makes_a_notebook_for_every_chapter():
    assert colab.notebook_pages() == CHAPTERS


@pytest.mark.parametrize("md", CHAPTERS, ids=lambda p: p.name)
def test_notebook_is_fresh(md: Path):
    """Regenerating with the glue values stored in the notebook gives the committed file byte for byte: stable
    across builds (timings differ), and stale whenever the page, a listed source file or references.bib changed."""
    ipynb = md.with_suffix(".ipynb")
    assert ipynb.exists(), f"{ipynb.name} is missing: run `make notebooks`"
    expected, _ = colab.render(md, colab.committed_glue)
    assert ipynb.read_text(encoding="utf-8") == expected, (
        f"{ipynb.name} is stale with respect to {md.name}: run `make notebooks` (after `make book`, for the numbers)")


@pytest.mark.parametrize("md", CHAPTERS, ids=lambda p: p.name)
def test_notebook_is_not_a_jupytext_pair(md: Path):
    """Saved in Jupyter with jupytext, a paired notebook would overwrite the .md with generated Markdown."""
    stored = nbformat.read(md.with_suffix(".ipynb"), as_version=4)
    assert "jupytext" not in stored.metadata, f"{md.with_suffix('.ipynb').name}: run `make notebooks`"
    assert stored.metadata["lmtutorial"]["source"] == md.relative_to(REPO).as_posix()


@pytest.mark.parametrize("md", CHAPTERS, ids=lambda p: p.name)
def test_ipynb_is_stored_without_outputs(md: Path):
    stored = nbformat.read(md.with_suffix(".ipynb"), as_version=4)
    for cell in stored.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, f"{md.with_suffix('.ipynb').name} has outputs"


@pytest.mark.parametrize("md", CHAPTERS, ids=lambda p: p.name)
def test_pairing_metadata(md: Path):
    notebook = jupytext.read(md)
    assert notebook.metadata["jupytext"]["formats"] in ("md:myst", "ipynb,md:myst")
    assert notebook.metadata["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("md", READS_IMDB, ids=lambda p: p.name)
def test_a_chapter_that_reads_imdb_requires_it_right_after_its_imports(md: Path):
    code = [cell.source for cell in jupytext.read(md).cells if cell.cell_type == "code"]
    # code[0] installs the package on Colab, code[1] imports; the next cell checks for the data
    assert len(code) > 2 and "require_imdb()" in code[2], (
        f"{md.name} reads IMDb: the first code cell after the imports must call "
        f"lmtutorial.data.imdb.require_imdb(), got {code[2] if len(code) > 2 else None!r}")
    assert not any("load_imdb(" in source for source in code[:3]), (
        f"{md.name} reads IMDb before require_imdb() has checked that it is there")
