import pytest
import torch
from conftest import require_shared
from transformers import BertConfig, BertModel, LlamaConfig, LlamaForCausalLM, LlamaModel

from lmtutorial.core.kvcache import KVCache
from lmtutorial.models.decoder import Decoder, DecoderConfig, from_hf, generate

SMOLLM2 = "models/SmolLM2-135M-Instruct-Q4_1/SmolLM2-135M-Instruct.Q4_1.gguf"


def tiny_llama(seed: int = 0, **options) -> LlamaForCausalLM:
    torch.manual_seed(seed)
    config = LlamaConfig(vocab_size=96, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128,
                         **{"rope_parameters": {"rope_type": "default", "rope_theta": 500.0}, **options})
    return LlamaForCausalLM(config).eval()


def random_ids(batch: int, length: int, seed: int = 1) -> torch.Tensor:
    return torch.randint(3, 96, (batch, length), generator=torch.Generator().manual_seed(seed))


@pytest.mark.usefixtures("one_thread")
@pytest.mark.parametrize("tied", [True, False], ids=["tied-head", "own-head"])
def test_tiny_llama_logits_equal_transformers(tied):
    hf = tiny_llama(tie_word_embeddings=tied)
    ours = from_hf(hf)
    assert (ours.head.weight is ours.tokens.weight) == tied
    ids = random_ids(2, 12)
    with torch.no_grad():
        torch.testing.assert_close(ours(ids), hf(ids).logits, rtol=0, atol=1e-5)
        # float64 agrees to ~1e-8, not 1e-15: transformers computes the RoPE angles in float32 even then.
        torch.testing.assert_close(ours.double()(ids), hf.double()(ids).logits, rtol=0, atol=1e-6)


@pytest.mark.usefixtures("one_thread")
def test_the_cache_gives_the_same_logits_token_by_token():
    ours = from_hf(tiny_llama())
    ids = random_ids(2, 10)
    with torch.no_grad():
        full = ours(ids)
        cache = ours.new_cache(batch=2, capacity=4)  # grows as it fills
        first, returned = ours(ids[:, :4], cache)
        assert returned is cache and cache.length == 4
        steps = [ours(ids[:, t:t + 1], cache)[0] for t in range(4, 10)]
    torch.testing.assert_close(torch.cat([first, *steps], dim=1), full, rtol=0, atol=1e-5)


@pytest.mark.usefixtures("one_thread")
def test_greedy_generation_equals_transformers_with_and_without_the_cache():
    hf = tiny_llama(eos_token_id=None)
    ours = from_hf(hf)
    ids = random_ids(2, 5)
    expected = hf.generate(ids, max_new_tokens=20, do_sample=False)
    assert expected.shape == (2, 25)
    assert torch.equal(generate(ours, ids, 20), expected)
    assert torch.equal(generate(ours, ids, 20, use_cache=False), expected)
    assert torch.equal(generate(ours, ids, 0), ids)


@pytest.mark.usefixtures("one_thread")
def test_sampling_is_reproducible_and_top_p_near_zero_is_greedy():
    ours = from_hf(tiny_llama())
    ids = random_ids(1, 4)
    first = generate(ours, ids, 15, temperature=1.0, top_p=0.9, seed=3)
    assert torch.equal(first, generate(ours, ids, 15, temperature=1.0, top_p=0.9, seed=3))
    assert torch.equal(first, generate(ours, ids, 15, use_cache=False, temperature=1.0, top_p=0.9, seed=3))
    assert not torch.equal(first, generate(ours, ids, 15, temperature=1.0, top_p=0.9, seed=4))
    assert torch.equal(generate(ours, ids, 15, temperature=0.7, top_p=1e-6), generate(ours, ids, 15))


def test_generation_stops_when_every_row_has_produced_eos():
    ours = from_hf(tiny_llama())
    ids = random_ids(1, 4)
    greedy = generate(ours, ids, 10)
    eos = int(greedy[0, 6])
    stopped = generate(ours, ids, 10, eos_id=eos)
    first = (greedy[0, 4:] == eos).nonzero()[0].item()
    assert torch.equal(stopped, greedy[:, :4 + first + 1])


@pytest.mark.parametrize("use_cache", [True, False], ids=["cache", "no-cache"])
def test_step_times_get_one_wall_time_per_step(use_cache):
    torch.manual_seed(0)
    ours = Decoder(DecoderConfig(vocab_size=20, dim=8, n_layers=2, n_heads=2, n_kv_heads=1, ffn_dim=16))
    ids = torch.ones(1, 3, dtype=torch.long)
    times: list[float] = []
    timed = generate(ours, ids, 6, use_cache, step_times=times)
    assert len(times) == 6 and all(t > 0 for t in times)
    assert torch.equal(timed, generate(ours, ids, 6, use_cache))


@pytest.mark.parametrize("model, error, message", [
    (lambda: BertModel(BertConfig(vocab_size=10, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                                  intermediate_size=8)), ValueError,
     r"model: expected a 'llama' checkpoint \(a LlamaForCausalLM\), got BertModel of model_type 'bert'"),
    (lambda: LlamaModel(tiny_llama().config), ValueError,
     r"model: expected a causal LM with its head \(LlamaForCausalLM\), got LlamaModel"),
    (lambda: tiny_llama(rope_parameters={"rope_type": "linear", "rope_theta": 1e4, "factor": 2.0}), ValueError,
     r"model: expected plain RoPE \(rope_type 'default'\), got rope_type 'linear'"),
    (lambda: tiny_llama(hidden_act="gelu"), ValueError,
     r"model: expected config.hidden_act = 'silu' \(what this model implements\), got 'gelu'"),
])
def test_from_hf_refuses_other_architectures(model, error, message):
    with pytest.raises(error, match=message):
        from_hf(model())


