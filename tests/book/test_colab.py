"""Every chapter notebook is ready for Colab.

- Its first code cell installs this package from the configured repository and branch, only when it runs in Colab
  (it detects ``google.colab``), and is tagged so that the local build and nbval skip it.
- A chapter that needs a GPU sets Colab's accelerator metadata (``accelerator: GPU`` and ``colab: gpuType`` in the
  MyST header, which ``make notebooks`` copies into the .ipynb) and says so at the top of the page; every other
  chapter runs on a CPU, so its code never asks for CUDA without checking that it is there.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from builtsite import REPO, chapter_files, config

NOTEBOOKS = sorted((REPO / "book").glob("ch*.ipynb"))
SKIP_TAGS = {"skip-execution", "nbval-skip"}
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


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_first_code_cell_installs_the_package_in_colab(path: Path):
    cells = code_cells(read(path))
    assert cells, f"{path.name} has no code cell"
    first = cells[0]
    source = first.source
    conf = config()
    package = f"git+{conf['repository']['url']}@{conf['repository']['branch']}"
    assert re.search(r"""["']google\.colab["']\s+in\s+sys\.modules""", source), (
        f"{path.name}: the first code cell must install only in Colab (`if \"google.colab\" in sys.modules:`)")
    assert "%pip install" in source and package in source, (
        f"{path.name}: the first code cell must `%pip install` the package from {package}")
    tags = set(first.metadata.get("tags", []))
    assert SKIP_TAGS <= tags, f"{path.name}: the Colab cell needs the tags {sorted(SKIP_TAGS)}, has {sorted(tags)}"


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
