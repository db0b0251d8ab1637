"""Glued values: ``{glue:text}`` (and ``{glue}``, ``{glue:md}``) shows the value of the LAST BOOK BUILD, read from
``_build/jupyter_execute/book/<page>.glue.json``; without a build, the values already stored in the committed
notebook are kept; a value found in neither reads "`name` (computed when the notebook runs)" (a warning; a test
fails on it).

A generated notebook stores the glue values it used (text in ``metadata.lmtutorial.glue``, figures as its
attachments): regenerating it with those (``committed_glue``) must give the committed file byte for byte.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import nbformat

from .repo import GLUE_DIR

MISSING_GLUE = "`{name}` (computed when the notebook runs)"
GLUE_MIMES = ("text/plain", "text/markdown", "text/latex", "image/png")  # image/png: glued figures


def build_glue(stem: str) -> dict[str, dict] | None:
    """The glued data (mime type → text) of the last book build for page ``stem``: myst-nb writes every glue output
    of a page to ``_build/jupyter_execute/book/<page>.glue.json`` beside the executed copy."""
    path = GLUE_DIR / f"{stem}.glue.json"
    if not path.exists():
        return None
    outputs = json.loads(path.read_text(encoding="utf-8"))
    return {name: {mime: text for mime, text in output.get("data", {}).items() if mime in GLUE_MIMES}
            for name, output in outputs.items()}


def stored_glue(ipynb: Path) -> dict[str, dict | None]:
    """The glue values a generated notebook was made with: text from its metadata, figures from its attachments."""
    if not ipynb.exists():
        return {}
    notebook = nbformat.read(ipynb, as_version=4)
    glue = notebook.metadata.get("lmtutorial", {}).get("glue", {})
    for cell in notebook.cells:
        for name, data in cell.get("attachments", {}).items():
            key = name.removesuffix(".png")
            if glue.get(key) is not None:
                glue[key] = {**glue[key], **data}
    return glue


def last_build_glue(md: Path) -> dict[str, dict | None]:
    """The last build's values where the build has them, else the values stored in the committed notebook."""
    return {**stored_glue(md.with_suffix(".ipynb")), **(build_glue(md.stem) or {})}


def committed_glue(md: Path) -> dict[str, dict | None]:
    return stored_glue(md.with_suffix(".ipynb"))


def format_glue(data: dict, spec: str, mime: str = "text/plain") -> str:
    """myst-nb's rule for ``{glue:text}`name:spec```: literal-evaluate text/plain, then ``format(value, spec)``."""
    text = data.get(mime, data.get("text/plain", ""))
    if mime != "text/plain":
        return text
    try:
        value = ast.literal_eval(text)
    except (SyntaxError, ValueError):
        value = text
    if not spec:
        return str(value)
    kind = spec[-1]
    if kind in "bcdoxX":
        value = int(value)
    elif kind in "eEfFgGn%":
        value = float(value)
    elif kind == "s":
        value = str(value)
    return format(value, spec)
