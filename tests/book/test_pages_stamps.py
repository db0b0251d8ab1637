"""Where does this name live, and where is it taught? (issue 22, after d2l's "Defined in" stamp.)

Each public definition that a page teaches ends its docstring with one line naming that page::

    Taught on page ``ch03_algorithms``.

and that page shows the definition's code with a ``literalinclude`` by name (``:pyobject: Name`` or, for a long
class, ``:pyobject: Name.method``), so the website shows what runs. The check fails when

(a) a stamp names a page that does not exist, or a page that neither imports the name nor shows it;
(b) a stamped definition is not shown on its page by a ``literalinclude`` of its own module;
(c) a page shows (``:pyobject:``) a definition of ``lmtutorial/`` whose docstring does not stamp that page;
(d) a public class or function of the from-scratch code (``lmtutorial.core``, ``.models``, ``.methods``,
    ``.training``) that a page imports carries no stamp.

Parse-only: the package's files are read with ``ast`` (nothing is imported) and the pages as text.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path, PurePosixPath

import pytest
from conftest import REPO
from test_pages_imports import page_imports

TAUGHT = ("lmtutorial.core", "lmtutorial.models", "lmtutorial.methods", "lmtutorial.training")
STAMP = re.compile(r"^Taught on page ``(?P<page>[A-Za-z0-9_]+)``\.$")
PACKAGE = "lmtutorial"  # where a problem of the package itself (not of one page) is reported
INCLUDE = re.compile(r"^(?P<fence>`{3,}|:{3,})\{literalinclude\}[ \t]+(?P<path>\S+)[ \t]*\n"
                     r"(?P<options>(?:[ \t]*:[\w-]+:.*\n)*)", re.MULTILINE)
PYOBJECT = re.compile(r"^[ \t]*:pyobject:[ \t]*(?P<name>\S+)[ \t]*$", re.MULTILINE)


def module_name(path: str) -> str:
    """``lmtutorial.core.losses`` for ``lmtutorial/core/losses.py`` (a package for its ``__init__.py``)."""
    parts = PurePosixPath(path).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def stamps(docstring: str | None) -> tuple[list[str], list[str]]:
    """(pages stamped, problems of form) of one docstring."""
    lines = [line.strip() for line in (docstring or "").strip().splitlines()]
    found = [(number, STAMP.match(line)) for number, line in enumerate(lines) if "Taught on page" in line]
    pages = [match["page"] for _, match in found if match]
    problems = [f"malformed stamp {lines[number]!r}: expected exactly 'Taught on page ``<page>``.'"
                for number, match in found if not match]
    if len(found) > 1:
        problems.append(f"{len(found)} stamps: one page teaches a definition")
    elif found and found[0][0] != len(lines) - 1:
        problems.append("the stamp must be the docstring's last line")
    return pages, problems


def definitions(source: str) -> dict[str, ast.AST]:
    """The top-level classes and functions of a module, by name."""
    return {node.name: node for node in ast.parse(source).body
            if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))}


def includes(text: str) -> list[tuple[str, str | None]]:
    """``(path from the repository root, pyobject or None)`` of every ``literalinclude`` of a page in book/."""
    shown = []
    for match in INCLUDE.finditer(text):
        path = PurePosixPath("book", match["path"])
        parts: list[str] = []
        for part in path.parts:  # resolve "..", without the file system
            if part == "..":
                parts = parts[:-1]
            elif part != ".":
                parts.append(part)
        pyobject = PYOBJECT.search(match["options"])
        shown.append(("/".join(parts), pyobject["name"] if pyobject else None))
    return shown


def problems(pages: dict[str, str], imports: dict[str, list[tuple[str, list[str]]]],
             sources: dict[str, str]) -> list[tuple[str, str]]:
    """``(where, problem)`` for rules (a)-(d) of the module docstring; ``where`` is the page to fix, or
    ``PACKAGE`` for a problem of the package's docstrings.

    ``pages``: page stem -> MyST text; ``imports``: page stem -> ``(module, names)`` of its ``from lmtutorial...
    import`` lines; ``sources``: path of every ``lmtutorial/**/*.py`` from the repository root -> its text.
    """
    found: list[tuple[str, str]] = []
    modules = {module_name(path): path for path in sources}
    nodes = {path: definitions(source) for path, source in sources.items()}
    shown = {page: includes(text) for page, text in pages.items()}
    imported = {(module, name) for page_imports_ in imports.values() for module, names in page_imports_
                for name in names}

    for path, defined in nodes.items():
        for name, node in defined.items():
            pages_stamped, form = stamps(ast.get_docstring(node))
            found += [(PACKAGE, f"{path}: {name}: {problem}") for problem in form]
            for page in pages_stamped:
                if page not in pages:  # (a) no such page
                    found.append((PACKAGE, f"{path}: {name} stamps page {page!r}, which does not exist"))
                    continue
                listed = [pyobject for file, pyobject in shown[page] if file == path and pyobject
                          and pyobject.split(".")[0] == name]
                page_imported = any(module == module_name(path) and name in names for module, names in imports[page])
                if not listed and not page_imported:  # (a) the page does not use the name
                    found.append((page, f"{name} ({path}) is stamped {page}, which neither imports nor shows it"))
                elif not listed:  # (b) not shown where it is taught
                    found.append((page, f"{name} ({path}) is taught here but not shown: add a literalinclude "
                                        f"of ../{path} with :pyobject: {name} (or {name}.<method>)"))

    for page, listings in shown.items():  # (c) what a page shows names that page
        for path, pyobject in listings:
            if not path.startswith(f"{PACKAGE}/") or pyobject is None:
                continue
            name = pyobject.split(".")[0]
            if path not in nodes or name not in nodes[path]:
                found.append((page, f"shows {pyobject} of {path}, which defines no {name}"))
                continue
            pages_stamped, _ = stamps(ast.get_docstring(nodes[path][name]))
            if page not in pages_stamped:
                where = f"page {pages_stamped[0]}" if pages_stamped else "no page"
                found.append((page, f"shows {pyobject} of {path}, whose docstring stamps {where}; expected "
                                    f"'Taught on page ``{page}``.'"))

    for module, name in sorted(imported):  # (d) the from-scratch code a page imports is stamped
        if not module.startswith(TAUGHT) or name.startswith("_") or module not in modules:
            continue
        path = modules[module]
        node = nodes[path].get(name)
        if node is None:  # a constant, or a name defined elsewhere (test_pages_imports checks where names live)
            continue
        if not stamps(ast.get_docstring(node))[0]:
            users = sorted(page for page, lines in imports.items()
                           if any(m == module and name in names for m, names in lines))
            found.append((PACKAGE, f"{path}: {name}, imported by {', '.join(users)}, has no stamp "
                                   f"'Taught on page ``<page>``.' at the end of its docstring"))
    return found


@cache
def book_problems() -> tuple[tuple[str, str], ...]:
    pages = sorted((REPO / "book").glob("*.md"))
    return tuple(problems(
        {page.stem: page.read_text(encoding="utf-8") for page in pages},
        {page.stem: list(page_imports(page)) for page in pages},
        {path.relative_to(REPO).as_posix(): path.read_text(encoding="utf-8")
         for path in sorted((REPO / PACKAGE).rglob("*.py"))}))


PAGES = [page.stem for page in sorted((REPO / "book").glob("*.md"))]


@pytest.mark.parametrize("page", PAGES)
def test_a_page_shows_what_it_teaches_and_only_that(page: str):
    found = [problem for where, problem in book_problems() if where == page]
    assert not found, f"book/{page}.md:\n" + "\n".join(found)


def test_every_taught_definition_is_stamped_with_a_page_that_exists():
    found = [problem for where, problem in book_problems() if where == PACKAGE]
    assert not found, "\n".join(found)


# The checker can fail: a small fake book with one mistake of each kind.
FAKE_SOURCES = {
    "lmtutorial/core/losses.py": '''
def cross_entropy(logits, targets):
    """Mean cross-entropy.

    Taught on page ``ch03``.
    """

def huber(x):
    """Not stamped, imported by ch03."""

def shown_elsewhere(x):
    """Shown on ch04, stamped ch03.

    Taught on page ``ch03``.
    """

def ghost(x):
    """Taught on page ``ch99``."""

def twice(x):
    """Taught on page ``ch03``.

    Taught on page ``ch04``.
    """

def unused(x):
    """Taught on page ``ch04``."""

def _private(x):
    """Imported but private."""
''',
    "lmtutorial/hf/run.py": '''
def finetune():
    """Outside the from-scratch packages: no stamp needed."""
''',
}
FAKE_PAGES = {
    "ch03": "# Ch 3\n\n```{literalinclude} ../lmtutorial/core/losses.py\n:pyobject: cross_entropy\n"
            ":language: python\n```\n",
    "ch04": "# Ch 4\n\n```{literalinclude} ../lmtutorial/core/losses.py\n:pyobject: shown_elsewhere\n```\n\n"
            "```{literalinclude} ../lmtutorial/core/losses.py\n:pyobject: missing.forward\n```\n",
}
FAKE_IMPORTS = {
    "ch03": [("lmtutorial.core.losses", ["cross_entropy", "huber", "shown_elsewhere", "twice", "_private"]),
             ("lmtutorial.hf.run", ["finetune"])],
    "ch04": [],
}


def test_the_checker_finds_each_kind_of_mistake():
    found = problems(FAKE_PAGES, FAKE_IMPORTS, FAKE_SOURCES)
    path = "lmtutorial/core/losses.py"
    assert sorted(found) == sorted([
        (PACKAGE, f"{path}: ghost stamps page 'ch99', which does not exist"),  # (a)
        ("ch04", f"unused ({path}) is stamped ch04, which neither imports nor shows it"),  # (a)
        ("ch03", f"shown_elsewhere ({path}) is taught here but not shown: add a literalinclude of ../{path} "
                 "with :pyobject: shown_elsewhere (or shown_elsewhere.<method>)"),  # (b)
        (PACKAGE, f"{path}: twice: 2 stamps: one page teaches a definition"),
        ("ch03", f"twice ({path}) is taught here but not shown: add a literalinclude of ../{path} "
                 "with :pyobject: twice (or twice.<method>)"),  # (b)
        ("ch04", f"twice ({path}) is stamped ch04, which neither imports nor shows it"),  # (a)
        ("ch04", f"shows shown_elsewhere of {path}, whose docstring stamps page ch03; expected "
                 "'Taught on page ``ch04``.'"),  # (c)
        ("ch04", f"shows missing.forward of {path}, which defines no missing"),  # (c)
        (PACKAGE, f"{path}: huber, imported by ch03, has no stamp 'Taught on page ``<page>``.' at the end of "
                  "its docstring"),  # (d)
    ])


def test_a_stamp_has_one_form_and_ends_the_docstring():
    assert stamps("Mean.\n\nTaught on page ``ch03_algorithms``.") == (["ch03_algorithms"], [])
    assert stamps("Taught on page ch03.")[1] == [
        "malformed stamp 'Taught on page ch03.': expected exactly 'Taught on page ``<page>``.'"]
    assert stamps("Taught on page ``ch03``.\n\nMore text.")[1] == ["the stamp must be the docstring's last line"]


def test_includes_are_read_with_their_options():
    text = ("```{literalinclude} ../lmtutorial/core/optim.py\n:pyobject: Adam.step\n:language: python\n```\n"
            "```{literalinclude} ../_config.yml\n:lines: 1-3\n```\n")
    assert includes(text) == [("lmtutorial/core/optim.py", "Adam.step"), ("_config.yml", None)]
    assert module_name("lmtutorial/core/__init__.py") == "lmtutorial.core"
    assert Path(REPO / "lmtutorial" / "core" / "losses.py").exists()
