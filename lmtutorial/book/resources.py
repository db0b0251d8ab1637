"""Where the book finds offline resources (a ``shared/`` folder beside the repository, or ``$LMTUTORIAL_SHARED``),
and which size profile a chapter runs in."""

from __future__ import annotations

import os
from pathlib import Path

PROFILES = ("ci", "colab", "full")


def shared_dir() -> Path | None:
    """The offline resource folder: ``$LMTUTORIAL_SHARED``, else a ``shared/`` beside the repository, else ``None``."""
    explicit = os.environ.get("LMTUTORIAL_SHARED")
    if explicit:
        return Path(explicit).expanduser().resolve()
    for folder in (Path.cwd(), *Path.cwd().parents):
        if (folder / "_toc.yml").exists() and (folder.parent / "shared").is_dir():
            return (folder.parent / "shared").resolve()
    return None


def cache_dir() -> Path:
    """Where the package keeps what it makes once (de-quantised weights, downloaded ratings): ``$LMTUTORIAL_CACHE``,
    else ``$XDG_CACHE_HOME/lmtutorial`` (default ``~/.cache/lmtutorial``)."""
    explicit = os.environ.get("LMTUTORIAL_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME", "~/.cache")).expanduser() / "lmtutorial"


def shared_path(relative: str) -> Path | None:
    """``shared_dir() / relative`` if it exists, else ``None``."""
    root = shared_dir()
    if root is None or not (root / relative).exists():
        return None
    return root / relative


def profile() -> str:
    """The size profile: ``$LMTUTORIAL_PROFILE`` (one of :data:`PROFILES`), else ``"colab"`` in Colab (sized for
    its free T4 and two CPU cores), ``"full"`` on another GPU, ``"ci"`` on a CPU."""
    return _chosen("LMTUTORIAL_PROFILE") or _default_profile()


def sizes_profile() -> str:
    """The profile whose sizes a page runs at: ``$LMTUTORIAL_SIZES``, else :func:`profile`. The simulated Colab
    (``tools/colab_check.py``) sets ``ci``: the ``colab`` profile's code at the ``ci`` profile's sizes, on a CPU."""
    return _chosen("LMTUTORIAL_SIZES") or profile()


def _chosen(variable: str) -> str | None:
    chosen = os.environ.get(variable)
    if chosen is not None and chosen not in PROFILES:
        raise ValueError(f"{variable}: expected one of {PROFILES}, got {chosen!r}")
    return chosen


def _default_profile() -> str:
    import sys

    import torch

    if "google.colab" in sys.modules:
        return "colab"
    return "full" if torch.cuda.is_available() else "ci"
