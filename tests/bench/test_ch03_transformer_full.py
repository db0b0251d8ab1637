"""bench/ch03_transformer_full.py: the page's comparison at a profile's sizes, written with its provenance."""

from __future__ import annotations

import importlib.util
import json

import pytest

from conftest import REPO
from lmtutorial.book.sizes import SIZES

spec = importlib.util.spec_from_file_location("ch03_transformer_full", REPO / "bench" / "ch03_transformer_full.py")
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)


def test_the_json_holds_the_runs_the_sizes_and_how_they_were_made(tmp_path, monkeypatch):
    called = {}

    def fake_comparison(sizes):  # noqa: ANN001, ANN202 - the real one trains for minutes
        called["sizes"] = sizes
        return {"data": {"train_tokens": 10}, "parameters": {"LSTM": 1, "GPT": 1}, "runs": [{"perplexity": 9.0}]}

    monkeypatch.setattr(bench, "compare_lstm_and_gpt", fake_comparison)
    out = tmp_path / "result.json"
    bench.main(["--profile", "ci", "--out", str(out)])
    written = json.loads(out.read_text(encoding="utf-8"))
    assert called["sizes"] == SIZES["ch03_1_transformer"]["ci"]["compare"]
    assert written["runs"] == [{"perplexity": 9.0}] and written["profile"] == "ci"
    assert written["produced_by"] == f"python bench/ch03_transformer_full.py --profile ci --out {out}"
    assert {"hardware", "library_versions", "date", "cpu", "threads", "load_average_before", "seconds"} <= set(written)


def test_bad_threads_is_one_clear_error(capsys):
    with pytest.raises(SystemExit):
        bench.main(["--threads", "0"])
    assert "--threads: expected an integer >= 1, got 0" in capsys.readouterr().err


def test_the_committed_result_is_the_full_profile_of_this_page():
    """The committed JSON ran the page's full sizes as they stand (a change of sizes needs a new run)."""
    from lmtutorial.results import load_result

    full = load_result("ch03_transformer_full")
    assert full["profile"] == "full"
    assert json.loads(json.dumps(SIZES["ch03_1_transformer"]["full"]["compare"])) == full["settings"]
    seeds = {run["seed"] for run in full["runs"]}
    assert len(seeds) >= 3 and {run["model"] for run in full["runs"]} == {"LSTM", "GPT"}
