"""Progress bars that read the same in a terminal, in Jupyter or Colab, and on the built website: tqdm's text bar,
at most 80 characters, on standard output in a terminal and as one replaced text output in a notebook.
"""

from __future__ import annotations

import io
import re
import sys
from typing import TextIO

from tqdm.std import tqdm as text_tqdm

WIDTH = 80  # characters: fits the website's code column and the book's 88-character lines


def in_kernel() -> bool:
    """True inside a Jupyter (or Colab) kernel, where outputs are displays rather than a terminal."""
    shell = sys.modules.get("IPython") and sys.modules["IPython"].get_ipython()
    return shell is not None and hasattr(shell, "kernel")


class NotebookLine(io.TextIOBase):
    """A file for tqdm: its last line is shown as one text output, replaced at every write (``display_id``)."""

    encoding = "utf-8"  # tqdm draws its Unicode blocks only on a UTF-8 file

    def __init__(self) -> None:
        self.handle = None
        self.text = ""

    def write(self, text: str) -> int:
        from IPython.display import display

        lines = [line for line in re.split(r"[\r\n]", text) if line.strip()]
        if lines or (self.handle is not None and "\r" in text):  # "\r" and blanks: tqdm clears the bar
            self.text = lines[-1].rstrip() if lines else ""
            bundle = {"text/plain": self.text}
            if self.handle is None:
                self.handle = display(bundle, raw=True, display_id=True)
            else:
                self.handle.update(bundle, raw=True)
        return len(text)


class tqdm(text_tqdm):  # noqa: N801 - a drop-in for tqdm.tqdm
    """``tqdm.tqdm`` as a text bar of fixed width: on standard output in a terminal, as one replaced output in a
    notebook (both can still be overridden with ``file=`` and ``ncols=``)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("ncols", WIDTH)
        if kwargs.get("file") is None:
            file: TextIO = NotebookLine() if in_kernel() else sys.stdout
            kwargs["file"] = file
        super().__init__(*args, **kwargs)
