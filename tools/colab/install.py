"""The install cell: the first code cell of every notebook page, one text for all, made from ``_config.yml``.

Its requirement is ``lmtutorial[colab] @ git+<repository.url>@<repository.branch>``, the same key that builds the
website's Colab (rocket) button. In Colab it pip-installs the package and the ``colab`` extra (what the chapters
import that Colab lacks); ``$LMTUTORIAL_INSTALL``, when set, is installed instead (a local clone, for a simulated
Colab). If pip changed a library that the runtime had already imported, it says so and restarts the runtime. The
local build and nbval skip the cell (its tags). ``tools/colab_notebooks.py`` writes the cell into each page (so the
page and its notebook keep the same code cells, which the execution cache compares) and from there into the notebook.
"""

from __future__ import annotations

import re

from .repo import repository

EXTRA = "colab"  # the optional dependencies of pyproject.toml that the cell installs with the package
OVERRIDE = "LMTUTORIAL_INSTALL"  # the environment variable naming what to install instead
TAGS = ["skip-execution", "nbval-skip", "remove-cell"]
CODE_CELL = re.compile(r"^(?P<fence>`{3,})\{code-cell\}[^\n]*\n.*?^(?P=fence)[ \t]*$", re.MULTILINE | re.DOTALL)
TITLE = re.compile(r"^# .+$", re.MULTILINE)
SOURCE = """\
# Colab only: install lmtutorial (the local build and the tests skip this cell).
# Set ${override} to pip-install something else instead (e.g. a local clone).
import os
import sys
from importlib.metadata import packages_distributions, version

if "google.colab" in sys.modules:
    REQUIREMENT = os.environ.get("${override}") or (
        "${requirement}")
    LOADED = {dist: version(dist) for module, dists in packages_distributions().items()
              if module in sys.modules for dist in dists}  # imported by Colab already
    %pip install --quiet "{REQUIREMENT}"
    CHANGED = [f"{dist} {old} -> {version(dist)}" for dist, old in LOADED.items()
               if version(dist) != old]
    if CHANGED:  # the running kernel still holds the old versions: restart it
        print(f"pip changed {', '.join(CHANGED)}; restarting: then run all again")
        get_ipython().kernel.do_shutdown(True)"""


def requirement() -> str:
    """What the cell pip-installs: the package with its ``colab`` extra, from the configured repository and branch."""
    name, branch = repository()
    return f"lmtutorial[{EXTRA}] @ git+https://github.com/{name}@{branch}"


def install_source() -> str:
    """The source of the install cell."""
    return SOURCE.replace("${override}", OVERRIDE).replace("${requirement}", requirement())


def install_block() -> str:
    """The install cell as a MyST ``code-cell`` block of a page."""
    return f"```{{code-cell}} ipython3\n:tags: [{', '.join(TAGS)}]\n\n{install_source()}\n```"


def is_install_block(block: str) -> bool:
    """Whether a page's ``code-cell`` block is an install cell (any version of it: Colab only, with ``%pip``)."""
    return "google.colab" in block and "%pip install" in block


def with_install_cell(text: str, where: str = "page") -> str:
    """The page ``text`` with its install cell (its first code cell, if that is one; else a new cell after the title)
    replaced by the configured one."""
    first = CODE_CELL.search(text)
    if first is not None and is_install_block(first.group()):
        return text[:first.start()] + install_block() + text[first.end():]
    header = text.index("\n---\n") + 5 if text.startswith("---\n") else 0  # the title follows the MyST header
    title = TITLE.search(text, header)
    if title is None:
        raise ValueError(f"{where}: expected a '# ' title to put the install cell after, got none")
    return f"{text[:title.end()]}\n\n{install_block()}\n{text[title.end():]}"
