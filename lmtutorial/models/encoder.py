"""A BERT-style encoder: token, segment and learned position embeddings, a LayerNorm, then post-norm blocks.

    h⁰_t = LN(E[x_t] + S[s_t] + P[t]),   hˡ = PostNormBlock(hˡ⁻¹)  for l = 1 … L,   output h^L (batch, T, dim)
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from lmtutorial.core.blocks import PostNormBlock
from lmtutorial.core.checks import check_shape, check_token_ids
from lmtutorial.core.feedforward import FeedForward
from lmtutorial.core.masks import padding_mask
from lmtutorial.core.multihead import MultiHeadAttention
from lmtutorial.core.norms import LayerNorm
from lmtutorial.core.positions import LearnedPositions
from lmtutorial.models.hf_weights import check_architecture, check_config, copy_linear, copy_norm


@dataclass
class EncoderConfig:
    """The sizes of an :class:`Encoder` (BERT-base: 30522, 768, 12, 12, 3072)."""

    vocab_size: int
    dim: int
    n_layers: int
    n_heads: int
    ffn_dim: int
    max_positions: int = 512
    type_vocab_size: int = 2
    eps: float = 1e-12


def encoder_block(config: EncoderConfig) -> PostNormBlock:
    """One post-norm block: multi-head attention and a GELU feed-forward, each followed by a LayerNorm."""
    return PostNormBlock(MultiHeadAttention(config.dim, config.n_heads), FeedForward(config.dim, config.ffn_dim),
                         LayerNorm(config.dim, config.eps), LayerNorm(config.dim, config.eps))


class Encoder(torch.nn.Module):
    """``forward(input_ids, attention_mask, token_type_ids)`` → the last hidden state (batch, T, dim).

    ``attention_mask`` (batch, T) is 1 at real tokens and 0 at padding (default: no padding); ``token_type_ids``
    are the segments (default: all 0).

    Taught on page ``ch03_1_transformer``.
    """

    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        self.config = config
        self.tokens = torch.nn.Embedding(config.vocab_size, config.dim)
        self.segments = torch.nn.Embedding(config.type_vocab_size, config.dim)
        self.positions = LearnedPositions(config.max_positions, config.dim)
        self.norm = LayerNorm(config.dim, config.eps)
        self.blocks = torch.nn.ModuleList(encoder_block(config) for _ in range(config.n_layers))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None,
                token_type_ids: torch.Tensor | None = None) -> torch.Tensor:
        check_shape("input_ids", input_ids, (None, None), "(batch, length)")
        check_token_ids("input_ids", input_ids, self.config.vocab_size)
        if input_ids.shape[1] > self.config.max_positions:
            raise ValueError(f"input_ids: expected at most {self.config.max_positions} tokens (max_positions), "
                             f"got {input_ids.shape[1]}")
        mask = None
        if attention_mask is not None:
            check_shape("attention_mask", attention_mask, tuple(input_ids.shape), "(batch, length) as input_ids")
            mask = padding_mask(attention_mask)
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        check_shape("token_type_ids", token_type_ids, tuple(input_ids.shape), "(batch, length) as input_ids")
        check_token_ids("token_type_ids", token_type_ids, self.config.type_vocab_size)
        x = self.tokens(input_ids) + self.segments(token_type_ids) + self.positions(input_ids.shape[1])
        x = self.norm(x)
        for block in self.blocks:
            x = block(x, mask)
        return x


def config_from_hf(config: object) -> EncoderConfig:
    """The :class:`EncoderConfig` of a ``transformers`` ``BertConfig``, refusing options we do not implement."""
    check_config(config, {"hidden_act": "gelu", "is_decoder": False})
    if getattr(config, "position_embedding_type", "absolute") != "absolute":
        raise ValueError(f"model: expected config.position_embedding_type = 'absolute' (what this model "
                         f"implements), got {config.position_embedding_type!r}")
    return EncoderConfig(config.vocab_size, config.hidden_size, config.num_hidden_layers, config.num_attention_heads,
                         config.intermediate_size, config.max_position_embeddings, config.type_vocab_size,
                         config.layer_norm_eps)


def load_block(block: PostNormBlock, layer: torch.nn.Module) -> None:
    """Copy the weights of a ``transformers`` ``BertLayer`` into ``block`` (from :func:`encoder_block`)."""
    attention = layer.attention.self
    copy_linear(block.attention.qkv, attention.query, attention.key, attention.value)
    copy_linear(block.attention.out, layer.attention.output.dense)
    copy_norm(block.norm1, layer.attention.output.LayerNorm)
    copy_linear(block.feedforward.up, layer.intermediate.dense)
    copy_linear(block.feedforward.down, layer.output.dense)
    copy_norm(block.norm2, layer.output.LayerNorm)


@torch.no_grad()
def from_hf(model: torch.nn.Module) -> Encoder:
    """Our :class:`Encoder` (float32, eval mode) with the weights of a loaded ``transformers`` ``BertModel``
    (of a ``BertFor…`` model: its ``bert`` body).

    Taught on page ``ch03_1_transformer``.
    """
    check_architecture(model, "bert", "a BertModel")
    body = getattr(model, "bert", model)
    ours = Encoder(config_from_hf(model.config))
    embeddings = body.embeddings
    ours.tokens.weight.copy_(embeddings.word_embeddings.weight.float())
    ours.segments.weight.copy_(embeddings.token_type_embeddings.weight.float())
    ours.positions.weight.copy_(embeddings.position_embeddings.weight.float())
    copy_norm(ours.norm, embeddings.LayerNorm)
    for block, layer in zip(ours.blocks, body.encoder.layer, strict=True):
        load_block(block, layer)
    return ours.eval()
