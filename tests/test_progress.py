"""lmtutorial.progress: the training loops' progress bars are text on standard output, never notebook widgets, so
the offline website shows them as a line of text and the book build's standard error keeps only warnings."""

from __future__ import annotations

import re

import torch
from tqdm.notebook import tqdm as widget_tqdm

from lmtutorial.models import skipgram
from lmtutorial.progress import WIDTH, tqdm
from lmtutorial.training import loop


def test_bar_is_text_on_stdout_and_fits_the_column(capsys):
    for _ in tqdm(range(3), desc="steps"):
        pass
    captured = capsys.readouterr()
    assert captured.err == ""
    lines = [line for line in re.split(r"[\r\n]", captured.out) if line.strip()]
    assert lines and "3/3" in lines[-1]
    assert max(len(line) for line in lines) <= WIDTH


def test_loops_use_the_text_bar_not_a_widget():
    for module in (loop, skipgram):
        assert module.tqdm is tqdm and not issubclass(module.tqdm, widget_tqdm), module.__name__


def test_train_shows_its_bar_on_stdout(capsys):
    model = torch.nn.Linear(2, 1)
    batches = [(torch.ones(4, 2), torch.zeros(4, 1))] * 2
    loss = lambda model, batch: torch.nn.functional.mse_loss(model(batch[0]), batch[1])  # noqa: E731
    loop.train(model, batches, loss, epochs=1, progress=True)
    captured = capsys.readouterr()
    assert "training 1/1" in captured.out and captured.err == ""
