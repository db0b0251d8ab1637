"""The Transformer page's figures (lmtutorial.figures.transformer): the mask grid is causal_mask's, the RoPE arrows are
what our RoPE code computes, the step-time plot draws its medians and refuses data it cannot compare, and the block
diagrams put each norm and residual where PostNormBlock and PreNormBlock do; no two labels overlap."""

from __future__ import annotations

import itertools
import re

import matplotlib
import numpy as np
import pytest
import torch

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - after choosing the backend
from matplotlib.colors import to_rgba  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import FancyArrowPatch  # noqa: E402

from lmtutorial.core.masks import causal_mask  # noqa: E402
from lmtutorial.core.positions import RotaryEmbedding, apply_rotary  # noqa: E402
from lmtutorial.figures.transformer import (  # noqa: E402
    ALLOWED,
    RESIDUAL,
    plot_block_diagrams,
    plot_causal_mask,
    plot_rope_rotation,
    plot_step_times,
)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def text_problems(fig: Figure) -> list[tuple[str, str]]:
    """Pairs of visible, non-empty texts of ``fig`` whose drawn boxes intersect, and texts the figure's edge cuts."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    texts = [t for t in fig.findobj(matplotlib.text.Text) if t.get_visible() and t.get_text().strip()]
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in texts]
    ticks = {id(label) for ax in fig.axes for which in ("major", "minor")  # laid out by matplotlib, even unseen
             for label in ax.get_xticklabels(which=which) + ax.get_yticklabels(which=which)}
    inside = fig.bbox.padded(1)
    cut = [(t.get_text(), "(cut by the figure's edge)") for t, (_, box) in zip(texts, boxes) if id(t) not in ticks
           and not (inside.contains(box.x0, box.y0) and inside.contains(box.x1, box.y1))]
    return cut + [(a, b) for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2) if box_a.overlaps(box_b)]


@pytest.mark.parametrize("length, past", [(1, 0), (6, 0), (3, 5), (2, 9)])
def test_causal_mask_grid_shades_exactly_the_allowed_cells(length: int, past: int):
    fig = plot_causal_mask(length, past)
    ax = fig.axes[0]
    expected = causal_mask(length, past).numpy()
    image = ax.images[0]
    colors = image.to_rgba(image.get_array())  # the colour each cell is drawn in
    shaded = np.all(np.isclose(colors, to_rgba(ALLOWED)), axis=-1)
    np.testing.assert_array_equal(shaded, expected)
    crosses = {(round(t.get_position()[1]), round(t.get_position()[0])) for t in ax.texts if t.get_text() == "×"}
    assert crosses == set(zip(*np.nonzero(~expected)))
    assert [t.get_text() for t in ax.get_yticklabels()] == [str(past + i) for i in range(length)]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("key position", "query position")
    assert text_problems(fig) == []


def test_causal_mask_grid_with_a_long_cache_keeps_the_mask_and_drops_the_crosses():
    fig = plot_causal_mask(4, past=60)
    ax = fig.axes[0]
    np.testing.assert_array_equal(ax.images[0].get_array(), causal_mask(4, 60).numpy())
    assert not [t for t in ax.texts if t.get_text() == "×"]
    assert text_problems(fig) == []


@pytest.mark.parametrize("length, past", [(0, 0), (3, -1)])
def test_causal_mask_grid_refuses_what_causal_mask_refuses(length: int, past: int):
    with pytest.raises(ValueError, match="length" if length < 1 else "past"):
        plot_causal_mask(length, past)


@pytest.mark.parametrize("pairs, head_dim, base", [((0, 4), 64, 10000.0), ((1,), 8, 100.0), ((0, 1, 2), 8, 100.0)])
def test_rope_arrows_are_what_our_rope_code_computes(pairs, head_dim: int, base: float):
    positions = 8
    fig = plot_rope_rotation(pairs, positions, head_dim, base)
    assert len(fig.axes) == len(pairs)
    cos, sin = RotaryEmbedding(head_dim, base)(torch.arange(positions))
    for ax, pair in zip(fig.axes, pairs):
        query = torch.zeros(positions, head_dim)
        query[:, pair] = 1.0
        expected = apply_rotary(query, cos, sin)[:, [pair, pair + head_dim // 2]].numpy()
        arrows = ax.collections[0]
        np.testing.assert_allclose(np.asarray(arrows.X), 0.0)
        np.testing.assert_allclose(np.asarray(arrows.Y), 0.0)
        np.testing.assert_allclose(np.column_stack([arrows.U, arrows.V]), expected)
        theta = base ** (-2 * pair / head_dim)  # a turn by m·θ_i: the closed form, as a second witness
        angles = np.arange(positions) * theta
        np.testing.assert_allclose(expected, np.column_stack([np.cos(angles), np.sin(angles)]), atol=1e-5)
        assert [t.get_text() for t in ax.texts] == [f"m={m}" for m in range(positions)]
    assert text_problems(fig) == []


def test_rope_note_shows_scores_that_depend_only_on_the_offset():
    fig = plot_rope_rotation()
    note = fig._supxlabel.get_text()
    scores = [float(s) for s in re.findall(r"= (-?\d+\.\d{4})", note)]
    assert len(scores) == 3 and len(set(scores)) == 1
    q, k = torch.randn(2, 64, generator=torch.Generator().manual_seed(0))
    cos, sin = RotaryEmbedding(64)(torch.arange(8))
    assert scores[0] == pytest.approx(float(apply_rotary(q, cos[2], sin[2]) @ apply_rotary(k, cos[0], sin[0])),
                                      abs=1e-4)


def test_rope_figure_refuses_a_pair_the_head_does_not_have():
    with pytest.raises(ValueError, match=r"pair: expected 0 … 3 \(head_dim / 2 pairs\), got 4"):
        plot_rope_rotation((0, 4), head_dim=8)
    with pytest.raises(ValueError, match="at least one pair and 2 positions"):
        plot_rope_rotation((), positions=8)


def test_step_times_draws_raw_times_and_their_rolling_median():
    times = [1.0, 9.0, 2.0, 3.0, 100.0, 4.0, 5.0]  # ms, passed in seconds
    fig = plot_step_times({"no cache": [t / 1000 for t in times], "KV cache": [0.002] * 7}, start=10, window=3)
    ax = fig.axes[0]
    raw, median, *_ = ax.lines
    assert len(ax.lines) == 4  # raw and median per method
    np.testing.assert_array_equal(raw.get_xdata(), np.arange(10, 17))
    np.testing.assert_allclose(raw.get_ydata(), times)
    np.testing.assert_allclose(median.get_ydata(), [5.0, 2.0, 3.0, 3.0, 4.0, 5.0, 4.5])  # the 100 is gone
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["no cache", "KV cache"]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("position (token index)", "time per step (ms)")
    assert ax.get_ylim()[0] == 0 and ax.get_xscale() == ax.get_yscale() == "linear"
    assert text_problems(fig) == []


@pytest.mark.parametrize("step_times, window, message", [
    ({}, 5, r"expected at least one method, each with the same number \(>= 1\) of step times, got none"),
    ({"no cache": [1.0, 2.0], "KV cache": [1.0]}, 5, r"got \{'no cache': 2, 'KV cache': 1\}"),
    ({"KV cache": []}, 5, r"got \{'KV cache': 0\}"),
    ({"KV cache": [1.0, -2.0, float("nan")]}, 5,
     r"expected finite times >= 0 \(seconds\), got \{'KV cache': \[-2.0, nan\]\}"),
    ({"KV cache": [1.0, 2.0]}, 4, r"window: expected an odd number >= 1, got 4"),
])
def test_step_times_refuses_data_it_cannot_compare(step_times, window: int, message: str):
    with pytest.raises(ValueError, match=message):
        plot_step_times(step_times, window=window)
    assert plt.get_fignums() == []  # no half-drawn figure left open


ENCODER = ["token ids, token types", "token + token-type + learned position\nembeddings, summed", "LayerNorm",
           "multi-head self-attention\n(padding mask)", "add & LayerNorm", "feed-forward\nLinear → GELU → Linear",
           "add & LayerNorm", "hidden states (batch, T, dim)"]
DECODER = ["token ids", "token embeddings", "RMSNorm", "grouped-query self-attention\n(RoPE on q, k; causal mask)",
           "+", "RMSNorm", "SwiGLU feed-forward\n$W_{down}$(SiLU($W_{gate}$x) ⊙ $W_{up}$x)", "+", "final RMSNorm",
           "LM head (tied to the token embeddings)", "logits (batch, T, vocab)"]


def stages(ax) -> list[tuple[float, str]]:  # noqa: ANN001 - a matplotlib Axes
    """(height, text) of the diagram's stages, bottom to top, without the "× N layers" bracket."""
    return sorted((t.get_position()[1], t.get_text()) for t in ax.texts if t.get_text() != "× N layers")


