"""Every chapter notebook is ready for Colab.

- Its first code cell is the install cell, one text for every page and notebook, made by ``tools/colab/install.py``
  from the repository key of ``_config.yml`` (the key that also builds the website's Colab button): in Colab only, it
  pip-installs ``lmtutorial[colab]`` from the configured repository and branch (or ``$LMTUTORIAL_INSTALL``), and
  restarts the runtime, saying why, only when pip changed a library the runtime had imported. The local build and
  nbval skip it (its tags). The README tells how to open a chapter in Colab with the same addresses.
- ``tools/colab/constraints.txt`` holds Colab's published versions of the libraries the book uses, and the package
  installs on top of them without changing any.
- A chapter that needs a GPU sets Colab's accelerator metadata (``accelerator: GPU`` and ``colab: gpuType`` in the
  MyST header, which ``make notebooks`` copies into the .ipynb) and says so at the top of the page; every other
  chapter runs on a CPU, so its code never asks for CUDA without checking that it is there.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import jupytext
import nbformat
import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from builtsite import REPO, chapter_files, config
from conftest import require_shared, tool_module

colab = tool_module("colab_notebooks")
import colab.install as install  # noqa: E402 - the package beside tools/colab_notebooks.py, on sys.path now

NOTEBOOKS = sorted((REPO / "book").glob("ch*.ipynb"))
PAGES = colab.notebook_pages()
SKIP_TAGS = {"skip-execution", "nbval-skip"}
CONSTRAINTS = REPO / "tools" / "colab" / "constraints.txt"
CUDA = re.compile(r"""["']cuda(?::\d+)?["']|\.cuda\(\)""")


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def code_cells(notebook: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def top_text(notebook: nbformat.NotebookNode) -> str:
    """The markdown a reader sees before the chapter's first code cell after the Colab cell (title, opening boxes)."""
    text, code_seen = [], 0
    for cell in notebook.cells:
        if cell.cell_type == "code":
            code_seen += 1
            if code_seen == 2:
                break
        else:
            text.append(cell.source)
    return "\n".join(text)


def test_every_chapter_of_the_toc_has_a_notebook():
    missing = [name for name in chapter_files() if not (REPO / f"{name}.ipynb").exists()]
    assert not missing, f"chapters without a committed .ipynb for Colab: {missing} (run `make notebooks`)"
    assert NOTEBOOKS, "no chapter notebook found under book/"


def first_code_cell(cells: list) -> tuple[str, list[str]] | None:
    code = [cell for cell in cells if cell.cell_type == "code"]
    return (code[0].source, list(code[0].metadata.get("tags", []))) if code else None


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_page_starts_with_the_configured_install_cell(page: Path):
    """The page's first code cell is the one _config.yml defines, so its notebook's is too (it copies the page's)."""
    assert first_code_cell(jupytext.read(page, fmt="md:myst").cells) == (install.install_source(), install.TAGS), (
        f"{page.name}: the first code cell is not the install cell that _config.yml defines: run `make notebooks`")
    assert page.read_text(encoding="utf-8") == install.with_install_cell(page.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_first_code_cell_of_every_notebook_is_the_install_cell(path: Path):
    assert first_code_cell(read(path).cells) == (install.install_source(), install.TAGS), (
        f"{path.name}: the first code cell is not the install cell that _config.yml defines: run `make notebooks`")
    assert SKIP_TAGS <= set(install.TAGS)


def test_a_page_with_another_install_cell_is_found_and_rewritten(tmp_path):
    header = (REPO / "book" / "ch01_background.md").read_text(encoding="utf-8").split("---\n")[1]
    old = ("```{code-cell} ipython3\n:tags: [skip-execution, nbval-skip, remove-cell]\n\nimport sys\n\n"
           "if \"google.colab\" in sys.modules:\n    %pip install -q \"lmtutorial @ git+https://example.org/x@y\"\n```")
    text = f"---\n{header}---\n\n# A page\n\n{old}\n\nText.\n\n```{{code-cell}} ipython3\nx = 1\n```\n"
    page = tmp_path / "ch99_example.md"
    page.write_text(text, encoding="utf-8")
    assert first_code_cell(jupytext.read(page, fmt="md:myst").cells) != (install.install_source(), install.TAGS)
    fixed = install.with_install_cell(text)
    assert fixed == text.replace(old, install.install_block())
    page.write_text(fixed, encoding="utf-8")
    cells = [cell for cell in jupytext.read(page, fmt="md:myst").cells if cell.cell_type == "code"]
    assert [cell.source for cell in cells] == [install.install_source(), "x = 1"]
    without = text.replace(old + "\n\n", "")  # a page with no install cell gets one after its title
    assert install.with_install_cell(without).split("# A page\n\n")[1].startswith(install.install_block())


def test_the_install_cell_follows_the_repository_key(monkeypatch):
    """One key: the repository URL and branch of _config.yml give the cell's requirement (and the Colab button)."""
    name, branch = install.repository()
    conf = config()["repository"]
    assert (f"https://github.com/{name}", branch) == (conf["url"].rstrip("/"), conf["branch"])
    assert f'"lmtutorial[colab] @ git+{conf["url"].rstrip("/")}@{branch}"' in install.install_source()
    monkeypatch.setattr(install, "repository", lambda: ("someone/book", "release"))
    assert '"lmtutorial[colab] @ git+https://github.com/someone/book@release"' in install.install_source()
    assert "colab" in tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]


def run_install_cell(monkeypatch, *, changes: dict[str, str], environ: dict[str, str]) -> dict:
    """The install cell run as Colab runs it (IPython's own rewriting of ``%pip``), with a fake pip that installs
    nothing but makes ``changes`` to the versions on disk, and a fake kernel that records a restart."""
    import importlib.metadata
    import string
    import sys

    from IPython.core.inputtransformer2 import TransformerManager

    installed = {}
    done = {"pip": [], "restarts": 0}

    def version(name: str) -> str:
        return installed.get(name) or real_version(name)

    class Shell:
        class kernel:  # noqa: N801 - the attribute of IPython's shell
            @staticmethod
            def do_shutdown(restart: bool) -> None:
                done["restarts"] += restart

        @staticmethod
        def run_line_magic(name: str, line: str) -> None:
            assert name == "pip"
            done["pip"].append(string.Formatter().vformat(line, (), namespace))  # IPython expands {NAME}
            installed.update(changes)

    real_version = importlib.metadata.version
    monkeypatch.setattr(importlib.metadata, "version", version)
    monkeypatch.setitem(sys.modules, "google.colab", type(sys)("google.colab"))
    for key, value in environ.items():
        monkeypatch.setenv(key, value)
    namespace = {"get_ipython": Shell}
    exec(TransformerManager().transform_cell(install.install_source()), namespace)  # noqa: S102 - the cell's code
    return done


def test_the_install_cell_installs_the_configured_requirement_or_the_override(monkeypatch, capsys):
    monkeypatch.delenv(install.OVERRIDE, raising=False)
    done = run_install_cell(monkeypatch, changes={}, environ={})
    assert done == {"pip": [f'install --quiet "{install.requirement()}"'], "restarts": 0}
    assert capsys.readouterr().out == ""
    done = run_install_cell(monkeypatch, changes={}, environ={install.OVERRIDE: "/content/clone[colab]"})
    assert done["pip"] == ['install --quiet "/content/clone[colab]"']


def test_the_install_cell_restarts_only_when_pip_changed_an_imported_library(monkeypatch, capsys):
    import numpy  # noqa: F401 - imported, as in Colab's runtime

    monkeypatch.delenv(install.OVERRIDE, raising=False)
    assert run_install_cell(monkeypatch, changes={"a-library-not-imported": "9.9"}, environ={})["restarts"] == 0
    done = run_install_cell(monkeypatch, changes={"numpy": "0.0.1"}, environ={})
    assert done["restarts"] == 1
    out = capsys.readouterr().out
    assert out.startswith("pip changed numpy ") and "-> 0.0.1; restarting: then run all again" in out


def test_the_readme_tells_how_to_open_a_chapter_in_colab_with_the_configured_addresses():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    name, branch = install.repository()
    for needed in (f"https://colab.research.google.com/github/{name}/blob/{branch}/book/", install.requirement(),
                   install.OVERRIDE, "`repository:`"):
        assert needed in readme, f"README.md does not say {needed!r}: keep it in step with _config.yml"


def constraints() -> dict[str, str]:
    """Colab's pinned versions: canonical name → version."""
    pins = {}
    for line in CONSTRAINTS.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.split("==")
            pins[canonicalize_name(name)] = version.strip()
    return pins


def test_the_constraints_are_colabs_published_versions():
    header = CONSTRAINTS.read_text(encoding="utf-8").split("\n\n")[0]
    for fact in ("googlecolab/backend-info", "pip-freeze.gpu.txt", "August 2026", "Python 3.13"):
        assert fact in header, f"{CONSTRAINTS.name}: the header must say {fact!r} (its source, date, Python)"
    published = {}
    for line in require_shared("colab/pip-freeze.gpu.txt").read_text(encoding="utf-8").splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==")
            published[canonicalize_name(name)] = version.strip()
    differ = {name: (version, published.get(name)) for name, version in constraints().items()
              if published.get(name, "").split("+")[0] != version}
    assert not differ, f"{CONSTRAINTS.name} differs from Colab's published list: {differ}"


def test_the_package_installs_on_colab_without_changing_what_colab_ships():
    """Every requirement of lmtutorial[colab] that Colab ships is met by Colab's version: pip changes none of them
    (no upgrade of torch, transformers, datasets, pyarrow or numpy under a running kernel, no restart)."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    pins = constraints()
    requirements = [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["colab"]]
    for name in ("torch", "transformers", "datasets", "pyarrow", "numpy"):
        assert name in pins
    unmet = [f"{r} (Colab: {pins[canonicalize_name(r.name)]})" for r in requirements
             if canonicalize_name(r.name) in pins and not r.specifier.contains(pins[canonicalize_name(r.name)])]
    assert not unmet, f"pip would change what Colab ships: {unmet}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_gpu_chapters_ask_colab_for_a_gpu_and_say_so(path: Path):
    notebook = read(path)
    metadata = notebook.metadata
    top = top_text(notebook)
    if metadata.get("accelerator") == "GPU":
        assert metadata.get("colab", {}).get("gpuType"), (
            f"{path.name}: a GPU chapter also sets `colab: gpuType:` (e.g. T4) in its header")
        assert "GPU" in top, f"{path.name} asks Colab for a GPU, so its opening must tell the reader it needs one"
        return
    assert "accelerator" not in metadata, f"{path.name}: accelerator metadata must be GPU or absent"
    assert not re.search(r"\b(?:needs?|requires?)\s+a\s+GPU\b", top), (
        f"{path.name} says at the top that it needs a GPU: set `accelerator: GPU` and `colab: gpuType:` in its header")
    code = "\n".join(cell.source for cell in code_cells(notebook))
    if CUDA.search(code):
        assert "is_available()" in code, (
            f"{path.name} asks for CUDA without checking torch.cuda.is_available(): mark it a GPU chapter or make "
            "it run on a CPU too")
