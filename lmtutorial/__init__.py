"""lmtutorial: the tested code behind the executable book *Language models from theory to practice*.

The package is laid out like the book (see the README's Layout); each name lives in one module, and the chapters
import it from there. This top level keeps only the few names a reader types in a notebook of their own::

    from lmtutorial import FinetuneConfig, finetune, load_imdb, profile

``import lmtutorial`` does not import ``datasets``, ``transformers`` or ``matplotlib``; the fine-tune is imported
when one of its names is first used.
"""

from lmtutorial.book.resources import profile
from lmtutorial.data.imdb import load_imdb

__version__ = "0.1.0"
__all__ = ["FinetuneConfig", "finetune", "load_imdb", "profile"]

# The fine-tune is imported when first asked for (PEP 562), so that ``import lmtutorial`` stays light.
LAZY = {"finetune": "lmtutorial.hf.finetune", "FinetuneConfig": "lmtutorial.hf.config"}


def __getattr__(name: str) -> object:
    if name in LAZY:
        import importlib

        value = getattr(importlib.import_module(LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'lmtutorial' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *LAZY})
