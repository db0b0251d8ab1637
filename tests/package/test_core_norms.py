import pytest
import torch
from transformers.models.llama.modeling_llama import LlamaRMSNorm

from lmtutorial.core.norms import LayerNorm, RMSNorm


def randomised(module: torch.nn.Module, seed: int) -> torch.nn.Module:
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=g))
    return module


@pytest.mark.parametrize("eps", [1e-12, 1e-5])
def test_layer_norm_equals_torch(eps):
    x = torch.randn(3, 5, 32, generator=torch.Generator().manual_seed(0)) * 4 + 2
    ours, theirs = randomised(LayerNorm(32, eps), 1), randomised(torch.nn.LayerNorm(32, eps=eps), 1)
    torch.testing.assert_close(ours(x), theirs(x), rtol=1e-6, atol=1e-6)


def test_layer_norm_gives_zero_mean_unit_variance_before_its_affine_part():
    y = LayerNorm(64)(torch.randn(10, 64, dtype=torch.float64) * 3 + 1).detach()
    torch.testing.assert_close(y.mean(-1), torch.zeros(10, dtype=torch.float64))
    torch.testing.assert_close(y.var(-1, unbiased=False), torch.ones(10, dtype=torch.float64), rtol=1e-4, atol=1e-4)


def test_rms_norm_equals_torch_and_transformers_llama():
    x = torch.randn(2, 7, 48, generator=torch.Generator().manual_seed(2))
    ours = randomised(RMSNorm(48, 1e-5), 3)
    theirs, llama = randomised(torch.nn.RMSNorm(48, eps=1e-5), 3), randomised(LlamaRMSNorm(48, eps=1e-5), 3)
    torch.testing.assert_close(ours(x), theirs(x), rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(ours(x), llama(x), rtol=0, atol=0)


@pytest.mark.parametrize("norm", [LayerNorm, RMSNorm])
def test_bad_input(norm):
    with pytest.raises(ValueError, match=r"x: expected shape \(\.\.\., 8\) \(the normalised size\), got \(2, 6\)"):
        norm(8)(torch.zeros(2, 6))
    with pytest.raises(ValueError, match=r"eps: expected a number > 0, got 0"):
        norm(8, eps=0)
