"""What the built pages say, read from their HTML: nothing of the machine that built them, and no title numbered twice.

A path of the build machine in an output (``PosixPath('/home/…/shared/data/imdb')``) tells a website reader nothing
and leaks the builder's layout; a heading that carries its own number ("1. …") under Sphinx's numbering reads
"6.1.2. 1. …". Both are checked on every page of the built site (issue 22).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from builtsite import REPO, site_dir

pytestmark = pytest.mark.site  # needs the built website: make test runs it after the build

SECTION = re.compile(r'<span class="section-number">[\d.]+\s*</span>\s*(\d+\.\s[^<]*)')


PAGES = sorted(path.stem for path in (REPO / "book").glob("*.md"))  # known without a build


def built(stem: str) -> str:
    return (site_dir() / "book" / f"{stem}.html").read_text(encoding="utf-8")


def machine_paths() -> list[str]:
    """Absolute paths of this build: the repository, its parent (where ``../shared`` lives) and the home folder."""
    return sorted({str(REPO), str(REPO.parent / "shared"), str(Path.home())} - {"/"})


@pytest.mark.parametrize("page", PAGES)
def test_no_output_shows_a_path_of_the_build_machine(page: str):
    text = built(page)
    found = [path for path in machine_paths() if path in text] + re.findall(r"PosixPath\([^)]*\)", text)
    assert found == [], f"{page}.html shows {found}"


@pytest.mark.parametrize("page", PAGES)
def test_no_title_is_numbered_twice(page: str):
    assert SECTION.findall(built(page)) == []


def test_the_checks_see_what_they_look_for():
    assert SECTION.findall('<h2><span class="section-number">6.1.2. </span>1. A bidirectional LSTM</h2>') == [
        "1. A bidirectional LSTM"]
    assert str(REPO) in machine_paths()
