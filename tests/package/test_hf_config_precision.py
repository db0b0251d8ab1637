"""Chapter 5's precision rule on devices this machine does not have: bf16 on Ampere and newer GPUs (an H200),
fp16 on older ones (a T4), fp32 on a CPU. The chapter shows only what the machine that builds it picks; these
cases were a ``mock.patch`` cell on the page before."""

from __future__ import annotations

from unittest import mock

import pytest
import torch

from lmtutorial.hf.config import resolve_precision


def pretend(name: str | None, capability: tuple[int, int] | None):
    """torch.cuda as it looks with the GPU ``name`` of compute ``capability``, or with no GPU (``None``)."""
    return mock.patch.multiple(torch.cuda, is_available=lambda: name is not None,
                               get_device_capability=lambda *_: capability,
                               get_device_name=lambda *_: name,
                               is_bf16_supported=lambda *_, **__: capability is not None and capability >= (8, 0))


@pytest.mark.parametrize("name, capability, expected", [
    ("NVIDIA H200", (9, 0), "bf16"), ("NVIDIA A100-SXM4-80GB", (8, 0), "bf16"),
    ("Tesla T4", (7, 5), "fp16"), ("Tesla V100-SXM2-16GB", (7, 0), "fp16"), (None, None, "fp32")])
def test_auto_precision_follows_the_device(name, capability, expected):
    with pretend(name, capability):
        assert resolve_precision("auto") == expected


def test_the_chapters_script_makes_the_same_choice():
    """The plain script of chapter 5 picks bf16 on compute capability 8 and newer, fp16 on older GPUs."""
    for name, capability in (("NVIDIA H200", (9, 0)), ("Tesla T4", (7, 5)), (None, None)):
        with pretend(name, capability):
            gpu = torch.cuda.is_available()
            ampere = gpu and torch.cuda.get_device_capability()[0] >= 8
            script = "bf16" if ampere else "fp16" if gpu else "fp32"
            assert script == resolve_precision("auto")


def test_bf16_on_a_t4_is_refused_with_the_gpu_named():
    with pretend("Tesla T4", (7, 5)), pytest.raises(ValueError, match="got Tesla T4"):
        resolve_precision("bf16")
