"""What a model costs: parameter counts, training memory, training FLOPs, GPU peaks and model FLOPs utilisation.

Notation: ``V`` vocabulary, ``P`` positions, ``T`` token types, ``H`` hidden size, ``L`` layers, ``I`` feed-forward.
"""

from __future__ import annotations

import copy
import functools
import json
import math
import re
from collections.abc import Sequence

import numpy as np
import torch

from lmtutorial.core.checks import check_number, check_positive

CHINCHILLA_TOKENS_PER_PARAMETER = 20.0


def _field(config: object, name: str, kind: str) -> int:
    value = getattr(config, name, None)
    if value is None:
        raise ValueError(f"config: expected a {kind} config with attribute {name!r}, got {type(config).__name__}")
    return int(value)


def bert_parameter_count(config: object, *, pooler: bool = True, num_labels: int = 0) -> int:
    """Parameters of a ``BertModel`` built from ``config`` (a ``BertConfig`` or any object with its fields).

    ``(V + P + T) H + 2H + L [4(H² + H) + (HI + I) + (IH + H) + 4H]``, plus ``H² + H`` for the pooler (``pooler=False``
    drops it) and ``HC + C`` for the linear head of ``BertForSequenceClassification`` (``num_labels=C``).
    """
    kind = "BERT"
    V, H = _field(config, "vocab_size", kind), _field(config, "hidden_size", kind)
    L, I = _field(config, "num_hidden_layers", kind), _field(config, "intermediate_size", kind)
    P, T = _field(config, "max_position_embeddings", kind), _field(config, "type_vocab_size", kind)
    if num_labels < 0:
        raise ValueError(f"num_labels: expected 0 (no head) or more, got {num_labels}")
    embeddings = (V + P + T) * H + 2 * H
    layer = 4 * (H * H + H) + (H * I + I) + (I * H + H) + 4 * H
    head = (H * num_labels + num_labels) if num_labels else 0
    return embeddings + L * layer + ((H * H + H) if pooler else 0) + head


def gpt2_parameter_count(config: object) -> int:
    """Parameters of a ``GPT2Model`` built from ``config`` (the language-model head shares the input embedding).

    ``(V + P) H + L [(3H² + 3H) + (H² + H) + (HI + I) + (IH + H) + 4H] + 2H``."""
    kind = "GPT-2"
    V, H = _field(config, "vocab_size", kind), _field(config, "n_embd", kind)
    L, P = _field(config, "n_layer", kind), _field(config, "n_positions", kind)
    inner = getattr(config, "n_inner", None)
    I = int(inner) if inner is not None else 4 * H
    layer = (3 * H * H + 3 * H) + (H * H + H) + (H * I + I) + (I * H + H) + 4 * H
    return (V + P) * H + L * layer + 2 * H


def count_parameters(module: torch.nn.Module) -> int:
    """How many numbers ``module`` holds in its parameters (``sum(p.numel() ...)``, the one place it is written)."""
    return sum(p.numel() for p in module.parameters())


def model_state_bytes(
    n_params: int, *, weight_bytes: int = 4, grad_bytes: int = 4, optimizer_bytes: int = 8, master_bytes: int = 0
) -> int:
    """Bytes for weights, gradients and optimizer state: ``n_params × (weight + grad + optimizer + master)``.

    Defaults: fp32 Adam/AdamW. ZeRO's mixed precision: ``weight_bytes=2, grad_bytes=2, master_bytes=4``.
    """
    check_positive("n_params", n_params)
    per_parameter = (weight_bytes, grad_bytes, optimizer_bytes, master_bytes)
    if any(b < 0 for b in per_parameter):
        raise ValueError(f"bytes per parameter: expected values >= 0, got {per_parameter}")
    return int(n_params) * sum(per_parameter)


