from pathlib import Path

import matplotlib
import pytest

from lmtutorial.hf.report import save_plots

matplotlib.use("Agg")

RESULTS = {
    "model": "/models/tiny",
    "log_history": [{"epoch": 0.5, "loss": 0.7}, {"epoch": 1.0, "loss": 0.5}, {"epoch": 1.0, "eval_loss": 0.55}],
    "test": {"accuracy": 0.75, "confusion_matrix": [[3, 1], [1, 3]]},
}


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
