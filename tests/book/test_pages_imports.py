"""Where does a name on a page live? In the module the page imports it from: no page imports from the package's
top level, and each name a page imports is defined in the module it names (or in the page's own home module)."""

from __future__ import annotations

import ast
import importlib
import inspect

import jupytext
import pytest
from conftest import REPO

PAGES = sorted((REPO / "book").glob("*.md"))
HOMES = "lmtutorial.applications"  # a page's own module may re-export what the page uses


def page_imports(page):
    for cell in jupytext.read(page, fmt="md:myst").cells:
        if cell.cell_type != "code":
            continue
        code = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
        try:
            tree = ast.parse(code)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("lmtutorial"):
                yield node.module, [alias.name for alias in node.names]


def defined_in(module, name: str) -> bool:
    value = getattr(module, name)
    if inspect.ismodule(value):
        return value.__name__ == f"{module.__name__}.{name}"
    if getattr(value, "__module__", None) is not None and (inspect.isclass(value) or inspect.isfunction(value)):
        return value.__module__ == module.__name__
    tree = ast.parse(inspect.getsource(module))  # a constant: assigned at the module's top level
    return any(isinstance(node, (ast.Assign, ast.AnnAssign)) and name in ast.unparse(node).split("=")[0]
               for node in tree.body)


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.stem)
def test_page_imports_each_name_from_where_it_lives(page):
    wrong = []
    for module_name, names in page_imports(page):
        if module_name == "lmtutorial":
            wrong += [f"{name} from the top level" for name in names]
            continue
        module = importlib.import_module(module_name)
        if module_name.startswith(HOMES):
            continue
        wrong += [f"{name} from {module_name}" for name in names if not defined_in(module, name)]
    assert not wrong, f"{page.name} imports names from where they do not live: {wrong}"
