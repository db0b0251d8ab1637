import math
from types import SimpleNamespace

import pytest
import torch
from conftest import require_shared
from torch.utils.flop_counter import FlopCounterMode
from transformers import (
    BertConfig,
    BertForSequenceClassification,
    BertModel,
    GPT2Config,
    GPT2Model,
)

from lmtutorial.costs import (
    bert_parameter_count,
    compute_optimal,
    count_parameters,
    forward_flops_per_token,
    gpt2_parameter_count,
    model_state_bytes,
    saved_activation_bytes,
    encoder_training_flops,
    encoder_weights,
    model_flops_utilisation,
    peak_flops,
    training_flops,
)

TINY_BERT = dict(vocab_size=100, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=48,
                 max_position_embeddings=64)


def test_bert_base_shape_is_109_482_240_parameters():
    with torch.device("meta"):
        model = BertModel(BertConfig())
    assert bert_parameter_count(BertConfig()) == count_parameters(model) == 109_482_240


def test_bert_formula_matches_random_small_models_with_and_without_pooler_and_head():
    config = BertConfig(**TINY_BERT, type_vocab_size=3)
    assert bert_parameter_count(config) == count_parameters(BertModel(config))
    assert bert_parameter_count(config, pooler=False) == count_parameters(BertModel(config, add_pooling_layer=False))
    config.num_labels = 5
    assert bert_parameter_count(config, num_labels=5) == count_parameters(BertForSequenceClassification(config))


def test_bert_formula_matches_the_shared_minilm_checkpoint():
    from safetensors import safe_open

    folder = require_shared("models/all-MiniLM-L6-v2-bf16")
    config = BertConfig.from_pretrained(folder)
    with safe_open(str(folder / "model.safetensors"), "pt") as checkpoint:
        stored = sum(math.prod(checkpoint.get_slice(k).get_shape()) for k in checkpoint.keys() if "position_ids" not in k)
    assert bert_parameter_count(config) == stored == 22_713_216


def test_gpt2_small_shape_is_124_439_808_parameters():
    with torch.device("meta"):
        model = GPT2Model(GPT2Config())
    assert gpt2_parameter_count(GPT2Config()) == count_parameters(model) == 124_439_808
    odd = GPT2Config(vocab_size=90, n_embd=24, n_layer=3, n_head=4, n_positions=40, n_inner=50)
    assert gpt2_parameter_count(odd) == count_parameters(GPT2Model(odd))


def test_a_config_without_the_fields_is_a_clear_error():
    with pytest.raises(ValueError, match="BERT config with attribute 'hidden_size', got SimpleNamespace"):
        bert_parameter_count(SimpleNamespace(vocab_size=10))
    with pytest.raises(ValueError, match="GPT-2 config with attribute 'n_embd', got BertConfig"):
        gpt2_parameter_count(BertConfig())
    with pytest.raises(ValueError, match="num_labels: expected 0"):
        bert_parameter_count(BertConfig(), num_labels=-1)


def test_model_state_bytes_equal_what_adamw_really_allocates():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(7, 5), torch.nn.Tanh(), torch.nn.Linear(5, 3))
    optimizer = torch.optim.AdamW(model.parameters())
    model(torch.randn(4, 7)).sum().backward()
    optimizer.step()
    weights = sum(p.numel() * p.element_size() for p in model.parameters())
    grads = sum(p.grad.numel() * p.grad.element_size() for p in model.parameters())
    moments = sum(
        t.numel() * t.element_size()
        for state in optimizer.state.values()
        for name, t in state.items()
        if name in ("exp_avg", "exp_avg_sq")
    )
    assert model_state_bytes(count_parameters(model)) == weights + grads + moments == 16 * 58


def test_mixed_precision_states_also_cost_16_bytes_per_parameter():
    assert model_state_bytes(10, weight_bytes=2, grad_bytes=2, master_bytes=4) == 160
    with pytest.raises(ValueError, match="n_params: expected a number > 0, got 0"):
        model_state_bytes(0)
    with pytest.raises(ValueError, match="expected values >= 0"):
        model_state_bytes(10, grad_bytes=-2)


def test_saved_activations_of_linear_relu_are_its_input_and_output():
    model = torch.nn.Sequential(torch.nn.Linear(6, 4, bias=False), torch.nn.ReLU())
    x = torch.randn(3, 6, requires_grad=True)
    # Linear saves its input (for the weight gradient); ReLU saves its output. The weight itself is not counted.
    assert saved_activation_bytes(model, input=x) == (3 * 6 + 3 * 4) * 4


