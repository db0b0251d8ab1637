"""The book's code fits its column: no line of code in a page (code cells, and code blocks in the text) is longer
than 88 characters, so a reader never scrolls sideways to see the end of a line (issue 14)."""

from __future__ import annotations

import re
from pathlib import Path

import jupytext
import pytest
from conftest import REPO

MAX = 88
PAGES = sorted((REPO / "book").glob("*.md"))
FENCED = re.compile(r"^(?P<fence>```+|~~~+)(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=fence)\s*$", re.MULTILINE | re.DOTALL)
NOT_CODE = {"mermaid"}  # diagrams are rendered to SVG, their source is not shown


def code_lines(page: Path) -> list[tuple[str, str]]:
    """(where, line) for every line of code a reader sees: code cells, and fenced code blocks in the text."""
    found = []
    for number, cell in enumerate(jupytext.read(page, fmt="md:myst").cells):
        if cell.cell_type == "code":
            found += [(f"code cell {number}", line) for line in cell.source.splitlines()]
            continue
        for block in FENCED.finditer(cell.source):
            language = block.group("info").strip()
            if language.startswith("{") or language in NOT_CODE:
                continue
            found += [(f"code block in cell {number}", line) for line in block.group("body").splitlines()]
    return found


def long_lines(page: Path) -> list[str]:
    return [f"{where}: {len(line)} characters: {line.strip()[:60]}..."
            for where, line in code_lines(page) if len(line) > MAX]


def test_pages_are_found():
    assert PAGES


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_no_code_line_is_longer_than_88_characters(page: Path):
    offenders = long_lines(page)
    assert not offenders, (f"{page.name}: {len(offenders)} code lines longer than {MAX} characters "
                           "(wrap them):\n" + "\n".join(offenders))


def test_the_check_sees_code_cells_and_code_blocks(tmp_path):
    page = tmp_path / "page.md"
    header = "---\n" + (REPO / "book" / "ch01_background.md").read_text(encoding="utf-8").split("---\n")[1] + "---\n"
    page.write_text(header + "\n# T\n\n```{code-cell} ipython3\nx = 1  " + "#" * MAX + "\n```\n\nText.\n\n"
                    "```python\ny = '" + "y" * MAX + "'\n```\n\n```mermaid\n" + "z" * 100 + "\n```\n",
                    encoding="utf-8")
    assert [where for where, line in code_lines(page) if len(line) > MAX] == [
        "code cell 1", "code block in cell 2"]
