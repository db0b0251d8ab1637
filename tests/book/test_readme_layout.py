"""The README's Layout section names every folder and module of the package, so it cannot drift from the code."""

from __future__ import annotations

import re

from conftest import REPO

PACKAGE = REPO / "lmtutorial"


def layout() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Layout"):]
    return section[:section.index("\n## ", 1)]


def entries() -> dict[str, str]:
    """Each line of the layout that names a package folder (``  core/ …``) or module, with its continuation lines."""
    found, current = {}, None
    for line in layout().splitlines():
        match = re.match(r"^  (\w+(?:/|\.py))\s", line)
        if match:
            current = match.group(1)
            found[current] = line
        elif current and line.startswith(" " * 16):
            found[current] += " " + line.strip()
        else:
            current = None
    return found


def test_every_folder_and_module_of_the_package_is_in_the_readme():
    named = entries()
    folders = sorted(p.name + "/" for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists())
    modules = sorted(p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py")
    assert [f for f in folders + modules if f not in named] == []
    missing = [f"{folder}{module.stem}" for folder in folders for module in sorted((PACKAGE / folder).glob("*.py"))
               if module.name != "__init__.py" and not re.search(rf"\b{module.stem}\b", named[folder])]
    assert missing == []
