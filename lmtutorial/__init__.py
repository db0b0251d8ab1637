"""lmtutorial: the tested code behind the executable book *Language models from theory to practice*.

The top level keeps only ``FinetuneConfig``, ``finetune``, ``load_imdb`` and ``profile``; the fine-tune is imported
on first use."""

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
