"""The H200 anchor measurement chapter 5 cites: the raw file unchanged, with its producing script and provenance."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from lmtutorial.book.resources import shared_path
from lmtutorial.results import load_result
from conftest import REPO

ANCHOR = load_result("h200_anchor_2026-11-28")


def test_the_producing_script_is_the_one_that_ran():
    script = (REPO / "bench" / "gpu_anchor.py").read_bytes()
    assert hashlib.sha256(script).hexdigest() == ANCHOR["script_sha256"]
    assert ANCHOR["produced_by"].startswith("python bench/gpu_anchor.py")


def test_provenance_matches_the_raw_measurement():
    raw = ANCHOR["raw"]
    assert ANCHOR["hardware"] == raw["device"] == "NVIDIA H200"
    assert ANCHOR["versions"]["torch"] == raw["torch"] and ANCHOR["date"] == "2026-11-28"
    assert ANCHOR["independent_of_lmtutorial"] is True


def test_the_raw_part_is_the_shared_file_unchanged():
    source = shared_path(f"measurements/{ANCHOR['source_file']}")
    if source is None:
        pytest.skip("../shared/measurements is not here: nothing to compare with")
    data = Path(source).read_bytes()
    assert hashlib.sha256(data).hexdigest() == ANCHOR["source_sha256"]
    assert json.loads(data) == ANCHOR["raw"]