def test_saved_activations_grow_by_the_same_amount_per_identical_layer():
    sizes = {}
    for layers in (1, 2, 4):
        torch.manual_seed(0)
        model = BertForSequenceClassification(BertConfig(**{**TINY_BERT, "num_hidden_layers": layers})).train()
        sizes[layers] = saved_activation_bytes(model, input_ids=torch.randint(0, 100, (2, 16)))
    per_layer = sizes[2] - sizes[1]
    assert per_layer > 0
    assert sizes[4] == sizes[1] + 3 * per_layer


def test_saved_activations_need_a_module():
    with pytest.raises(TypeError, match="expected a torch.nn.Module, got function"):
        saved_activation_bytes(lambda x: x, x=torch.ones(1))


def test_six_n_d_is_exact_for_a_stack_of_linear_layers():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(16, 32, bias=False), torch.nn.Linear(32, 8, bias=False))
    tokens = 10
    x = torch.randn(tokens, 16, requires_grad=True)
    with FlopCounterMode(display=False) as counter:
        model(x).sum().backward()
    assert counter.get_total_flops() == training_flops(count_parameters(model), tokens) == 6 * 768 * 10


def test_six_n_d_is_close_for_bert_base_on_short_sequences():
    with torch.device("meta"):
        model = BertModel(BertConfig())
        ids = torch.zeros(1, 128, dtype=torch.long)
    with FlopCounterMode(display=False) as counter:
        model(input_ids=ids)
    non_embedding = bert_parameter_count(BertConfig()) - model.embeddings.word_embeddings.weight.numel()
    forward_estimate = training_flops(non_embedding, 128) / 3
    assert counter.get_total_flops() == pytest.approx(forward_estimate, rel=0.05)


def test_compute_optimal_recovers_chinchilla():
    n_params, n_tokens = compute_optimal(training_flops(70e9, 1.4e12))
    assert n_params == pytest.approx(70e9) and n_tokens == pytest.approx(1.4e12)
    with pytest.raises(ValueError, match="flops: expected a number > 0"):
        compute_optimal(-1.0)
    with pytest.raises(ValueError, match="n_tokens: expected a number > 0"):
        training_flops(1e9, 0)


@pytest.mark.parametrize("length", [64, 128, 512])
def test_forward_flops_per_token_match_the_flop_counter_on_bert_base(length):
    config = BertConfig()
    with torch.device("meta"):
        model = BertModel(config, add_pooling_layer=False)
        ids = torch.zeros(1, length, dtype=torch.long)
    with FlopCounterMode(display=False) as counter:
        model(input_ids=ids)
    layers = bert_parameter_count(config, pooler=False) - count_parameters(model.embeddings)
    predicted = forward_flops_per_token(layers, config.num_hidden_layers, length, config.hidden_size) * length
    assert counter.get_total_flops() == pytest.approx(predicted, rel=2e-3)


def test_forward_flops_per_token_rejects_a_zero_context():
    with pytest.raises(ValueError, match="context: expected a number > 0, got 0"):
        forward_flops_per_token(1e6, 2, 0, 64)


SMALL = BertConfig(vocab_size=50, hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=256,
                   max_position_embeddings=128)
def test_encoder_weights_are_the_encoder_layers_parameters():
    model = BertModel(SMALL)
    assert encoder_weights(SMALL) == count_parameters(model.encoder)
    with torch.device("meta"):
        base = BertModel(BertConfig())
    assert encoder_weights(BertConfig()) == count_parameters(base.encoder) == 85_054_464


def test_training_flops_match_what_torch_counts():
    lengths = [40, 96]
    model = BertModel(SMALL, add_pooling_layer=False)
    counted = 0
    for s in lengths:
        embeddings = torch.randn(1, s, SMALL.hidden_size, requires_grad=True)
        with FlopCounterMode(display=False) as counter:
            model.encoder(embeddings).last_hidden_state.sum().backward()
        counted += counter.get_total_flops()
    # biases and LayerNorm weights are counted as weights by 6Ns but cost no matrix FLOPs: about 2 % here
    assert encoder_training_flops(lengths, SMALL) == pytest.approx(counted, rel=0.03)


def test_training_flops_are_additive_over_sequences():
    assert encoder_training_flops([10, 20, 20], SMALL) == pytest.approx(
        encoder_training_flops([10], SMALL) + 2 * encoder_training_flops([20], SMALL))
    with pytest.raises(ValueError, match="lengths: expected at least one sequence"):
        encoder_training_flops([], SMALL)


