"""bench/colab_estimate.py's file: made from today's size tables, every page within Colab's 10 minutes."""

from __future__ import annotations

import importlib.util
import json

import pytest

from conftest import REPO
from lmtutorial.book.sizes import SIZES

spec = importlib.util.spec_from_file_location("colab_estimate", REPO / "bench" / "colab_estimate.py")
colab_estimate = importlib.util.module_from_spec(spec)
spec.loader.exec_module(colab_estimate)
ESTIMATE = json.loads(colab_estimate.OUT.read_text(encoding="utf-8"))


@pytest.mark.parametrize("page", sorted(SIZES))
def test_each_page_is_estimated_at_the_sizes_its_table_gives_colab(page):
    entry = ESTIMATE["pages"][page]
    assert entry["sizes"] == colab_estimate.shared_sizes(page), "rerun bench/colab_estimate.py"
    if entry["sizes"] == "colab":
        assert entry["colab_sizes"] == json.loads(json.dumps(SIZES[page]["colab"])), "rerun bench/colab_estimate.py"


def test_every_page_is_estimated_within_the_limit_and_says_how():
    assert ESTIMATE["produced_by"] == "python bench/colab_estimate.py"
    for page, entry in ESTIMATE["pages"].items():
        assert entry["estimate_seconds"] <= ESTIMATE["limit_seconds"], page
        assert entry["cpu_source"] and entry["cpu_measured"], page


def test_the_t4_rate_is_the_h200_utilisation_times_the_t4_peak():
    rate = colab_estimate.t4_flop_rate()
    assert rate["t4_flops_per_second"] == pytest.approx(rate["h200_utilisation"] * 65e12)
    assert 0 < rate["h200_utilisation"] < 1


def test_a_page_sharing_another_profiles_sizes_is_recognised():
    assert colab_estimate.shared_sizes("ch03_algorithms") == "ci"
    assert colab_estimate.shared_sizes("ch06_2_translation") == "full"
    assert colab_estimate.shared_sizes("ch05_bert_project") == "colab"
