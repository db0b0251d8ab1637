"""The figures of chapter 4 (lmtutorial.figures.lstm): each returns a Figure that shows what it promises."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

from lmtutorial.figures.lstm import (  # noqa: E402
    activation_slopes,
    place_labels,
    plot_activations,
    plot_lstm_cell,
    plot_word_map,
)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def texts(fig: Figure) -> set[str]:
    return {text.get_text() for ax in fig.axes for text in ax.texts}


def boxes(fig: Figure, annotations) -> list[np.ndarray]:  # noqa: ANN001 - matplotlib annotations
    renderer = fig.canvas.get_renderer()
    return [np.array(a.get_window_extent(renderer).extents) for a in annotations]


def overlapping_pairs(extents: list[np.ndarray]) -> list[tuple[int, int]]:
    return [(i, j) for i in range(len(extents)) for j in range(i + 1, len(extents))
            if min(extents[i][2], extents[j][2]) > max(extents[i][0], extents[j][0])
            and min(extents[i][3], extents[j][3]) > max(extents[i][1], extents[j][1])]


def test_activation_slopes_are_the_closed_form_derivatives():
    z = torch.linspace(-8, 8, 161, dtype=torch.float64)
    slopes = activation_slopes(z)
    sigma, d_sigma = slopes["sigmoid"]
    tanh, d_tanh = slopes["tanh"]
    torch.testing.assert_close(sigma, torch.sigmoid(z))
    torch.testing.assert_close(d_sigma, sigma * (1 - sigma))
    torch.testing.assert_close(d_tanh, 1 - tanh**2)
    assert d_sigma.max().item() == pytest.approx(0.25) and d_tanh.max().item() == pytest.approx(1.0)


def test_activation_slopes_reject_a_non_vector():
    with pytest.raises(ValueError, match=r"1-D floating-point tensor, got shape \(2, 2\)"):
        activation_slopes(torch.zeros(2, 2))


def test_plot_activations_draws_each_function_beside_its_autograd_derivative():
    z = torch.linspace(-6, 6, 121, dtype=torch.float64)
    fig = plot_activations(z)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    for ax, function in zip(fig.axes, (torch.sigmoid, torch.tanh)):
        value, derivative = (torch.as_tensor(line.get_ydata()) for line in ax.get_lines()[:2])
        torch.testing.assert_close(value, function(z))
        torch.testing.assert_close(derivative, 1 - function(z) ** 2 if function is torch.tanh
                                   else function(z) * (1 - function(z)))
    assert {"max slope 0.25", "max slope 1.00"} <= texts(fig)


def test_lstm_cell_diagram_names_every_gate_and_state():
    fig = plot_lstm_cell()
    assert isinstance(fig, Figure)
    shown = texts(fig)
    assert {"$f_t$", "$i_t$", "$g_t$", "$o_t$", "$c_{t-1}$", "$c_t$", "$h_{t-1}$", "$h_t$", "$x_t$"} <= shown
    assert {"forget gate", "input gate", "candidate", "output gate"} <= shown
    assert sum(t.get_text() in ("σ", "tanh") for t in fig.axes[0].texts) == 5  # 3 σ, 2 tanh
    patches = fig.axes[0].patches
    assert sum(isinstance(p, FancyBboxPatch) for p in patches) == 5  # four blocks and the cell
    assert sum(isinstance(p, FancyArrowPatch) for p in patches) >= 15


def clustered_points() -> list[list[float]]:
    generator = torch.Generator().manual_seed(0)
    return (0.05 * torch.randn(12, 2, generator=generator)).tolist()  # twelve points crowded together


def test_place_labels_leaves_no_two_labels_overlapping():
    points = clustered_points()
    labels = [f"word{i}" for i in range(len(points))]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.scatter(*zip(*points))
    ax.set(xlim=(-1, 1), ylim=(-1, 1))
    placed = place_labels(ax, points, labels)
    assert [a.get_text() for a in placed] == labels
    assert overlapping_pairs(boxes(fig, placed)) == []


def test_the_same_offset_for_every_label_overlaps_on_these_points():
    """The check above can fail: one fixed offset, as the chapter used before, overlaps here."""
    points = clustered_points()
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.set(xlim=(-1, 1), ylim=(-1, 1))
    naive = [ax.annotate(f"word{i}", p, fontsize=8, xytext=(3, 3), textcoords="offset points")
             for i, p in enumerate(points)]
    assert overlapping_pairs(boxes(fig, naive))


def test_place_labels_needs_one_label_per_point():
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match="one label per point, got 1 labels for 2 points"):
        place_labels(ax, [[0, 0], [1, 1]], ["a"])


def test_plot_word_map_labels_every_word_once_without_overlap():
    groups = {"praise": ["good", "great", "fine"], "criticism": ["bad", "awful", "dull"]}
    points = torch.tensor([[0.0, 0.0], [0.02, 0.01], [0.01, -0.02], [1.0, 1.0], [1.01, 0.98], [0.99, 1.02]])
    fig = plot_word_map(points, groups)
    ax = fig.axes[0]
    assert sorted(texts(fig)) == sorted(w for members in groups.values() for w in members)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(groups)
    assert overlapping_pairs(boxes(fig, ax.texts)) == []


def test_plot_word_map_names_a_shape_mismatch():
    with pytest.raises(ValueError, match=r"expected points of shape \(2, 2\).*got \(3, 2\)"):
        plot_word_map(torch.zeros(3, 2), {"g": ["a", "b"]})
