"""Progress bars that read the same in a terminal, in Jupyter or Colab, and on the built website.

``tqdm.auto`` draws an ipywidgets bar inside a notebook, and the offline website cannot show widgets. This bar is
tqdm's text bar written to standard output, at most 80 characters wide: a notebook and a terminal redraw it in
place, and the website (myst-nb applies the carriage returns) shows its last state as one line of text. Standard
error stays free for warnings, which the book build reports.
"""

from __future__ import annotations

import sys

from tqdm.std import tqdm as text_tqdm

WIDTH = 80  # characters: fits the website's code column and the book's 88-character lines


class tqdm(text_tqdm):  # noqa: N801 - a drop-in for tqdm.tqdm
    """``tqdm.tqdm`` with text output to standard output and a fixed width (both can still be overridden)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("file", sys.stdout)
        kwargs.setdefault("ncols", WIDTH)
        super().__init__(*args, **kwargs)
