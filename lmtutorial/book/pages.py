"""Numbers a chapter computes and its prose quotes.

In the book build, :func:`glue` hands a value to myst-nb, and the page's text shows it with ``{glue:text}`name```.
Where myst-nb is not installed (a notebook on Colab, whose Markdown cells cannot read glued values), it prints the
value instead, so the reader still sees every number the prose refers to.
"""

from __future__ import annotations


def glue(name: str, value: object, display: bool = False) -> None:
    """Store ``value`` under ``name`` for the page's prose; print ``name: value`` where myst-nb is unavailable."""
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        print(f"{name}: {value}")
        return
    myst_glue(name, value, display=display)