def test_bad_input():
    config = DecoderConfig(vocab_size=20, dim=8, n_layers=2, n_heads=2, n_kv_heads=1, ffn_dim=16)
    ours, other = Decoder(config), Decoder(config)
    with pytest.raises(ValueError, match=r"input_ids: expected shape \(batch, length\) = \(\*, \*\), got \(3,\)"):
        ours(torch.ones(3, dtype=torch.long))
    with pytest.raises(ValueError, match=r"input_ids: expected integer token ids, got dtype torch.float32"):
        ours(torch.ones(1, 3))
    with pytest.raises(ValueError, match=r"input_ids: expected at least one token, got shape \(1, 0\)"):
        ours(torch.ones(1, 0, dtype=torch.long))
    with pytest.raises(TypeError, match=r"cache: expected a KVCache \(model.new_cache\(batch\)\), got tuple"):
        ours(torch.ones(1, 3, dtype=torch.long), ())
    with pytest.raises(ValueError, match=r"cache: expected a KVCache of this model for this input \(2 layers, "
                                         r"batch 1, 1 KV heads of size 4\), got one of 3 layers, batch 1, 1 KV heads"):
        ours(torch.ones(1, 3, dtype=torch.long), KVCache(3, 1, 1, 4))
    with pytest.raises(ValueError, match=r"cache: expected a KVCache of this model for this input \(2 layers, "
                                         r"batch 2, .*got one of 2 layers, batch 1"):
        ours(torch.ones(2, 3, dtype=torch.long), ours.new_cache(batch=1))
    cache = other.new_cache()
    other(torch.ones(1, 3, dtype=torch.long), cache)
    with pytest.raises(ValueError, match=r"cache: expected a KVCache of this model, got one filled by another model"):
        ours(torch.ones(1, 1, dtype=torch.long), cache)
    with pytest.raises(ValueError, match=r"max_new_tokens: expected an integer >= 0, got -1"):
        generate(ours, torch.ones(1, 3, dtype=torch.long), -1)
    with pytest.raises(TypeError, match=r"module: expected a Decoder \(lmtutorial.models.decoder.from_hf\), got "
                                        r"LlamaForCausalLM"):
        generate(tiny_llama(), torch.ones(1, 3, dtype=torch.long), 2)


# The real checkpoint: SmolLM2-135M-Instruct, loaded once for this module.

@pytest.fixture(scope="module")
def smollm2() -> tuple:
    require_shared(SMOLLM2)
    from lmtutorial.llm.model import load_chat_model

    hf, tokenizer = load_chat_model()
    return hf, from_hf(hf), tokenizer


def chat(tokenizer, question: str) -> torch.Tensor:  # noqa: ANN001
    messages = [{"role": "user", "content": question}]
    return tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt",
                                         return_dict=True)["input_ids"]


def test_smollm2_logits_equal_llama_for_causal_lm_also_with_the_cache(smollm2):
    hf, ours, tokenizer = smollm2
    ids = chat(tokenizer, "Which birds can swim but cannot fly?")
    with torch.inference_mode():
        expected = hf(ids).logits
        full = ours(ids)
        assert (full - expected).abs().max() <= 1e-4
        cache = ours.new_cache()
        steps = [ours(ids[:, :ids.shape[1] - 8], cache)[0]]
        steps += [ours(ids[:, t:t + 1], cache)[0] for t in range(ids.shape[1] - 8, ids.shape[1])]
        assert (torch.cat(steps, dim=1) - full).abs().max() <= 1e-4


def test_smollm2_greedy_ids_equal_transformers_generate(smollm2):
    hf, ours, tokenizer = smollm2
    for question in ["Explain in two sentences why the sky looks blue at noon.",
                     "Write a haiku about a lighthouse keeper."]:
        ids = chat(tokenizer, question)
        expected = hf.generate(ids, max_new_tokens=20, do_sample=False)
        assert expected.shape[1] == ids.shape[1] + 20  # no early stop: 20 tokens compared
        assert torch.equal(generate(ours, ids, 20, eos_id=tokenizer.eos_token_id), expected)
    assert torch.equal(generate(ours, ids, 20, use_cache=False, eos_id=tokenizer.eos_token_id), expected)


def test_init_for_training_follows_gpt2():
    """N(0, 0.02²) weights, the residual-stream projections scaled by 1/√(2L), norm gains 1."""
    from lmtutorial.models.decoder import init_for_training

    torch.manual_seed(0)
    model = init_for_training(Decoder(DecoderConfig(500, 64, 8, 4, 2, 256)))
    weights = dict(model.named_parameters())
    assert weights["tokens.weight"].std().item() == pytest.approx(0.02, rel=0.05)
    assert weights["blocks.0.attention.qkv.weight"].std().item() == pytest.approx(0.02, rel=0.05)
    for name in ("blocks.3.attention.out.weight", "blocks.3.feedforward.down.weight"):
        assert weights[name].std().item() == pytest.approx(0.02 / 4, rel=0.05)
    assert all(torch.equal(p, torch.ones_like(p)) for n, p in weights.items() if "norm" in n)
    with pytest.raises(ValueError, match="std"):
        init_for_training(model, std=0.0)
