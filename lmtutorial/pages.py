"""Numbers a chapter computes and its prose quotes, and the time the page took.

In the book build, :func:`glue` hands a value to myst-nb, and the page's text shows it with ``{glue:text}`name```.
Where myst-nb is not installed (a notebook on Colab, whose Markdown cells cannot read glued values), it prints the
value instead, so the reader still sees every number the prose refers to.
"""

from __future__ import annotations

import time

CI_PAGE_SECONDS = 180  # the ci profile's promise: a page executes in under three minutes on a two-core CPU


def glue(name: str, value: object, display: bool = False) -> None:
    """Store ``value`` under ``name`` for the page's prose; print ``name: value`` where myst-nb is unavailable."""
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        print(f"{name}: {value}")
        return
    myst_glue(name, value, display=display)


def check_page_time(start: float, profile: str) -> float:
    """Print the seconds since ``start`` (a ``time.perf_counter()``); in the ci profile, fail at 3 minutes or more."""
    seconds = time.perf_counter() - start
    print(f"this page ran in {seconds:.0f} s ({profile} profile)")
    if profile == "ci" and seconds >= CI_PAGE_SECONDS:
        raise AssertionError(f"the ci profile should run in under 3 minutes; this run took {seconds:.0f} s")
    return seconds
