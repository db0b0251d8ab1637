"""Every module a Colab notebook imports is there in Colab: in Python's standard library, in Colab's runtime (its
published versions, ``tools/colab/constraints.txt``), or installed by the notebook's install cell (``lmtutorial``
with the extras it names, as ``pyproject.toml`` lists them) (issue 26: chapter 6.2 imported ``sacrebleu``, which
only the test extra installed).

A module maps to its distributions as this environment installs them (``importlib.metadata``); a module installed
nowhere here is reported too. Only imports the notebooks run count: ``CLONE_ONLY`` names the modules a page imports
only inside an ``if`` that Colab never enters, and the test fails if such a module is imported unconditionally.
"""

from __future__ import annotations

import ast
import sys
import tomllib
from functools import cache
from importlib.metadata import packages_distributions
from pathlib import Path

import nbformat
import pytest
from conftest import REPO, tool_module
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

tool_module("colab_notebooks")  # puts the package colab/ of tools/ on sys.path
import colab.install as install  # noqa: E402

NOTEBOOKS = sorted((REPO / "book").glob("ch*.ipynb"))
CONSTRAINTS = REPO / "tools" / "colab" / "constraints.txt"
# Imported only when the book's bibliography sits beside the notebook (a clone with the build tools installed).
CLONE_ONLY = {"pybtex": "ch07 and ch10 read references.bib with it only `if BIB.exists()`: never in Colab"}


def imports(source: str) -> list[tuple[str, bool]]:
    """``(top-level module, imported under an if)`` for each absolute import of a code cell (IPython magics and
    shell lines are skipped)."""
    code = "\n".join(line[:len(line) - len(line.lstrip())] + "pass" if line.lstrip().startswith(("%", "!")) else line
                     for line in source.splitlines())
    found = []

    def visit(node: ast.AST, conditional: bool) -> None:
        if isinstance(node, ast.Import):
            found.extend((alias.name.split(".")[0], conditional) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.module.split(".")[0], conditional))
        for child in ast.iter_child_nodes(node):
            visit(child, conditional or isinstance(node, ast.If))

    visit(ast.parse(code), False)
    return found


def colab_pins() -> set[str]:
    return {canonicalize_name(line.split("==")[0]) for line in CONSTRAINTS.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")}


def installed_by_the_cell() -> set[str]:
    """The distributions the install cell asks for: lmtutorial's dependencies and those of the extras it names."""
    extras = Requirement(install.requirement()).extras
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = project["dependencies"] + [r for extra in sorted(extras) for r in project["optional-dependencies"][extra]]
    return {canonicalize_name(Requirement(r).name) for r in wanted} | {"lmtutorial"}


@cache
def distributions() -> dict[str, list[str]]:
    return packages_distributions()


def missing_in_colab(notebook: nbformat.NotebookNode, provided: set[str]) -> list[str]:
    """One line per module the notebook imports that neither the standard library nor ``provided`` (canonical
    distribution names) has."""
    problems = []
    for number, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        for module, conditional in imports(cell.source):
            if module in sys.stdlib_module_names or module == "lmtutorial":
                continue
            if module in CLONE_ONLY:
                if not conditional:
                    problems.append(f"cell {number} imports {module} unconditionally ({CLONE_ONLY[module]})")
                continue
            dists = {canonicalize_name(d) for d in distributions().get(module, [])}
            if not dists:
                problems.append(f"cell {number} imports {module}, which no installed distribution provides")
            elif not dists & provided:
                problems.append(f"cell {number} imports {module} ({', '.join(sorted(dists))}): neither Colab nor the "
                                f"install cell provides it")
    return problems


def test_there_are_notebooks_and_pins():
    assert NOTEBOOKS and {"torch", "transformers", "datasets", "pyarrow", "numpy"} <= colab_pins()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_import_is_in_colab_or_installed_by_the_first_cell(path: Path):
    problems = missing_in_colab(nbformat.read(path, as_version=4), colab_pins() | installed_by_the_cell())
    assert not problems, f"{path.name}: " + "; ".join(problems)


def test_the_check_fails_for_a_module_neither_provides():
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("%pip install x\nimport os, torch\nfrom sacrebleu import corpus_bleu"),
        nbformat.v4.new_code_cell("import nbval  # a test tool: not in Colab, not in lmtutorial[colab]"),
        nbformat.v4.new_code_cell("if ready:\n    import no_such_module_anywhere"),
        nbformat.v4.new_code_cell("from pybtex.database import parse_file"),
    ])
    provided = colab_pins() | installed_by_the_cell()
    assert missing_in_colab(notebook, provided) == [
        "cell 1 imports nbval (nbval): neither Colab nor the install cell provides it",
        "cell 2 imports no_such_module_anywhere, which no installed distribution provides",
        f"cell 3 imports pybtex unconditionally ({CLONE_ONLY['pybtex']})",
    ]
    without_extra = colab_pins() | (installed_by_the_cell() - {"sacrebleu"})  # the install cell before issue 26
    assert "cell 0 imports sacrebleu (sacrebleu): neither Colab nor the install cell provides it" in (
        missing_in_colab(notebook, without_extra))