def saved_activation_bytes(model: torch.nn.Module, **inputs: torch.Tensor) -> int:
    """Bytes of the tensors autograd keeps for the backward pass during ``model(**inputs)`` (the activations).

    Measured: each saved storage counts once; the model's parameters do not count.
    """
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model: expected a torch.nn.Module, got {type(model).__name__}")
    parameters = {p.untyped_storage().data_ptr() for p in model.parameters()}
    saved: dict[int, int] = {}

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        storage = tensor.untyped_storage()
        if storage.data_ptr() not in parameters:
            saved[storage.data_ptr()] = storage.nbytes()
        return tensor

    with torch.enable_grad(), torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        model(**inputs)
    return sum(saved.values())


def bert_training_peak_bytes(config: object, tokens: int, length: int) -> int:
    """Peak bytes of one mixed-precision training step of ``BertForSequenceClassification(config)`` on a batch of
    ``tokens`` tokens in ``B = tokens // length`` sequences: ``16 N + m(1) + (B − 1) (m(2) − m(1))``.

    ``16 N``: fp32 weights, gradients and AdamW moments; ``m(b)``: bytes autograd saves for ``b`` sequences under
    half-precision autocast (its weight copies included; bf16 on the CPU saves as many bytes as a T4's fp16),
    measured on a CPU for one and two layers and extended to ``L``. The CPU's attention keeps the ``length²`` scores, which a GPU's memory-efficient kernel does
    not: an upper bound.

    Taught on page ``ch05_bert_project``.
    """
    check_positive("tokens", tokens)
    check_positive("length", length)
    if length > tokens:
        raise ValueError(f"length: expected at most tokens={tokens} (one sequence per batch), got {length}")
    one, two = (_saved_bytes(config.to_json_string(), length, sequences) for sequences in (1, 2))
    n_params = bert_parameter_count(config, num_labels=2)
    return model_state_bytes(n_params) + one + (tokens // length - 1) * (two - one)


@functools.lru_cache(maxsize=16)
def _saved_bytes(config_json: str, length: int, sequences: int) -> int:
    """``m(b)`` of :func:`bert_training_peak_bytes`: layers are identical, so ``m_L = m_1 + (L − 1)(m_2 − m_1)``.

    Taught on page ``ch05_bert_project``.
    """
    from transformers import BertConfig, BertForSequenceClassification

    config = json.loads(config_json)

    def saved(layers: int) -> int:  # a small vocabulary: what is saved does not depend on it, and it builds fast
        torch.manual_seed(0)
        model = BertForSequenceClassification(BertConfig(**{**config, "num_hidden_layers": layers,
                                                            "num_labels": 2, "vocab_size": 64})).train()
        inputs = torch.randint(0, 64, (sequences, length))
        with torch.autocast("cpu", dtype=torch.bfloat16):  # 2 bytes a number, as fp16; 3x faster on a CPU
            return saved_activation_bytes(model, input_ids=inputs, labels=torch.ones(sequences, dtype=torch.long))

    return saved(1) + (config["num_hidden_layers"] - 1) * (saved(2) - saved(1))


def largest_fitting_budget(peaks: dict[int, int], memory: int, share: float = 0.85) -> int | None:
    """The largest token budget whose peak bytes (``peaks``: budget -> bytes) stay within ``share`` of ``memory``."""
    check_number("memory", memory, above=0)
    check_number("share", share, above=0, maximum=1)
    fitting = [tokens for tokens, peak in peaks.items() if peak <= share * memory]
    return max(fitting, default=None)


def training_flops(n_params: float, n_tokens: float) -> float:
    """``C = 6 N D``: 2 FLOPs per parameter and token forward, 4 backward (gradients of inputs and of weights)."""
    check_positive("n_params", n_params)
    check_positive("n_tokens", n_tokens)
    flops = 6.0 * n_params * n_tokens
    if not math.isfinite(flops):
        raise ValueError(f"n_params, n_tokens: expected a product a float can hold, got {n_params:g} × "
                         f"{n_tokens:g} (overflow)")
    return flops


def forward_flops_per_token(n_params: float, n_layers: int, context: int, hidden: int) -> float:
    """``2 N + 4 L n_ctx H``: FLOPs of one token's forward pass through an encoder attending to ``context`` tokens.

    ``n_params`` (``N``) counts the weights of the layers, not the embedding tables.
    """
    check_positive("n_params", n_params)
    for name, value in (("n_layers", n_layers), ("context", context), ("hidden", hidden)):
        check_positive(name, value)
    return 2.0 * n_params + 4.0 * n_layers * context * hidden


def compute_optimal(flops: float, tokens_per_parameter: float = CHINCHILLA_TOKENS_PER_PARAMETER) -> tuple[float, float]:
    """Parameters ``N`` and tokens ``D = k N`` that spend ``flops = 6 N D`` with ``k`` tokens per parameter."""
    check_positive("flops", flops)
    check_positive("tokens_per_parameter", tokens_per_parameter)
    n_params = math.sqrt(flops / (6.0 * tokens_per_parameter))
    return n_params, tokens_per_parameter * n_params

# Dense bf16 tensor-core peaks from the vendors' datasheets, FLOP/s: half the "with sparsity" figures (T4 has no
# bf16: its fp16 peak). A key matches a device name when each of its words is a whole word of the name, and the
# most specific key wins: "NVIDIA H100 PCIe" is the PCIe card, not the SXM one; "NVIDIA L40" is not the L4.
PEAK_FLOPS = {
    "H200": 989.4e12,
    "H200 NVL": 835.5e12,
    "H100": 989.4e12,
    "H100 PCIe": 756.5e12,
    "H100 NVL": 835.5e12,
    "A100": 312e12,
    "L40S": 362.05e12,
    "L40": 181.05e12,
    "L4": 121e12,
    "A10": 125e12,
    "T4": 65e12,
}


def encoder_weights(config: object) -> int:
    """``N``: parameters of the encoder layers alone (no embeddings, pooler or head), from a ``BertConfig``."""
    no_layers = copy.copy(config)
    no_layers.num_hidden_layers = 0
    return bert_parameter_count(config, pooler=False) - bert_parameter_count(no_layers, pooler=False)


def encoder_training_flops(lengths: Sequence[int], config: object) -> float:
    """``Σ_i F(s_i)``, ``F(s) = 3 s (2N + 4 L s H) = 6 N s + 12 L H s²``, over the real (unpadded) lengths ``s_i``."""
    lengths = np.asarray(lengths, dtype=np.int64)
    if lengths.size == 0 or lengths.min() < 1:
        raise ValueError("lengths: expected at least one sequence, each of length 1 or more")
    weights, layers, hidden = encoder_weights(config), config.num_hidden_layers, config.hidden_size
    values, counts = np.unique(lengths, return_counts=True)
    return float(sum(count * 3 * s * forward_flops_per_token(weights, layers, int(s), hidden)
                     for s, count in zip(values, counts)))


def _words(name: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", name.lower()))


def peak_flops(device_name: str) -> float | None:
    """Datasheet dense bf16 peak of a GPU named like ``torch.cuda.get_device_name()``, or ``None`` if unknown.

    Matched word by word, never by substring: an unlisted variant (``A10G``, ``GH200``) gets ``None``.
    """
    if not isinstance(device_name, str):
        raise TypeError(f"device_name: expected a GPU's name (torch.cuda.get_device_name()), got "
                        f"{type(device_name).__name__}")
    words = _words(device_name)
    matches = [key for key in PEAK_FLOPS if _words(key) <= words]
    if not matches:
        return None
    most = max(len(_words(key)) for key in matches)
    best = [key for key in matches if len(_words(key)) == most]
    return PEAK_FLOPS[best[0]] if len(best) == 1 else None


def model_flops_utilisation(flops: float, seconds: float, peak: float | None) -> float | None:
    """``flops / (seconds × peak)``: the share of the chip's peak spent on the model's useful arithmetic."""
    check_number("flops", flops, minimum=0)
    check_number("seconds", seconds, above=0)
    if peak is None:
        return None
    check_number("peak", peak, above=0)
    return flops / (seconds * peak)
