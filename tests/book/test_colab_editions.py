"""The Chinese edition's Colab notebooks (``locales/zh_CN/notebooks/book/<page>.ipynb``, ``make notebooks``).

Each is the English notebook with its Markdown translated from the page's catalogue: fresh (regenerated from the
page, the catalogue and the stored numbers it is the committed file byte for byte), the same code cells as the
English notebook (nbval executes those), every translated message of the page used, and no MyST markup left.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import REPO, tool_module
from test_colab_notebooks import myst_markup

colab = tool_module("colab_notebooks")
sys.path.insert(0, str(REPO / "tools"))
from colab.translate import catalogue, translate  # noqa: E402

PAGES = colab.notebook_pages()
CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def editions() -> dict:
    return {language: colab.Book.edition(language) for language in colab.EDITIONS}


def committed(md: Path, language: str) -> nbformat.NotebookNode:
    path = colab.edition_notebook(md, language)
    if not path.exists():
        pytest.fail(f"{path.relative_to(REPO)} is missing: run `make notebooks`")
    return nbformat.read(path, as_version=4)


@pytest.mark.parametrize("language", colab.EDITIONS)
@pytest.mark.parametrize("md", PAGES, ids=lambda p: p.stem)
def test_edition_notebook_is_fresh(md: Path, language: str, editions):
    expected, _ = colab.render(md, colab.committed_glue, editions[language])
    path = colab.edition_notebook(md, language)
    assert path.read_text(encoding="utf-8") == expected, f"{path.relative_to(REPO)} is stale: run `make notebooks`"


@pytest.mark.parametrize("language", colab.EDITIONS)
@pytest.mark.parametrize("md", PAGES, ids=lambda p: p.stem)
def test_edition_notebook_has_the_english_code_and_translated_text(md: Path, language: str):
    translated, english = committed(md, language), nbformat.read(md.with_suffix(".ipynb"), as_version=4)
    code = [cell.source for cell in translated.cells if cell.cell_type == "code"]
    assert code == [cell.source for cell in english.cells if cell.cell_type == "code"]
    text = "\n".join(cell.source for cell in translated.cells if cell.cell_type == "markdown")
    assert len(CHINESE.findall(text)) > 100, f"{md.stem}: the {language} notebook's text is hardly translated"
    assert not myst_markup(text), f"{md.stem}: MyST markup left: {myst_markup(text)[:5]}"


@pytest.mark.parametrize("language", colab.EDITIONS)
@pytest.mark.parametrize("md", PAGES, ids=lambda p: p.stem)
def test_every_translated_message_of_the_page_reaches_its_notebook(md: Path, language: str):
    import jupytext

    messages = catalogue(md.stem, language)
    used: set[str] = set()
    for cell in jupytext.read(md, fmt="md:myst").cells:
        if cell.cell_type == "markdown":
            translate(cell.source, messages, used)
    unused = [text for text, translation in messages.items() if text not in used and translation != text]
    assert not unused, f"{md.stem}: {len(unused)} translated messages not found in the page's cells: {unused[:2]}"


def test_translate_replaces_blocks_and_keeps_code():
    messages = {"A title": "标题", "One paragraph over two lines.": "一段。", "An item": "一项",
                "Box title": "框标题", "Inside the box.": "框内。"}
    source = ("## A title\n\nOne paragraph\nover two lines.\n\n- An item\n\n:::{note} Box title\n:class: tip\n\n"
              "Inside the box.\n:::\n\n```python\nAn item\n```")
    assert translate(source, messages) == ("## 标题\n\n一段。\n\n- 一项\n\n:::{note} 框标题\n:class: tip\n\n框内。\n:::"
                                           "\n\n```python\nAn item\n```")
