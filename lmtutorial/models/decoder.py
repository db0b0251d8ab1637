"""A Llama-style decoder: token embeddings, pre-norm blocks (RMSNorm, RoPE, grouped-query attention, SwiGLU),
a final RMSNorm and the language-model head; and generation from it, with or without a KV cache.

    h⁰_t = E[x_t],   hˡ = PreNormBlock(hˡ⁻¹)  for l = 1 … L,   logits_t = RMSNorm(h^L_t) Wᵀ  (W = E if tied)
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import torch

from lmtutorial.core.blocks import PreNormBlock
from lmtutorial.core.checks import check_number, check_shape, check_token_ids
from lmtutorial.core.feedforward import SwiGLU
from lmtutorial.core.kvcache import KVCache
from lmtutorial.core.masks import causal_mask
from lmtutorial.core.multihead import MultiHeadAttention
from lmtutorial.core.norms import RMSNorm
from lmtutorial.core.positions import RotaryEmbedding
from lmtutorial.models.hf_weights import check_architecture, check_config, copy_linear, copy_norm
from lmtutorial.training.sampling import next_token


@dataclass
class DecoderConfig:
    """The sizes of a :class:`Decoder` (SmolLM2-135M: 49152, 576, 30, 9, 3, 1536, head_dim 64, base 1e5).

    Taught on page ``ch03_1_transformer``.
    """

    vocab_size: int
    dim: int
    n_layers: int
    n_heads: int
    n_kv_heads: int
    ffn_dim: int
    head_dim: int | None = None  # default dim // n_heads
    rope_base: float = 10000.0
    eps: float = 1e-6
    tied: bool = True  # the head's W is the embedding table E
    attention_bias: bool = False
    mlp_bias: bool = False


def decoder_block(config: DecoderConfig) -> PreNormBlock:
    """One pre-norm block: RMSNorm → grouped-query attention, RMSNorm → SwiGLU, each added back."""
    attention = MultiHeadAttention(config.dim, config.n_heads, config.n_kv_heads, config.head_dim,
                                   bias=config.attention_bias)
    return PreNormBlock(attention, SwiGLU(config.dim, config.ffn_dim, bias=config.mlp_bias),
                        RMSNorm(config.dim, config.eps), RMSNorm(config.dim, config.eps))


class Decoder(torch.nn.Module):
    """``forward(input_ids)`` → logits (batch, T, vocab); ``forward(input_ids, cache)`` → ``(logits, cache)``.

    A cache (from :meth:`new_cache`) holds the keys and values of the tokens before ``input_ids``; it is
    updated in place and returned.

    Taught on page ``ch03_1_transformer``.
    """

    def __init__(self, config: DecoderConfig) -> None:
        super().__init__()
        self.config = config
        self.tokens = torch.nn.Embedding(config.vocab_size, config.dim)
        self.blocks = torch.nn.ModuleList(decoder_block(config) for _ in range(config.n_layers))
        self.norm = RMSNorm(config.dim, config.eps)
        self.head = torch.nn.Linear(config.dim, config.vocab_size, bias=False)
        if config.tied:
            self.head.weight = self.tokens.weight
        attention = self.blocks[0].attention
        self.rotary = RotaryEmbedding(attention.head_dim, config.rope_base)
        self.cache_shape = (config.n_layers, attention.n_kv_heads, attention.head_dim)

    def new_cache(self, batch: int = 1, capacity: int = 256) -> KVCache:
        """An empty :class:`~lmtutorial.core.kvcache.KVCache` for this model (it grows beyond ``capacity``)."""
        layers, kv_heads, head_dim = self.cache_shape
        return KVCache(layers, batch, kv_heads, head_dim, capacity, self.head.weight.dtype, self.head.weight.device)

    def check_cache(self, cache: object, batch: int) -> None:
        """Raise one clear error unless ``cache`` is a :class:`KVCache` of this model for ``batch`` sequences."""
        if not isinstance(cache, KVCache):
            raise TypeError(f"cache: expected a KVCache (model.new_cache(batch)), got {type(cache).__name__}")
        layers, kv_heads, head_dim = self.cache_shape
        if (len(cache.layers), cache.batch, cache.kv_heads, cache.head_dim) != (layers, batch, kv_heads, head_dim):
            raise ValueError(f"cache: expected a KVCache of this model for this input ({layers} layers, batch {batch},"
                             f" {kv_heads} KV heads of size {head_dim}), got one of {cache.describe()}")
        if cache.owner not in (None, id(self)):
            raise ValueError("cache: expected a KVCache of this model, got one filled by another model "
                             "(start a new one with model.new_cache(batch))")

    def hidden_states(self, input_ids: torch.Tensor, cache: KVCache | None = None) -> torch.Tensor:
        """The final normalised hidden states (batch, T, dim), before the head."""
        check_shape("input_ids", input_ids, (None, None), "(batch, length)")
        check_token_ids("input_ids", input_ids, self.config.vocab_size)
        batch, length = input_ids.shape
        if length == 0:
            raise ValueError("input_ids: expected at least one token, got shape " + str(tuple(input_ids.shape)))
        past = 0
        if cache is not None:
            self.check_cache(cache, batch)
            cache.owner, past = id(self), cache.length
        rotary = self.rotary(torch.arange(past, past + length, device=input_ids.device))
        mask = causal_mask(length, past, input_ids.device) if length > 1 else None  # one query sees every key
        layers = cache.layers if cache is not None else [None] * len(self.blocks)
        x = self.tokens(input_ids)
        for block, layer_cache in zip(self.blocks, layers):
            x = block(x, mask, rotary, layer_cache)
        return self.norm(x)

    def forward(self, input_ids: torch.Tensor,
                cache: KVCache | None = None) -> torch.Tensor | tuple[torch.Tensor, KVCache]:
        logits = self.head(self.hidden_states(input_ids, cache))
        return logits if cache is None else (logits, cache)


@torch.no_grad()
def init_for_training(model: Decoder, std: float = 0.02) -> Decoder:
    """GPT-2's initialisation, in place: every weight matrix and the embeddings ~ N(0, std²), the projections
    that write into the residual stream (attention output, feed-forward down) ~ N(0, std² / 2L), biases 0 and
    norm gains 1.

    Taught on page ``ch03_1_transformer``.
    """
    check_number("std", std, above=0)
    for name, parameter in model.named_parameters():
        if parameter.ndim < 2 and "norm" in name:
            torch.nn.init.ones_(parameter)
        elif parameter.ndim < 2:
            torch.nn.init.zeros_(parameter)
        elif name.endswith(("attention.out.weight", "feedforward.down.weight")):
            torch.nn.init.normal_(parameter, 0.0, std / math.sqrt(2 * model.config.n_layers))
        else:
            torch.nn.init.normal_(parameter, 0.0, std)
    return model


def config_from_hf(config: object) -> DecoderConfig:
    """The :class:`DecoderConfig` of a ``transformers`` ``LlamaConfig``, refusing options we do not implement."""
    check_config(config, {"hidden_act": "silu"})
    rope = getattr(config, "rope_parameters", None) or {"rope_type": "default",
                                                        "rope_theta": getattr(config, "rope_theta", 10000.0)}
    if rope.get("rope_type", "default") != "default":
        raise ValueError(f"model: expected plain RoPE (rope_type 'default'), got rope_type {rope['rope_type']!r}")
    return DecoderConfig(config.vocab_size, config.hidden_size, config.num_hidden_layers, config.num_attention_heads,
                         config.num_key_value_heads, config.intermediate_size, getattr(config, "head_dim", None),
                         rope["rope_theta"], config.rms_norm_eps, bool(config.tie_word_embeddings),
                         bool(getattr(config, "attention_bias", False)), bool(getattr(config, "mlp_bias", False)))


def load_block(block: PreNormBlock, layer: torch.nn.Module) -> None:
    """Copy the weights of a ``transformers`` ``LlamaDecoderLayer`` into ``block`` (from :func:`decoder_block`)."""
    attention = layer.self_attn
    copy_linear(block.attention.qkv, attention.q_proj, attention.k_proj, attention.v_proj)
    copy_linear(block.attention.out, attention.o_proj)
    copy_norm(block.norm1, layer.input_layernorm)
    copy_linear(block.feedforward.gate_up, layer.mlp.gate_proj, layer.mlp.up_proj)
    copy_linear(block.feedforward.down, layer.mlp.down_proj)
    copy_norm(block.norm2, layer.post_attention_layernorm)


@torch.no_grad()
def from_hf(model: torch.nn.Module) -> Decoder:
    """Our :class:`Decoder` (float32, eval mode) with the weights of a loaded ``transformers``
    ``LlamaForCausalLM``.

    Taught on page ``ch03_1_transformer``.
    """
    check_architecture(model, "llama", "a LlamaForCausalLM")
    if not hasattr(model, "lm_head"):
        raise ValueError(f"model: expected a causal LM with its head (LlamaForCausalLM), got {type(model).__name__}")
    ours = Decoder(config_from_hf(model.config))
    ours.tokens.weight.copy_(model.model.embed_tokens.weight.float())
    if not ours.config.tied:
        ours.head.weight.copy_(model.lm_head.weight.float())
    copy_norm(ours.norm, model.model.norm)
    for block, layer in zip(ours.blocks, model.model.layers, strict=True):
        load_block(block, layer)
    return ours.eval()


@torch.inference_mode()
def generate(module: Decoder, input_ids: torch.Tensor, max_new_tokens: int, use_cache: bool = True, *,
             temperature: float = 0.0, top_k: int | None = None, top_p: float | None = None, seed: int = 0,
             eos_id: int | None = None, step_times: list[float] | None = None) -> torch.Tensor:
    """``input_ids`` (batch, T) followed by up to ``max_new_tokens`` new ids each: greedy when ``temperature``
    is 0, else sampled from softmax(z / τ) within ``top_k`` and the ``top_p`` nucleus (``next_token``).

    With ``use_cache`` each new token runs through the model alone, against the cached keys and values;
    without, the whole sequence runs again at every step. ``eos_id``: stop once every row has produced it
    (a finished row repeats it). ``step_times``: a list that gets the wall-clock seconds of each step appended
    (``time.perf_counter``; on a GPU, without synchronising, that is the time to queue the step's work).

    Taught on page ``ch03_1_transformer``.
    """
    if not isinstance(module, Decoder):
        raise TypeError(f"module: expected a Decoder (lmtutorial.models.decoder.from_hf), got {type(module).__name__}")
    check_shape("input_ids", input_ids, (None, None), "(batch, length)")
    check_number("max_new_tokens", max_new_tokens, integer=True, minimum=0)
    generator = torch.Generator(device=input_ids.device).manual_seed(seed)
    was_training = module.training
    module.eval()
    try:
        cache = module.new_cache(input_ids.shape[0], input_ids.shape[1] + max_new_tokens) if use_cache else None
        sequence, step_input = input_ids, input_ids
        finished = torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)
        for _ in range(max_new_tokens):
            start = time.perf_counter()
            hidden = module.hidden_states(step_input, cache)
            logits = module.head(hidden[:, -1])  # only the last position predicts the next token
            token = next_token(logits, temperature, top_k, generator, top_p=top_p)
            if eos_id is not None:
                token = token.masked_fill(finished, eos_id)
                finished |= token == eos_id
            sequence = torch.cat([sequence, token[:, None]], dim=1)
            step_input = token[:, None] if use_cache else sequence
            if step_times is not None:
                step_times.append(time.perf_counter() - start)
            if finished.all():
                break
    finally:
        module.train(was_training)
    return sequence
