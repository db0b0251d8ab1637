"""environment.yml is the conda equivalent of pyproject.toml: the same dependencies, the same bounds."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from conftest import REPO



def normalise(requirement: str) -> str:
    return re.sub(r"\s+", "", requirement).lower()


def test_environment_matches_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    wanted = set(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        wanted |= set(extra)
    env = (REPO / "environment.yml").read_text().splitlines()
    pip_lines = [line.strip()[2:] for line in env if line.startswith("      - ")]
    listed = {line for line in pip_lines if not line.startswith("--")}
    assert {normalise(r) for r in listed} == {normalise(r) for r in wanted}
    assert f"python>={project['requires-python'].removeprefix('>=')}" in [line.strip()[2:] for line in env]


def test_the_top_level_keeps_only_what_a_reader_types():
    import lmtutorial

    assert sorted(lmtutorial.__all__) == ["FinetuneConfig", "finetune", "load_imdb", "profile"]
    assert all(callable(getattr(lmtutorial, name)) for name in lmtutorial.__all__)


def test_import_lmtutorial_leaves_heavy_libraries_unloaded():
    code = ("import lmtutorial, sys; "
            "print([m for m in ('datasets', 'transformers', 'matplotlib') if m in sys.modules])")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
