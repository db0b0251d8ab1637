"""Copying the weights of a loaded ``transformers`` model into our from-scratch modules (as float32)."""

from __future__ import annotations

import torch


def check_architecture(model: object, model_type: str, example: str) -> None:
    """Raise one clear error unless ``model`` is a ``transformers`` model whose config has ``model_type``."""
    config = getattr(model, "config", None)
    if not isinstance(model, torch.nn.Module) or config is None or not hasattr(config, "model_type"):
        raise TypeError(f"model: expected a loaded transformers model ({example}), got {type(model).__name__}")
    if config.model_type != model_type:
        raise ValueError(f"model: expected a {model_type!r} checkpoint ({example}), got "
                         f"{type(model).__name__} of model_type {config.model_type!r}")


def check_config(config: object, wanted: dict[str, object]) -> None:
    """Raise ``ValueError`` at the first ``config.<name>`` that differs from ``wanted[name]`` (what we implement)."""
    for name, value in wanted.items():
        if getattr(config, name) != value:
            raise ValueError(f"model: expected config.{name} = {value!r} (what this model implements), "
                             f"got {getattr(config, name)!r}")


@torch.no_grad()
def copy_linear(ours: torch.nn.Linear, *theirs: torch.nn.Linear) -> None:
    """Load ``ours`` with the weights (and biases) of ``theirs`` stacked along the output axis."""
    ours.weight.copy_(torch.cat([layer.weight.detach().float() for layer in theirs]))
    if ours.bias is not None:
        ours.bias.copy_(torch.cat([layer.bias.detach().float() for layer in theirs]))


@torch.no_grad()
def copy_norm(ours: torch.nn.Module, theirs: torch.nn.Module) -> None:
    """Load a LayerNorm or RMSNorm of ours from its ``transformers`` counterpart."""
    ours.weight.copy_(theirs.weight.detach().float())
    if getattr(ours, "bias", None) is not None:
        ours.bias.copy_(theirs.bias.detach().float())
