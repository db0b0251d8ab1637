"""lmtutorial.book.goals: chapter 5's goals, set against the independent H200 measurement they must beat."""

from __future__ import annotations

from lmtutorial.book import goals
from lmtutorial.results import load_result


def test_the_accuracy_goal_is_above_the_plain_fine_tune_it_must_not_fall_below():
    part_b = load_result("h200_anchor_2026-11-28")["raw"]["B"]["epochs"]
    best = max(epoch["test_acc"] for epoch in part_b)
    assert best < goals.MINILM_TEST_ACCURACY < best + 0.01


def test_the_bert_base_epoch_goal_is_faster_than_every_measured_recipe():
    measured = load_result("h200_anchor_2026-11-28")["raw"]["A"]
    epochs = [v["epoch_s_imdb"] for v in measured.values() if isinstance(v, dict) and "epoch_s_imdb" in v]
    epochs.append(measured["bf16_bs32_bucketed_epoch_s_imdb"])
    assert goals.BERT_BASE_EPOCH_SECONDS < min(epochs)


def test_the_end_to_end_goal_is_faster_than_the_anchors_training_and_testing():
    part_b = load_result("h200_anchor_2026-11-28")["raw"]["B"]["epochs"]
    anchor_seconds = sum(epoch["train_s"] + epoch["eval_s"] for epoch in part_b)
    assert 0 < goals.MINILM_END_TO_END_SECONDS < anchor_seconds
