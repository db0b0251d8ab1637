"""Decoding speed on the CPU with and without a KV cache: lmtutorial's decoder both ways, and transformers' generate.

    python bench/kv_cache.py [--threads N] [--lengths 32 128 512] [--repeats 3] [--out PATH]

writes lmtutorial/results/kv_cache_cpu.json (or ``--out``): SmolLM2-135M-Instruct (the offline GGUF copy of
``shared/``, de-quantised to float32) generates exactly n new tokens greedily, at each n of ``--lengths``, from one
fixed prompt (:data:`PROMPT`, written for this benchmark, in the model's chat template), in three ways:

- ``ours_no_cache``: :func:`lmtutorial.models.decoder.generate` with ``use_cache=False``, the whole sequence through
  the model again at every step;
- ``ours_cache``: the same with the KV cache, one token per step;
- ``transformers``: ``LlamaForCausalLM.generate(do_sample=False, max_new_tokens=n, min_new_tokens=n,
  eos_token_id=None)`` on the same weights.

No end-of-sequence token stops any of them: ours get ``eos_id=None``, and transformers ``eos_token_id=None`` too,
because with an EOS id ``min_new_tokens`` masks EOS's logit, which changes the greedy choice wherever the model would
stop. The JSON records, per length, whether the three gave the same ids (how many of the n positions agree, and the
first that does not: float rounding may flip a late near-tie) and where the model itself would have stopped.

Speed: tokens/s = n / wall-clock seconds of one whole generation (the prompt's forward pass included), the median
of ``--repeats`` rounds. Each method first generates once at the shortest length (warm-up); a round runs every method
once, in an order that rotates from round to round, so that all meet the same machine load. All run on
``--threads`` torch threads (default: every core this process may use). At the longest length ours also record the
seconds of every decoding step (``generate(step_times=...)``, median over the rounds step by step): without the cache
a step grows with the sequence, with it a step stays flat.

The memory-bandwidth limit: with one sequence, a decoding step multiplies a vector by every weight matrix, so it
reads every weight once; it cannot run faster than bandwidth / weight bytes. Weight bytes: every float32 parameter
once, the tied embedding table included once (the head's matrix product reads all of it; the lookup reads one of
its rows, not counted); the KV cache that attention reads is not counted (recorded per length: 5 % of the weights
after 512 new tokens). Bandwidth: bytes / median seconds of ``big.sum()`` over a float32 tensor of 1 GiB, far larger
than the CPU's caches, on the same threads. The JSON also names the CPU, the library versions, the load average
before and after, and the date.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.lstm_cpu import cpu_info  # noqa: E402
from lmtutorial.core.checks import check_number  # noqa: E402
from lmtutorial.core.kvcache import cache_bytes  # noqa: E402
from lmtutorial.models.decoder import Decoder, from_hf, generate  # noqa: E402
from lmtutorial.progress import tqdm  # noqa: E402
from lmtutorial.provenance import hardware, library_versions, write_json  # noqa: E402

METHODS = ("ours_no_cache", "ours_cache", "transformers")
PAIRS = (("ours_cache", "transformers"), ("ours_no_cache", "transformers"), ("ours_cache", "ours_no_cache"))
PROMPT = "Describe, step by step, how a beekeeper harvests honey from a hive in late summer."
GIB = 2**30
OUT = REPO / "lmtutorial" / "results" / "kv_cache_cpu.json"


def weight_bytes_per_token(model: Decoder) -> int:
    """Bytes of weights one decoding step reads: every parameter once (a tied embedding table once: the head reads
    it whole); an untied embedding table is replaced by the one row its lookup reads."""
    total = sum(p.numel() * p.element_size() for p in model.parameters())  # shared tensors are listed once
    table = model.tokens.weight
    return total if model.config.tied else total - (table.shape[0] - 1) * table.shape[1] * table.element_size()


def read_bandwidth(n_bytes: int = GIB, repeats: int = 5) -> float:
    """Bytes per second that ``big.sum()`` reads from memory: ``n_bytes`` of float32 / the median seconds of
    ``repeats`` sums after one warm-up, on the current torch threads."""
    big = torch.ones(n_bytes // 4)
    big.sum()
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        big.sum()
        seconds.append(time.perf_counter() - start)
    return big.numel() * big.element_size() / statistics.median(seconds)


def agreement(a: torch.Tensor, b: torch.Tensor) -> dict[str, int | None]:
    """How many positions of two id sequences (n,) agree, and the first that does not (``None``: all agree)."""
    same = a == b
    return {"agree": int(same.sum()), "of": len(same),
            "first_difference": None if bool(same.all()) else int((~same).nonzero()[0, 0])}


def runners(hf: torch.nn.Module, ours: Decoder,
            prompt_ids: torch.Tensor) -> dict[str, Callable[[int, list[float] | None], torch.Tensor]]:
    """For each method, ``run(n, step_times)`` → the n new ids (n,) it generates greedily after ``prompt_ids``."""
    mask = torch.ones_like(prompt_ids)

    def transformers_run(n: int, step_times: list[float] | None) -> torch.Tensor:
        return hf.generate(prompt_ids, attention_mask=mask, do_sample=False, max_new_tokens=n, min_new_tokens=n,
                           eos_token_id=None)

    def ours_run(use_cache: bool) -> Callable[[int, list[float] | None], torch.Tensor]:
        return lambda n, step_times: generate(ours, prompt_ids, n, use_cache, eos_id=None, step_times=step_times)

    def new_ids(run: Callable) -> Callable[[int, list[float] | None], torch.Tensor]:
        def checked(n: int, step_times: list[float] | None) -> torch.Tensor:
            ids = run(n, step_times)
            if ids.shape != (1, prompt_ids.shape[1] + n):
                raise RuntimeError(f"expected {n} new tokens after the prompt's {prompt_ids.shape[1]}, got "
                                   f"{ids.shape[1] - prompt_ids.shape[1]}")
            return ids[0, prompt_ids.shape[1]:]
        return checked

    return {"ours_no_cache": new_ids(ours_run(False)), "ours_cache": new_ids(ours_run(True)),
            "transformers": new_ids(transformers_run)}


def measure(hf: torch.nn.Module, prompt_ids: torch.Tensor, lengths: Sequence[int], repeats: int,
            eos_id: int | None = None, bandwidth_bytes: int = GIB) -> dict:
    """Tokens/s of the three methods at each length, their ids' agreement, ours' step times at the longest length
    and the memory-bandwidth limit, for ``hf`` (a ``LlamaForCausalLM``) and ``prompt_ids`` (1, T).

    ``eos_id``: the model's end-of-sequence id, to record where greedy decoding would have stopped.
    """
    for length in lengths:
        check_number("lengths", length, integer=True, minimum=1)
    check_number("repeats", repeats, integer=True, minimum=1)
    if prompt_ids.ndim != 2 or prompt_ids.shape[0] != 1:
        raise ValueError(f"prompt_ids: expected shape (1, T), one prompt, got {tuple(prompt_ids.shape)}")
    lengths = sorted(set(lengths))
    hf.eval()
    ours = from_hf(hf)
    run = runners(hf, ours, prompt_ids)
    longest = lengths[-1]
    seconds: dict[int, dict[str, list[float]]] = {n: {m: [] for m in METHODS} for n in lengths}
    steps: dict[str, list[list[float]]] = {"ours_no_cache": [], "ours_cache": []}
    ids: dict[int, dict[str, torch.Tensor]] = {n: {} for n in lengths}
    rates: dict[int, dict[str, float]] = {}
    bar = tqdm(total=len(METHODS) * (1 + len(lengths) * repeats), desc="generations", unit="run")
    for method in METHODS:
        bar.set_postfix_str(f"warm-up {method}")
        run[method](lengths[0], None)
        bar.update()
    for n in lengths:
        for repeat in range(repeats):
            for method in METHODS[repeat % len(METHODS):] + METHODS[:repeat % len(METHODS)]:
                bar.set_postfix_str(f"{method} n={n}")
                times = [] if n == longest and method in steps else None
                start = time.perf_counter()
                ids[n][method] = run[method](n, times)
                seconds[n][method].append(time.perf_counter() - start)
                if times is not None:
                    steps[method].append(times)
                bar.update()
        rates[n] = {m: n / statistics.median(seconds[n][m]) for m in METHODS}
        bar.write(f"{n} tokens: " + ", ".join(f"{m} {rates[n][m]:.2f}" for m in METHODS) + " tokens/s")
    bar.close()
    weight_bytes = weight_bytes_per_token(ours)
    bandwidth = read_bandwidth(bandwidth_bytes)
    limit = bandwidth / weight_bytes
    layers, kv_heads, head_dim = ours.cache_shape
    per_length = {}
    for n in lengths:
        stops = (ids[n]["ours_cache"] == eos_id).nonzero() if eos_id is not None else torch.empty(0, 1)
        per_length[str(n)] = {
            "tokens_per_second": rates[n],
            "seconds": seconds[n],
            "ours_cache_over_transformers": rates[n]["ours_cache"] / rates[n]["transformers"],
            "cache_speedup": rates[n]["ours_cache"] / rates[n]["ours_no_cache"],
            "share_of_bandwidth_limit": {m: rates[n][m] / limit for m in ("ours_cache", "transformers")},
            "same_ids": {f"{a}_vs_{b}": agreement(ids[n][a], ids[n][b]) for a, b in PAIRS},
            "first_eos": int(stops[0, 0]) if len(stops) else None,
            "kv_cache_bytes_at_end": cache_bytes(layers, kv_heads, head_dim, prompt_ids.shape[1] + n,
                                                 bytes_per_value=ours.head.weight.element_size()),
        }
    return {
        "lengths": per_length,
        "step_seconds": {"length": longest, **{m: [round(statistics.median(step), 6) for step in zip(*runs)]
                                               for m, runs in steps.items()}},
        "memory_bound": {"weight_bytes_per_token": weight_bytes, "read_bandwidth_bytes_per_second": bandwidth,
                         "limit_tokens_per_second": limit, "bandwidth_tensor_bytes": bandwidth_bytes},
        "model": {"parameters": sum(p.numel() for p in ours.parameters()), "layers": layers, "dim": ours.config.dim,
                  "heads": ours.config.n_heads, "kv_heads": kv_heads, "head_dim": head_dim,
                  "vocab_size": ours.config.vocab_size, "tied_embeddings": ours.config.tied, "dtype": "float32"},
    }


def report(measured: dict, prompt: dict, threads: int, repeats: int, load_before: tuple[float, ...],
           argv: Sequence[str] | None, started: float) -> dict:
    """The results JSON: what was measured and how, provenance (script, command, CPU, versions, load, date)."""
    return {
        "what": "greedy decoding of exactly n new tokens from one prompt, batch 1, float32, CPU: tokens/s = n / "
                "wall seconds of the whole generate call (prompt included), median of interleaved rounds; "
                "share_of_bandwidth_limit = tokens/s / (read bandwidth / weight bytes per token); step_seconds: "
                "seconds of each decoding step of ours at the longest length (step 0 includes the prompt)",
        "script": "bench/kv_cache.py",
        "command": " ".join(["python", "bench/kv_cache.py", *(argv if argv is not None else sys.argv[1:])]),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "hardware": hardware(),
        **cpu_info(),
        "versions": library_versions(),
        "load_average_before": [round(load, 2) for load in load_before],
        "load_average_after": [round(load, 2) for load in os.getloadavg()],
        "settings": {"threads": threads, "repeats": repeats, "warm_up": "one generation per method at the "
                     "shortest length", "order": "rotated from round to round", "eos": "none stops generation"},
        "prompt": prompt,
        "methods": {"ours_no_cache": "lmtutorial.models.decoder.generate(use_cache=False, eos_id=None)",
                    "ours_cache": "lmtutorial.models.decoder.generate(use_cache=True, eos_id=None)",
                    "transformers": "LlamaForCausalLM.generate(do_sample=False, max_new_tokens=n, "
                                    "min_new_tokens=n, eos_token_id=None)"},
        "weights_counted": "every float32 parameter once; the tied embedding table once (the head reads all of it)",
        "bandwidth_method": "bytes / median seconds of big.sum() over a 1 GiB float32 tensor (5 runs after a "
                            "warm-up), same threads",
        **measured,
        "total_seconds": time.perf_counter() - started,
    }


def positive_int(text: str) -> int:
    """An integer >= 1, for argparse."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text!r}")
    return value


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    parser.add_argument("--threads", type=positive_int, default=cores,
                        help="torch CPU threads (default: every core this process may use)")
    parser.add_argument("--lengths", type=positive_int, nargs="+", default=[32, 128, 512], help="new tokens")
    parser.add_argument("--repeats", type=positive_int, default=3, help="timed rounds per length (median kept)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    from lmtutorial.book.resources import shared_path
    from lmtutorial.llm.model import GGUF_FILE, HUB_ID, OFFLINE_FOLDER, load_chat_model

    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    load_before = os.getloadavg()  # 1, 5 and 15 minute averages, before loading
    hf, tokenizer = load_chat_model()
    messages = [{"role": "user", "content": PROMPT}]
    prompt_ids = tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt",
                                               return_dict=True)["input_ids"]
    measured = measure(hf, prompt_ids, args.lengths, args.repeats, eos_id=tokenizer.eos_token_id)
    offline = shared_path(f"{OFFLINE_FOLDER}/{GGUF_FILE}") is not None
    measured["model"]["source"] = (f"shared/{OFFLINE_FOLDER}/{GGUF_FILE}, de-quantised to float32" if offline
                                   else f"{HUB_ID} from the Hugging Face Hub, in float32")
    prompt = {"text": PROMPT, "chat_template": True, "tokens": prompt_ids.shape[1]}
    results = report(measured, prompt, torch.get_num_threads(), args.repeats, load_before, argv, started)
    write_json(args.out, results)
    print(f"wrote {args.out}")
    return results


if __name__ == "__main__":
    main()