def bypassed(ax) -> list[list[str]]:  # noqa: ANN001
    """For each residual path, the stages it goes around (strictly between its branch and its add)."""
    paths = [line.get_ydata() for line in ax.lines if len(line.get_ydata()) == 3]
    return [[text for y, text in stages(ax) if branch < y < join] for branch, _, join in sorted(paths, key=min)]


def test_block_diagrams_follow_post_norm_and_pre_norm_blocks():
    fig = plot_block_diagrams()
    encoder, decoder = fig.axes
    assert [text for _, text in stages(encoder)] == ENCODER
    assert [text for _, text in stages(decoder)] == DECODER
    # post-norm: the residual goes around the sublayer alone and joins before the LayerNorm (x ← LN(x + Attn(x)))
    assert bypassed(encoder) == [[ENCODER[3]], [ENCODER[5]]]
    # pre-norm: the residual goes around the norm and the sublayer and joins the raw stream (x ← x + Attn(N(x)))
    assert bypassed(decoder) == [["RMSNorm", DECODER[3]], ["RMSNorm", DECODER[6]]]
    for ax in (encoder, decoder):
        red = [p for p in ax.patches if isinstance(p, FancyArrowPatch) and p.get_edgecolor() == to_rgba(RESIDUAL)]
        assert len(red) == 2
        assert [t.get_text() for t in ax.texts].count("× N layers") == 1
    assert text_problems(fig) == []


def test_figures_are_figures():
    figures = [plot_causal_mask(3), plot_rope_rotation(), plot_step_times({"a": [1.0]}), plot_block_diagrams()]
    assert all(isinstance(fig, Figure) for fig in figures)
    assert [len(fig.axes) for fig in figures] == [1, 2, 1, 2]
    assert figures[2].axes[0].lines[1].get_ydata().tolist() == [1000.0]  # one step (1 s): its own median, in ms
