import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode
from transformers import BertConfig, BertModel

from lmtutorial.costs import (
    encoder_training_flops,
    encoder_weights,
    model_flops_utilisation,
    peak_flops,
)

SMALL = BertConfig(vocab_size=50, hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=256,
                   max_position_embeddings=128)


def test_encoder_weights_are_the_encoder_layers_parameters():
    model = BertModel(SMALL)
    assert encoder_weights(SMALL) == sum(p.numel() for p in model.encoder.parameters())
    with torch.device("meta"):
        base = BertModel(BertConfig())
    assert encoder_weights(BertConfig()) == sum(p.numel() for p in base.encoder.parameters()) == 85_054_464


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
    with pytest.raises(ValueError, match="seconds: expected a positive duration, got 0"):
        model_flops_utilisation(1.0, 0, 1e15)
