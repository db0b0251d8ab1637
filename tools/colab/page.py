"""One page as a notebook: Markdown cells rewritten for Colab (``markdown``); code cells copied unchanged, tags
included, hidden cells of the site collapsed in Jupyter; the glue values used stored in the notebook's metadata
(``metadata.lmtutorial.glue``), glued figures as attachments of their cells; after the install cell, the page's
estimated time in Colab (``timing``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import jupytext
import nbformat

from .book import Book
from .install import is_install_block
from .markdown import Markdown
from .repo import REPO
from .timing import colab_note
from .translate import catalogue, translate

HIDDEN_SOURCE = {"remove-input", "remove-cell", "hide-input", "hide-cell"}
HIDDEN_OUTPUT = {"remove-output", "remove-cell", "hide-output", "hide-cell"}
GENERATED_BY = "tools/colab_notebooks.py (make notebooks); edit the .md, not this file"


class Page(Markdown):
    """Converts one MyST page into a Colab notebook."""

    def __init__(self, md: Path, glue: dict[str, dict | None], book: Book):
        self.md = md
        self.glue = glue
        self.book = book
        self.used_glue: dict[str, dict | None] = {}
        self.exercises: dict[str, str] = {}  # label → number
        self.warnings: list[str] = []
        self.attachments: dict[str, dict] = {}  # images of the markdown cell being converted

    def notebook(self) -> nbformat.NotebookNode:
        source = jupytext.read(self.md, fmt="md:myst")
        cells = []
        for cell in source.cells:
            if cell.cell_type != "markdown":
                cells.append(code_cell(cell))
                continue
            markdown = cell.source
            if self.book.language:
                markdown = translate(markdown, catalogue(self.md.stem, self.book.language))
            text = self.markdown(markdown)
            if text.strip():
                cells.append(nbformat.v4.new_markdown_cell(text))
                if self.attachments:
                    cells[-1].attachments = dict(sorted(self.attachments.items()))
            self.attachments = {}
        note = colab_note(self.md.stem, self.book.language)
        install = next((i for i, cell in enumerate(cells) if cell.cell_type == "code"), None)
        if note and install is not None and is_install_block(cells[install].source):
            cells.insert(install + 1, nbformat.v4.new_markdown_cell(note))
        for number, cell in enumerate(cells):
            cell.id = f"cell-{number:03d}"
        metadata = {key: value for key, value in source.metadata.items() if key != "jupytext"}
        metadata["lmtutorial"] = {
            "source": self.md.relative_to(REPO).as_posix(),
            **({"language": self.book.language} if self.book.language else {}),
            "generated_by": GENERATED_BY,
            "glue": {name: value if value is None else {mime: text for mime, text in value.items()
                                                        if mime.startswith("text/")}
                     for name, value in sorted(self.used_glue.items())},
        }
        return nbformat.v4.new_notebook(cells=cells, metadata=metadata)


def code_cell(cell: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The page's code cell unchanged; a cell the site hides is collapsed in Jupyter."""
    tags = list(cell.metadata.get("tags", []))
    metadata = {key: value for key, value in cell.metadata.items()}
    jupyter = {}
    if HIDDEN_SOURCE & set(tags):
        jupyter["source_hidden"] = True
    if HIDDEN_OUTPUT & set(tags):
        jupyter["outputs_hidden"] = True
    if jupyter:
        metadata["jupyter"] = jupyter
    return nbformat.v4.new_code_cell(cell.source, metadata=metadata)


def render(md: Path, glue_source: Callable[[Path], dict[str, dict | None]], book: Book | None = None,
           ) -> tuple[str, list[str]]:
    """The notebook JSON for page ``md`` and the warnings; ``glue_source`` maps the page to its glue outputs."""
    page = Page(md, glue_source(md), book or Book())
    notebook = page.notebook()
    nbformat.validate(notebook)
    missing = [name for name, value in page.used_glue.items() if value is None]
    if missing:
        page.warnings.append(f"{md.name}: no built value for {', '.join(missing)} (build the book, then rerun)")
    return nbformat.writes(notebook) + "\n", page.warnings
