"""Loading a real pretrained instruction-tuned LLM (:func:`load_chat_model`): SmolLM2-135M-Instruct, from the offline
GGUF copy (de-quantised once, then cached under :func:`cache_dir`) or the Hub."""

from __future__ import annotations

import hashlib
import os
import shutil
from contextlib import contextmanager, suppress
from collections.abc import Iterator
from pathlib import Path

from lmtutorial.book.resources import cache_dir, shared_path

HUB_ID = "HuggingFaceTB/SmolLM2-135M-Instruct"
OFFLINE_FOLDER = "models/SmolLM2-135M-Instruct-Q4_1"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


class ChatModelUnavailable(RuntimeError):
    """The chat model is neither on this machine nor reachable on the Hugging Face Hub."""


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextmanager
def quiet_loading() -> Iterator[None]:
    """Silence the progress bars of loading: ``transformers``' "Loading weights" and its per-tensor
    "Converting and de-quantizing GGUF tensors..." (a plain ``tqdm`` that the library switch does not reach)."""
    from functools import partial

    from transformers import modeling_gguf_pytorch_utils as gguf_utils
    from transformers.utils import logging

    bar, enabled = gguf_utils.tqdm, logging.is_progress_bar_enabled()
    gguf_utils.tqdm = partial(bar, disable=True)
    logging.disable_progress_bar()
    try:
        yield
    finally:
        gguf_utils.tqdm = bar
        if enabled:
            logging.enable_progress_bar()


def forget_gguf_origin(model) -> None:  # noqa: ANN001 - a transformers PreTrainedModel
    """Make a de-quantised GGUF model savable as a plain float model: drop its quantizer and, where transformers set
    one (its GGUF quantizer does since huggingface/transformers#47779; 5.15 sets none), its ``quantization_config``."""
    model.hf_quantizer = None
    with suppress(AttributeError):  # transformers 5.15: no quantization_config to drop
        del model.config.quantization_config


def load_gguf(folder: Path, gguf_file: str, cache: bool = True) -> tuple:
    """``(model, tokenizer)`` from ``folder / gguf_file`` de-quantised to float32; with ``cache``, saved once
    under :func:`cache_dir` (keyed by the file's SHA-256) and read from there afterwards."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    saved = cache_dir() / "models" / f"{Path(gguf_file).stem}-{file_sha256(folder / gguf_file)[:16]}"
    if cache and (saved / "config.json").exists():
        return (AutoModelForCausalLM.from_pretrained(saved, dtype=torch.float32),
                AutoTokenizer.from_pretrained(saved))
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=gguf_file)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=gguf_file, dtype=torch.float32)
    forget_gguf_origin(model)
    if cache:
        temporary = saved.with_name(f".{saved.name}.{os.getpid()}.tmp")
        try:
            model.save_pretrained(temporary)
            tokenizer.save_pretrained(temporary)
            temporary.replace(saved)
        except OSError:
            shutil.rmtree(temporary, ignore_errors=True)  # a read-only or full cache only costs time
    return model, tokenizer


def load_chat_model(name_or_path: str | os.PathLike | None = None, cache: bool = True) -> tuple:
    """``(model, tokenizer)`` of a causal chat LM in eval mode, float32.

    ``None``: the offline GGUF copy of SmolLM2-135M-Instruct when ``../shared`` has it, else :data:`HUB_ID`.
    A folder holding exactly one ``.gguf`` file is loaded as GGUF; anything else goes to ``from_pretrained``.
    Raises :class:`ChatModelUnavailable` if neither the offline copy nor the Hub can be reached.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if name_or_path is None:
        offline = shared_path(f"{OFFLINE_FOLDER}/{GGUF_FILE}")
        name_or_path = offline.parent if offline is not None else HUB_ID
    folder = Path(name_or_path)
    ggufs = sorted(folder.glob("*.gguf")) if folder.is_dir() else []
    with quiet_loading():
        if len(ggufs) == 1:
            model, tokenizer = load_gguf(folder, ggufs[0].name, cache)
            return model.eval(), tokenizer
        try:
            tokenizer = AutoTokenizer.from_pretrained(name_or_path)
            model = AutoModelForCausalLM.from_pretrained(name_or_path, dtype=torch.float32)
        except OSError as error:
            first_line = str(error).splitlines()[0] if str(error) else ""
            raise ChatModelUnavailable(
                f"chat model not found: {str(name_or_path)!r} is neither a local model folder nor reachable on the "
                f"Hugging Face Hub ({type(error).__name__}: {first_line}); offline, expected "
                f"{OFFLINE_FOLDER}/{GGUF_FILE} in the shared folder (LMTUTORIAL_SHARED or ../shared)") from error
    return model.eval(), tokenizer