def test_peaks_are_looked_up_by_name():
    assert peak_flops("NVIDIA H200") == peak_flops("NVIDIA H100 80GB HBM3") == 989.4e12
    assert peak_flops("NVIDIA A100-SXM4-80GB") == peak_flops("NVIDIA A100 80GB PCIe") == 312e12
    assert peak_flops("NVIDIA A10") == 125e12
    assert peak_flops("NVIDIA L40S") == 362.05e12 and peak_flops("NVIDIA L4") == 121e12
    assert peak_flops("Tesla T4") == 65e12 and peak_flops("x86_64") is None


@pytest.mark.parametrize("name, peak", [
    ("NVIDIA L40", 181.05e12),  # not the L4's 121e12
    ("NVIDIA H100 PCIe", 756.5e12),  # not the SXM card's 989.4e12
    ("NVIDIA H100 NVL", 835.5e12),
    ("NVIDIA H200 NVL", 835.5e12),
    ("NVIDIA A10G", None),  # no NVIDIA datasheet; not the A10's peak
    ("NVIDIA GH200 480GB", None),  # not the H200's peak
    ("NVIDIA T40", None),  # not the T4's peak
])
def test_peaks_match_whole_words_and_the_most_specific_variant(name, peak):
    assert peak_flops(name) == peak


def test_model_flops_utilisation():
    assert model_flops_utilisation(5e14, 1.0, 1e15) == 0.5
    assert model_flops_utilisation(5e14, 1.0, None) is None
    with pytest.raises(ValueError, match="seconds: expected a number > 0, got 0"):
        model_flops_utilisation(1.0, 0, 1e15)


def test_bert_training_peak_bytes_extends_one_and_two_layers_to_the_whole_model():
    """Layers are identical and the batch is linear: the estimate for 3 layers and 3 sequences equals a measurement
    of the 3-layer model on 3 sequences (model states added)."""
    from transformers import BertConfig, BertForSequenceClassification

    from lmtutorial.costs import (bert_parameter_count, bert_training_peak_bytes, model_state_bytes,
                                  saved_activation_bytes)

    config = BertConfig(vocab_size=200, hidden_size=32, num_hidden_layers=3, num_attention_heads=4,
                        intermediate_size=64, max_position_embeddings=64)
    torch.manual_seed(0)
    model = BertForSequenceClassification(BertConfig(**{**config.to_dict(), "num_labels": 2})).train()
    with torch.autocast("cpu", dtype=torch.float16):
        measured = saved_activation_bytes(model, input_ids=torch.randint(0, 200, (3, 16)),
                                          labels=torch.ones(3, dtype=torch.long))
    states = model_state_bytes(bert_parameter_count(config, num_labels=2))
    assert bert_training_peak_bytes(config, tokens=48, length=16) == pytest.approx(states + measured, rel=0.02)
    assert bert_training_peak_bytes(config, tokens=96, length=16) > bert_training_peak_bytes(config, 48, 16)


def test_bert_training_peak_bytes_rejects_a_sequence_longer_than_the_budget():
    from transformers import BertConfig

    from lmtutorial.costs import bert_training_peak_bytes

    with pytest.raises(ValueError, match="length: expected at most tokens=256 .*got 512"):
        bert_training_peak_bytes(BertConfig(), tokens=256, length=512)


def test_largest_fitting_budget_takes_the_largest_under_the_share_of_memory():
    from lmtutorial.costs import largest_fitting_budget

    peaks = {4096: 7, 8192: 12, 16384: 22}
    assert largest_fitting_budget(peaks, memory=16) == 8192  # 12 <= 0.85 * 16 < 22
    assert largest_fitting_budget(peaks, memory=141) == 16384
    assert largest_fitting_budget(peaks, memory=4) is None


@pytest.mark.parametrize("memory, share, message", [
    (0, 0.85, "memory"), (float("nan"), 0.85, "memory"), (-16, 0.85, "memory"), (16, 1.5, "share"),
    (16, float("inf"), "share")])
def test_largest_fitting_budget_rejects_impossible_memory_or_share(memory, share, message):
    from lmtutorial.costs import largest_fitting_budget

    with pytest.raises(ValueError, match=message):
        largest_fitting_budget({8192: 12}, memory=memory, share=share)
    with pytest.raises(TypeError, match="memory"):
        largest_fitting_budget({8192: 12}, memory="16 GB")
