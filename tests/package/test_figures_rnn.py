"""The recurrent-network diagrams of lmtutorial.figures.rnn: each returns a Figure with the axes and arrows it
promises, marks exactly the wrong predictions, and rejects sizes it cannot draw."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import FancyArrowPatch  # noqa: E402

from lmtutorial.figures.rnn import BACKWARD, OWN, WRONG, teacher_forcing_vs_free_running, unrolled_rnn  # noqa: E402


def arrows(ax, color: str) -> list[FancyArrowPatch]:  # noqa: ANN001
    return [p for p in ax.patches if isinstance(p, FancyArrowPatch) and p.get_edgecolor() == to_rgba(color)]


def inputs(ax) -> list[str]:  # noqa: ANN001
    """The tokens of the input row (y = 0), without the row's italic label."""
    return [t.get_text() for t in ax.texts if t.get_position()[1] == 0.0 and t.get_style() != "italic"]


def texts(ax) -> list[str]:  # noqa: ANN001
    return [t.get_text() for t in ax.texts]


@pytest.mark.parametrize("steps", [2, 4, 6])
def test_unrolled_rnn_has_forward_and_backward_arrows_for_every_step(steps: int):
    fig = unrolled_rnn(steps)
    try:
        assert isinstance(fig, Figure) and len(fig.axes) == 1
        ax = fig.axes[0]
        assert len(arrows(ax, BACKWARD)) == 2 * steps - 1  # loss -> h_t for every t, h_t -> h_{t-1} for t > 1
        assert len(arrows(ax, "black")) == 3 * steps  # x_t -> h_t, h_t -> loss, h_{t-1} -> h_t
        assert rf"$\mathbf{{h}}_{steps}$" in texts(ax) and r"$\mathbf{h}_0$" in texts(ax)
        assert ax.get_legend() is not None
    finally:
        plt.close(fig)


def test_unrolled_rnn_needs_two_steps():
    with pytest.raises(ValueError, match="steps: expected at least 2"):
        unrolled_rnn(1)


def test_teacher_forcing_feeds_back_only_when_running_free_and_marks_wrong_words():
    fig = teacher_forcing_vs_free_running(("one", "hundred"), ("one", "thousand", "<eos>"), ("one", "thousand"))
    try:
        forced, free = fig.axes
        assert not arrows(forced, OWN) and len(arrows(free, OWN)) == 1  # "one" becomes the next input
        wrong = [[t.get_text() for t in ax.texts if t.get_color() == WRONG] for ax in (forced, free)]
        assert wrong == [["thousand"], ["thousand"]]
        assert inputs(forced) == ["<bos>", "one", "hundred"]  # the target's tokens
        assert inputs(free) == ["<bos>", "one"]  # the model's own "one", not the target's
    finally:
        plt.close(fig)


def test_teacher_forcing_checks_the_number_of_predictions():
    with pytest.raises(ValueError, match=r"forced: expected one prediction per target token plus <eos> \(3\), got 2"):
        teacher_forcing_vs_free_running(("one", "hundred"), ("one", "hundred"), ("one",))
