"""Training FLOPs of a BERT encoder over real sequence lengths, and model FLOPs utilisation (MFU).

For a sequence of ``s`` tokens through ``L`` layers of width ``H`` with ``N`` weights in the layers, training
costs three forward passes (the backward pass computes gradients of inputs and of weights, two forwards' worth),
each of ``s`` tokens at :func:`~lmtutorial.compute.forward_flops_per_token` ``= 2N + 4 L s H``:

$$F(s) = 3 s (2N + 4 L s H) = \\underbrace{6 N s}_{\\text{weights}} + \\underbrace{12 L H s^2}_{\\text{attention}}$$

Only real tokens count: padding is work the model does but not work the task needs, so
``MFU = F_total / (t × peak)`` falls when padding rises.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence

import numpy as np

from .compute import bert_parameter_count, forward_flops_per_token

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
    """``Σ_i F(s_i)`` over the real (unpadded) lengths ``s_i`` of one epoch's sequences."""
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

    Names are matched word by word, never by substring, so an unlisted variant (``A10G``, ``GH200``) gets
    ``None`` rather than the peak of another chip.
    """
    words = _words(device_name)
    matches = [key for key in PEAK_FLOPS if _words(key) <= words]
    if not matches:
        return None
    most = max(len(_words(key)) for key in matches)
    best = [key for key in matches if len(_words(key)) == most]
    return PEAK_FLOPS[best[0]] if len(best) == 1 else None


def model_flops_utilisation(flops: float, seconds: float, peak: float | None) -> float | None:
    """``flops / (seconds × peak)``: the share of the chip's peak spent on the model's useful arithmetic."""
    if peak is None:
        return None
    if seconds <= 0:
        raise ValueError(f"seconds: expected a positive duration, got {seconds}")
    return flops / (seconds * peak)
