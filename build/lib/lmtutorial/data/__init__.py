"""Data: IMDb loading (:mod:`~lmtutorial.data.imdb`), vocabulary and tokenisation (:mod:`~lmtutorial.data.text`),
batching, the number-word tasks and label extraction.

``from lmtutorial.data import load_imdb, require_imdb, IMDbUnavailable`` keeps working: they live in
:mod:`lmtutorial.data.imdb`, which imports ``datasets`` only inside the functions that need it.
"""

from lmtutorial.data.imdb import IMDbUnavailable, load_imdb, require_imdb

__all__ = ["IMDbUnavailable", "load_imdb", "require_imdb"]
