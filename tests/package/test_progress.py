"""lmtutorial.progress: the training loops' progress bars are text, never notebook widgets: on standard output in a
terminal, and one replaced output in a notebook, so the offline website shows their last state as one line of text
and the book build's standard error keeps only warnings."""

from __future__ import annotations

import re

import pytest
import torch
from tqdm.notebook import tqdm as widget_tqdm

from lmtutorial import progress
from lmtutorial.models import skipgram
from lmtutorial.progress import tqdm, WIDTH
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


class FakeHandle:
    def __init__(self, shown: list[str]):
        self.shown = shown

    def update(self, bundle: dict, raw: bool) -> None:
        self.shown[-1] = bundle["text/plain"]


@pytest.fixture()
def kernel(monkeypatch):
    """A notebook kernel, as far as the bar can tell: what it displays is recorded, one entry per output."""
    import IPython.display

    shown: list[str] = []

    def display(bundle: dict, raw: bool, display_id: bool) -> FakeHandle:
        shown.append(bundle["text/plain"])
        return FakeHandle(shown)

    monkeypatch.setattr(progress, "in_kernel", lambda: True)
    monkeypatch.setattr(IPython.display, "display", display)
    return shown


def test_in_a_notebook_the_bar_is_one_output_that_ends_at_its_last_state(kernel, capsys):
    for _ in tqdm(range(300), desc="steps", mininterval=0):
        pass
    assert len(kernel) == 1 and "300/300" in kernel[0] and "█" in kernel[0]
    assert len(kernel[0]) <= WIDTH
    assert capsys.readouterr() == ("", "")


def test_a_disabled_bar_shows_nothing_in_a_notebook(kernel):
    for _ in tqdm(range(3), disable=True):
        pass
    assert kernel == []
