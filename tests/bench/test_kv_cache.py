"""bench/kv_cache.py on a tiny random Llama: every method and length measured, step times, ids compared."""

from __future__ import annotations

import importlib.util
import json

import pytest
import torch
from transformers import LlamaConfig, LlamaForCausalLM

from lmtutorial.core.kvcache import cache_bytes
from lmtutorial.provenance import write_json
from conftest import REPO

spec = importlib.util.spec_from_file_location("kv_cache", REPO / "bench" / "kv_cache.py")
kv_cache = importlib.util.module_from_spec(spec)
spec.loader.exec_module(kv_cache)


@pytest.fixture(scope="module")
def tiny() -> LlamaForCausalLM:
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=128, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64,
                         tie_word_embeddings=True)  # as SmolLM2
    return LlamaForCausalLM(config).eval()


@pytest.mark.usefixtures("one_thread")
def test_every_method_and_length_is_measured_and_compared(tiny, tmp_path):
    prompt = torch.randint(3, 128, (1, 6), generator=torch.Generator().manual_seed(1))
    measured = kv_cache.measure(tiny, prompt, (8, 4), repeats=1, eos_id=2, bandwidth_bytes=2**22)
    results = kv_cache.report(measured, {"tokens": 6}, threads=1, repeats=1, load_before=(0.0, 0.0, 0.0),
                              argv=["--lengths", "4", "8"], started=0.0)
    written = json.loads(write_json(tmp_path / "kv.json", results).read_text())
    assert written["script"] == "bench/kv_cache.py" and written["command"].endswith("--lengths 4 8")
    assert {"hardware", "versions", "date", "load_average_before", "settings", "prompt", "cpu"} <= set(written)
    assert list(written["lengths"]) == ["4", "8"]
    for n, row in written["lengths"].items():
        assert set(row["tokens_per_second"]) == set(kv_cache.METHODS)
        assert all(rate > 0 for rate in row["tokens_per_second"].values())
        assert all(len(times) == 1 for times in row["seconds"].values())
        assert row["ours_cache_over_transformers"] > 0 and row["share_of_bandwidth_limit"]["ours_cache"] > 0
        assert set(row["same_ids"]) == {"ours_cache_vs_transformers", "ours_no_cache_vs_transformers",
                                        "ours_cache_vs_ours_no_cache"}
        # float32 greedy decoding of a tiny model: all three give the same ids
        assert all(pair == {"agree": int(n), "of": int(n), "first_difference": None}
                   for pair in row["same_ids"].values())
        assert row["kv_cache_bytes_at_end"] == cache_bytes(2, 2, 8, 6 + int(n), bytes_per_value=4)
    steps = written["step_seconds"]
    assert steps["length"] == 8 and len(steps["ours_cache"]) == len(steps["ours_no_cache"]) == 8
    assert all(t > 0 for t in steps["ours_cache"] + steps["ours_no_cache"])
    bound = written["memory_bound"]
    parameters = sum(p.numel() for p in tiny.parameters())  # tied: the head is the embedding table
    assert bound["weight_bytes_per_token"] == 4 * parameters == 4 * written["model"]["parameters"]
    assert bound["limit_tokens_per_second"] == pytest.approx(bound["read_bandwidth_bytes_per_second"]
                                                             / bound["weight_bytes_per_token"])


def test_an_untied_embedding_table_counts_one_row():
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=128, hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                         num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=False)
    ours = kv_cache.from_hf(LlamaForCausalLM(config))
    assert kv_cache.weight_bytes_per_token(ours) == 4 * (sum(p.numel() for p in ours.parameters()) - 127 * 32)


def test_ids_agreement_names_the_first_difference():
    assert kv_cache.agreement(torch.tensor([1, 2, 3, 4]), torch.tensor([1, 2, 5, 4])) == \
        {"agree": 3, "of": 4, "first_difference": 2}


@pytest.mark.parametrize("argv, message", [
    (["--lengths", "32", "-3"], "argument --lengths: expected an integer >= 1, got '-3'"),
    (["--repeats", "0"], "argument --repeats: expected an integer >= 1, got '0'"),
    (["--threads", "two"], "argument --threads: expected an integer >= 1, got 'two'"),
])
def test_bad_arguments_are_one_clear_error(argv, message, capsys):
    with pytest.raises(SystemExit):
        kv_cache.main(argv)
    assert message in capsys.readouterr().err


def test_bad_lengths_given_to_measure_are_one_clear_error(tiny):
    with pytest.raises(ValueError, match=r"lengths: expected an integer >= 1, got -1"):
        kv_cache.measure(tiny, torch.ones(1, 3, dtype=torch.long), (4, -1), repeats=1)
    with pytest.raises(ValueError, match=r"prompt_ids: expected shape \(1, T\), one prompt, got \(2, 3\)"):
        kv_cache.measure(tiny, torch.ones(2, 3, dtype=torch.long), (4,), repeats=1)
