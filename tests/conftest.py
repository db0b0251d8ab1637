"""Shared test helpers: the repository root, the skip-or-fail rule, the optional ../shared resources, and loading
an in-repo Sphinx extension from ``_ext/``."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from types import ModuleType

import pytest

from lmtutorial.book.resources import shared_dir

REPO = Path(__file__).resolve().parents[1]  # the repository root, for every test (the one definition)


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def skip_or_fail(message: str) -> None:
    """Skip with a reason for readers; under CI=true the same condition is a failure (CI must never skip)."""
    if in_ci():
        pytest.fail(f"CI must not skip: {message}")
    pytest.skip(message)


def ext_module(name: str) -> ModuleType:
    """The in-repo Sphinx extension ``_ext/<name>.py``, imported on its own (tests share its rules, not copies)."""
    spec = importlib.util.spec_from_file_location(name, REPO / "_ext" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tool_module(name: str) -> ModuleType:
    """The repository tool ``tools/<name>.py`` (e.g. ``colab_notebooks``, behind ``make notebooks``), imported once."""
    import sys

    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, REPO / "tools" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # before running it: dataclasses look their module up there
        spec.loader.exec_module(module)
    return sys.modules[name]


def require_shared(relative: str) -> Path:
    """Return the shared resource ``relative``, skipping the test with a reason when it is absent.

    Under CI (``CI=true``) an absent resource fails instead: CI must never skip these tests.
    """
    root = shared_dir()
    path = None if root is None else root / relative
    if path is None or not path.exists():
        message = (f"needs shared/{relative} (the offline copy beside the repository, or set LMTUTORIAL_SHARED); "
                   "readers without it download the same data from the Hugging Face Hub")
        skip_or_fail(message)
    return path


# The tiny fine-tune set-up shared by tests/package/test_hf_*.py and tests/package/test_faults.py: a random BERT of 32
# dimensions with its own WordPiece vocabulary, synthetic reviews, and options that train it in seconds on a CPU.
FAST = dict(epochs=3, max_length=64, head=16, max_tokens=512, learning_rate=3e-3, validation_fraction=0.1,
            keep_checkpoints=3, disable_tqdm=True, eval_batch_size=64)


@pytest.fixture(scope="module")
def one_thread():
    """Tiny models run fastest on one thread; several threads spin-wait when other processes share the cores."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    """A tiny random ``BertForSequenceClassification`` (head included) and its tokenizer, saved to a folder."""
    from lmtutorial.hf.tiny_bert import tiny_bert, toy_reviews

    return tiny_bert(tmp_path_factory.mktemp("tiny") / "model", toy_reviews(500)["text"], vocab_size=300)


@pytest.fixture(scope="module")
def toy() -> dict:
    """Synthetic training and test reviews."""
    from lmtutorial.hf.tiny_bert import toy_reviews

    return {"train": toy_reviews(240, seed=1), "test": toy_reviews(100, seed=2)}


OFFLINE = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}  # for subprocesses of tests/package/test_hf_*.py


@pytest.fixture(scope="module")
def run(tiny, toy, tmp_path_factory) -> tuple[dict, Path]:
    """One finished tiny fine-tune and its output folder, for the tests/package/test_hf_*.py files that read a run."""
    from lmtutorial.hf.finetune import finetune

    output = tmp_path_factory.mktemp("run")
    return finetune(tiny, toy, output, **FAST), output


def strip_seconds(epochs: list[dict]) -> list[dict]:
    """Per-epoch results without their wall times."""
    return [{k: v for k, v in e.items() if k != "train_seconds"} for e in epochs]


CHAT_TEMPLATE = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
                 "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")


def tiny_chat_model(corpus: list[str], max_positions: int = 256):
    """A random 2-layer Llama with a byte-level BPE tokenizer trained on ``corpus`` and a ChatML template
    (SmolLM2's format): ``(model in eval mode, tokenizer)``, the same weights for the same arguments."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    bpe.train_from_iterator(corpus, trainers.BpeTrainer(
        vocab_size=400, special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token="<|im_end|>", pad_token="<|endoftext|>")
    tokenizer.chat_template = CHAT_TEMPLATE
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=max_positions)
    return LlamaForCausalLM(config).eval(), tokenizer
