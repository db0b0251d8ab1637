import pytest
import torch
import torch.nn.functional as F
from transformers import LlamaConfig
from transformers.models.llama.modeling_llama import LlamaMLP

from lmtutorial.core.feedforward import FeedForward, gelu, silu, SwiGLU


def test_activations_equal_torch():
    x = torch.linspace(-8, 8, 1001, dtype=torch.float64)
    torch.testing.assert_close(gelu(x), F.gelu(x))  # the exact erf form, as in BERT
    assert not torch.allclose(gelu(x), F.gelu(x, approximate="tanh"), atol=1e-6)
    torch.testing.assert_close(silu(x), F.silu(x))


def test_gelu_feed_forward_equals_its_equation():
    ffn = FeedForward(16, 64)
    x = torch.randn(2, 5, 16)
    reference = F.linear(F.gelu(F.linear(x, ffn.up.weight, ffn.up.bias)), ffn.down.weight, ffn.down.bias)
    torch.testing.assert_close(ffn(x), reference)


def test_swiglu_equals_transformers_llama_mlp():
    torch.manual_seed(0)
    mlp = LlamaMLP(LlamaConfig(hidden_size=16, intermediate_size=40, num_attention_heads=2)).eval()
    ours = SwiGLU(16, 40)
    with torch.no_grad():
        ours.gate_up.weight.copy_(torch.cat([mlp.gate_proj.weight, mlp.up_proj.weight]))
        ours.down.weight.copy_(mlp.down_proj.weight)
    x = torch.randn(3, 4, 16)
    torch.testing.assert_close(ours(x), mlp(x), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("module", [FeedForward, SwiGLU])
def test_bad_sizes(module):
    with pytest.raises(ValueError, match=r"hidden: expected an integer >= 1, got 0"):
        module(8, 0)
