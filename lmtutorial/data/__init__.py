"""Data: IMDb loading (:mod:`~lmtutorial.data.imdb`, whose ``load_imdb``, ``require_imdb`` and ``IMDbUnavailable``
are re-exported here), vocabulary and tokenisation, batching, the number-word tasks and label extraction."""

from lmtutorial.data.imdb import IMDbUnavailable, load_imdb, require_imdb

__all__ = ["IMDbUnavailable", "load_imdb", "require_imdb"]
