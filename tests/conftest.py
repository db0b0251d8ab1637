"""Shared test helpers: the optional ../shared resources."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lmtutorial.resources import shared_dir

REPO = Path(__file__).resolve().parents[1]


def require_shared(relative: str) -> Path:
    """Return the shared resource ``relative``, skipping the test with a reason when it is absent.

    Under CI (``CI=true``) an absent resource fails instead: CI must never skip these tests.
    """
    root = shared_dir()
    path = None if root is None else root / relative
    if path is None or not path.exists():
        message = (f"needs shared/{relative} (the offline copy beside the repository, or set LMTUTORIAL_SHARED); "
                   "readers without it download the same data from the Hugging Face Hub")
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI must not skip: {message}")
        pytest.skip(message)
    return path
