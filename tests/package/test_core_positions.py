import pytest
import torch
from transformers import LlamaConfig
from transformers.models.llama.modeling_llama import LlamaRotaryEmbedding, apply_rotary_pos_emb
from transformers.models.llama.modeling_llama import rotate_half as hf_rotate_half

from lmtutorial.core.positions import apply_rotary, LearnedPositions, rotate_half, RotaryEmbedding


def llama_rotary(head_dim: int, theta: float) -> LlamaRotaryEmbedding:
    config = LlamaConfig(hidden_size=4 * head_dim, num_attention_heads=4, head_dim=head_dim,
                         rope_parameters={"rope_type": "default", "rope_theta": theta})
    return LlamaRotaryEmbedding(config)


@pytest.mark.parametrize("head_dim, theta", [(8, 10000.0), (64, 100000.0)])
def test_cos_and_sin_equal_transformers_llama(head_dim, theta):
    positions = torch.arange(0, 50)
    cos, sin = RotaryEmbedding(head_dim, theta)(positions)
    hf_cos, hf_sin = llama_rotary(head_dim, theta)(torch.zeros(1), positions[None])
    torch.testing.assert_close(cos, hf_cos[0], rtol=0, atol=0)
    torch.testing.assert_close(sin, hf_sin[0], rtol=0, atol=0)


def test_rotation_equals_transformers_apply_rotary_pos_emb():
    g = torch.Generator().manual_seed(0)
    q, k = torch.randn(2, 4, 7, 16, generator=g), torch.randn(2, 2, 7, 16, generator=g)
    torch.testing.assert_close(rotate_half(q), hf_rotate_half(q), rtol=0, atol=0)
    cos, sin = RotaryEmbedding(16)(torch.arange(3, 10))
    hf_q, hf_k = apply_rotary_pos_emb(q, k, cos[None], sin[None])
    torch.testing.assert_close(apply_rotary(q, cos, sin), hf_q, rtol=0, atol=0)
    torch.testing.assert_close(apply_rotary(k, cos, sin), hf_k, rtol=0, atol=0)


def test_rotated_scores_depend_only_on_the_distance():
    g = torch.Generator().manual_seed(1)
    q, k = torch.randn(16, generator=g, dtype=torch.float64), torch.randn(16, generator=g, dtype=torch.float64)
    rope = RotaryEmbedding(16).double()
    cos, sin = (part.double() for part in rope(torch.arange(40)))

    def score(s: int, t: int) -> torch.Tensor:
        return apply_rotary(q, cos[s], sin[s]) @ apply_rotary(k, cos[t], sin[t])

    torch.testing.assert_close(score(7, 3), score(37, 33))
    assert not torch.isclose(score(7, 3), score(7, 4))
    torch.testing.assert_close(apply_rotary(q, cos[9], sin[9]).norm(), q.norm())  # a rotation keeps lengths


def test_learned_positions_are_rows_of_the_table():
    positions = LearnedPositions(10, 4)
    assert torch.equal(positions(3), positions.weight[:3])
    assert torch.equal(positions(2, start=5), positions.weight[5:7])
    with pytest.raises(ValueError, match=r"positions: expected at most 10 \(max_positions\), got positions 0 to 10"):
        positions(11)


def test_bad_rotary_sizes():
    with pytest.raises(ValueError, match=r"head_dim: expected an even number \(RoPE turns pairs\), got 7"):
        RotaryEmbedding(7)
    with pytest.raises(ValueError, match=r"base: expected a number > 0, got -1"):
        RotaryEmbedding(8, base=-1)
