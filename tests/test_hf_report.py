import json
import os
from pathlib import Path

import matplotlib
import numpy as np
import pytest

from lmtutorial.hf.report import (
    hardware,
    library_versions,
    save_plots,
    write_json,
)

matplotlib.use("Agg")

RESULTS = {
    "model": "/models/tiny",
    "log_history": [{"epoch": 0.5, "loss": 0.7}, {"epoch": 1.0, "loss": 0.5}, {"epoch": 1.0, "eval_loss": 0.55}],
    "test": {"accuracy": 0.75, "confusion_matrix": [[3, 1], [1, 3]]},
}


def test_versions_and_hardware_name_what_ran():
    versions = library_versions()
    assert versions["python"] and versions["torch"] and versions["transformers"] and "datasets" in versions
    info = hardware()
    assert info["device"] in ("cpu", "cuda") and info["name"] and info["world_size"] >= 1


def test_write_json_turns_numpy_into_plain_numbers(tmp_path):
    path = write_json(tmp_path / "deep" / "r.json", {"a": np.float32(0.5), "m": np.eye(2, dtype=np.int64),
                                                      "p": tmp_path})
    assert json.loads(path.read_text()) == {"a": 0.5, "m": [[1, 0], [0, 1]], "p": str(tmp_path)}
    with pytest.raises(TypeError, match="not JSON serialisable: object"):
        write_json(tmp_path / "bad.json", {"x": object()})


def test_a_failed_write_keeps_the_earlier_file(tmp_path, monkeypatch):
    path = write_json(tmp_path / "r.json", {"run": 1})

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        write_json(path, {"run": 2})
    assert json.loads(path.read_text()) == {"run": 1} and [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_a_failed_plot_keeps_the_earlier_plot(tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    first = save_plots(RESULTS, tmp_path)[0].read_bytes()

    def disk_full(self, target, **kwargs):
        Path(target).write_bytes(b"half a png")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Figure, "savefig", disk_full)
    with pytest.raises(OSError, match="No space left"):
        save_plots(RESULTS, tmp_path)
    assert (tmp_path / "loss_curve.png").read_bytes() == first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["confusion_matrix.png", "loss_curve.png"]


def test_plots_are_written(tmp_path):
    paths = save_plots(RESULTS, tmp_path)
    assert [p.name for p in paths] == ["loss_curve.png", "confusion_matrix.png"]
    assert all(p.stat().st_size > 1000 for p in paths)
