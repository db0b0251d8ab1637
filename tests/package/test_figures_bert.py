"""Chapter 5's figures: the learning-rate schedule is transformers' (pinned to its closed form), the BERT input
diagram shows every token and the [CLS] path without overlapping labels, the attention map draws the weights given."""

from __future__ import annotations

import itertools

import matplotlib
import numpy as np
import pytest
import torch

from lmtutorial.figures.bert import (
    linear_warmup_schedule,
    plot_attention_weights,
    plot_bert_input,
    plot_learning_rate_schedule,
)

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - after choosing the backend


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def texts_overlap(fig) -> list[tuple[str, str]]:
    """Pairs of visible, non-empty texts of ``fig`` whose drawn boxes intersect."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    texts = [t for t in fig.findobj(matplotlib.text.Text) if t.get_visible() and t.get_text().strip()]
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in texts]
    return [(a, b) for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2) if box_a.overlaps(box_b)]


@pytest.mark.parametrize("peak, total, warmup", [(5e-5, 4689, 500), (1e-3, 10, 0), (2e-4, 7, 7), (1.0, 1, 0)])
def test_schedule_is_warm_up_then_linear_decay(peak, total, warmup):
    steps = np.arange(total)
    closed_form = peak * np.where(steps < warmup, steps / max(1, warmup),
                                  (total - steps) / max(1, total - warmup))
    rates = linear_warmup_schedule(peak, total, warmup)
    np.testing.assert_allclose(rates, closed_form, rtol=1e-12, atol=0)


def test_schedule_is_the_one_trainer_uses(tmp_path):
    from transformers import Trainer, TrainingArguments

    args = TrainingArguments(output_dir=str(tmp_path), learning_rate=3e-4, warmup_steps=4,
                             lr_scheduler_type="linear", use_cpu=True, report_to="none")
    trainer = Trainer(model=torch.nn.Linear(2, 2), args=args)
    trainer.create_optimizer_and_scheduler(num_training_steps=20)
    used = []
    for _ in range(20):
        used.append(trainer.lr_scheduler.get_last_lr()[0])
        trainer.optimizer.step()
        trainer.lr_scheduler.step()
    np.testing.assert_allclose(linear_warmup_schedule(3e-4, 20, 4), used, rtol=1e-12)


@pytest.mark.parametrize("peak, total, warmup, message", [
    (0.0, 10, 1, "peak"), (1e-3, 0, 0, "total_steps"), (1e-3, 10, 11, "warmup_steps"), (1e-3, 10, -1, "warmup")])
def test_schedule_refuses_impossible_arguments(peak, total, warmup, message):
    with pytest.raises(ValueError, match=message):
        linear_warmup_schedule(peak, total, warmup)


def test_schedule_plot_draws_the_rates_and_labels_apart():
    rates = linear_warmup_schedule(5e-5, 4689, 500)
    fig = plot_learning_rate_schedule({"article": (rates, 500)})
    line = fig.axes[0].lines[0]
    np.testing.assert_array_equal(line.get_ydata(), rates)
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == [
        "article: warm-up 500 of 4,689 steps"]
    assert texts_overlap(fig) == []
    with pytest.raises(ValueError, match="at least one"):
        plot_learning_rate_schedule({})


def test_bert_input_shows_every_token_and_the_cls_path():
    tokens = ["[CLS]", "a", "great", "film", "[SEP]", "i", "loved", "it", "[SEP]"]
    fig = plot_bert_input(tokens, [0] * 5 + [1] * 4)
    shown = [t.get_text() for t in fig.axes[0].texts]
    for token in tokens:
        assert shown.count(token) == 2 * tokens.count(token)  # the input row and the token-embedding row
    assert shown.count("$E_A$") == 5 and shown.count("$E_B$") == 4
    assert any(text.startswith("pooler") for text in shown) and any("classifier" in t for t in shown)
    assert texts_overlap(fig) == []


@pytest.mark.parametrize("tokens, segments, message", [
    (["a", "[SEP]"], [0, 0], "starting with '\\[CLS\\]'"),
    (["[CLS]", "a"], [0], "one 0 or 1 per token"),
    (["[CLS]", "a"], [0, 2], "one 0 or 1 per token")])
def test_bert_input_refuses_inputs_it_cannot_draw(tokens, segments, message):
    with pytest.raises(ValueError, match=message):
        plot_bert_input(tokens, segments)


def test_attention_map_draws_the_weights_given():
    weights = torch.softmax(torch.randn(4, 4, generator=torch.Generator().manual_seed(0)), dim=-1)
    fig = plot_attention_weights(weights, ["[CLS]", "a", "film", "[SEP]"], "head 0")
    np.testing.assert_allclose(fig.axes[0].images[0].get_array(), weights.numpy())
    with pytest.raises(ValueError, match=r"expected shape \(3, 3\)"):
        plot_attention_weights(weights, ["[CLS]", "a", "[SEP]"], "head 0")
