"""What a reader sees is complete: no visible code cell of a page uses a name that only a hidden cell defines
(``remove-cell``, ``remove-input``, ``hide-cell``), so the website never shows a name it does not define (issue 22).
Hidden cells may use visible names; they hold bookkeeping (glue, provenance), not the lesson."""

from __future__ import annotations

import ast
from pathlib import Path

import jupytext
import pytest
from conftest import REPO

HIDDEN = {"remove-cell", "remove-input", "hide-cell"}
PAGES = [page for page in sorted((REPO / "book").glob("*.md"))
         if "kernelspec" in jupytext.read(page, fmt="md:myst").metadata]


def defined(tree: ast.AST) -> set[str]:
    """Names a cell binds: assignments, loop and ``with`` targets, functions, classes, imports."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
    return names


def used(tree: ast.AST) -> set[str]:
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}


def hidden_names_in_view(page: Path) -> list[str]:
    """``"cell N uses NAME"`` for each visible use of a name that only hidden cells defined before it."""
    shown, hidden, found = set(), set(), []
    for number, cell in enumerate(jupytext.read(page, fmt="md:myst").cells):
        if cell.cell_type != "code":
            continue
        source = "\n".join(line[:len(line) - len(line.lstrip())] + "pass" if line.lstrip().startswith(("%", "!"))
                           else line for line in cell.source.splitlines())  # IPython magics
        tree = ast.parse(source)
        if HIDDEN & set(cell.metadata.get("tags", [])):
            hidden |= defined(tree) - shown
            continue
        found += [f"cell {number} uses {name}" for name in sorted((used(tree) & hidden) - shown - defined(tree))]
        shown |= defined(tree)
    return found


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.stem)
def test_no_visible_cell_uses_a_name_only_a_hidden_cell_defines(page: Path):
    assert hidden_names_in_view(page) == []


def test_the_check_finds_a_hidden_definition(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("---\njupytext:\n  text_representation:\n    format_name: myst\nkernelspec:\n  name: python3\n  display_name: Python 3\n"
                    "---\n\n```{code-cell} ipython3\n:tags: [remove-cell]\n\nDATA = 1\n```\n\n"
                    "```{code-cell} ipython3\nshown = 2\nprint(DATA + shown)\n```\n", encoding="utf-8")
    assert hidden_names_in_view(page) == ["cell 1 uses DATA"]
