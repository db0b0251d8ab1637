"""How long each page takes in Colab's free runtime (a T4 GPU, two CPU cores) in the ``colab`` size profile: an
estimate, until a run on a T4 measures it.

    python bench/colab_estimate.py     # after `make test`; writes lmtutorial/results/colab_estimate.json

Only chapter 5 puts work on the GPU; every other page runs on the CPU, in Colab too. So:

- a page whose ``colab`` sizes are its ``ci`` sizes: the seconds nbval took to execute it on this machine (two
  cores), from the execution ledger of the last ``make test`` (``_build/executions.jsonl``);
- a page whose ``colab`` sizes are its ``full`` sizes: ``page_seconds`` of its full run's results file, also
  measured on this machine;
- chapter 5: its ``ci`` execution on this machine (an upper bound for everything but the GPU work), plus the GPU
  work: the training FLOPs of its two bert-base runs at the ``colab`` sizes (``costs.encoder_training_flops`` on real
  token lengths; an evaluation pass counts a third of a training pass), divided by the FLOP rate a T4 would reach at
  the H200's measured utilisation: the H200 anchor run trained bert-base for one IMDb epoch in bf16, and the T4's fp16
  peak (65 TFLOP/s) is 0.066 of the H200's bf16 peak (989.4 TFLOP/s), both dense, from the datasheets.

Colab's CPU is taken to be as fast as this machine's two cores, and the downloads (bert-base, 440 MB; IMDb, 84 MB)
are not counted: both are assumptions, stated in the file.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from lmtutorial.book.resources import shared_path  # noqa: E402
from lmtutorial.book.sizes import SIZES  # noqa: E402
from lmtutorial.costs import PEAK_FLOPS, encoder_training_flops  # noqa: E402
from lmtutorial.data.imdb import load_imdb  # noqa: E402
from lmtutorial.hf.bert_data import token_lengths  # noqa: E402
from lmtutorial.provenance import hardware, library_versions, write_json  # noqa: E402

RESULTS = REPO / "lmtutorial" / "results"
OUT = RESULTS / "colab_estimate.json"
LEDGER = REPO / "_build" / "executions.jsonl"
ANCHOR = RESULTS / "h200_anchor_2026-11-28.json"
LENGTHS = RESULTS / "imdb_token_lengths.json"
LIMIT_SECONDS = 600  # a page should finish in Colab's free runtime in 10 minutes
VALIDATION_FRACTION = 0.05  # lmtutorial.hf.config.FinetuneConfig's default, used by the colab sizes


def shared_sizes(page: str) -> str:
    """Which profile's sizes the page's ``colab`` entry is: ``ci``, ``full`` or its own (``colab``)."""
    table = SIZES[page]
    return next((name for name in ("ci", "full") if table["colab"] == table[name]), "colab")


def nbval_seconds() -> dict[str, dict]:
    """The latest nbval execution of each page in the ledger: seconds and when."""
    found = {}
    for line in LEDGER.read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        if entry.get("executor") == "nbval" and entry.get("seconds") is not None:
            found[Path(entry["page"]).stem] = {"seconds": entry["seconds"], "time": entry["time"]}
    return found


def t4_flop_rate() -> dict:
    """The FLOP rate a T4 reaches at the H200 anchor's measured utilisation (bert-base, one IMDb epoch, bf16)."""
    anchor = json.loads(ANCHOR.read_text(encoding="utf-8"))
    epoch_flops = json.loads(LENGTHS.read_text(encoding="utf-8"))["raw_text"]["training_flops_bert_base"]
    epoch_seconds = anchor["raw"]["A"]["bf16_bs32_bucketed_epoch_s_imdb"]
    utilisation = epoch_flops / epoch_seconds / PEAK_FLOPS["H200"]
    return {"h200_epoch_flops": epoch_flops, "h200_epoch_seconds": epoch_seconds,
            "h200_utilisation": utilisation, "t4_over_h200_peak": PEAK_FLOPS["T4"] / PEAK_FLOPS["H200"],
            "t4_flops_per_second": utilisation * PEAK_FLOPS["T4"],
            "sources": {"epoch_flops": str(LENGTHS.relative_to(REPO)), "epoch_seconds": str(ANCHOR.relative_to(REPO)),
                        "peaks": "lmtutorial.costs.PEAK_FLOPS (NVIDIA's T4 and H200 datasheets)"}}


def chapter5_gpu_flops(lengths: dict[str, np.ndarray]) -> dict[str, float]:
    """Training-pass FLOPs of chapter 5's GPU work at the colab sizes (an evaluation pass counts one third)."""
    from transformers import BertConfig

    config, sizes = BertConfig(), SIZES["ch05_bert_project"]["colab"]

    def passes(split: str, count: int, cap: int, weight: float) -> float:
        return weight * encoder_training_flops(np.minimum(lengths[split][:count], cap), config)

    script, run = sizes["script"], sizes["finetune"]
    script_train = int(script["train"] * 0.8)  # the script keeps 20 % for validation
    run_train = int(run["train_size"] * (1 - VALIDATION_FRACTION))
    return {
        "script": script["epochs"] * (passes("train", script_train, script["max_length"], 1.0)
                                      + passes("train", script["train"] - script_train, script["max_length"], 1 / 3))
        + passes("test", script["test"], script["max_length"], 1 / 3),
        "finetune": run["epochs"] * (passes("train", run_train, 512, 1.0)
                                     + passes("train", run["train_size"] - run_train, 512, 1 / 3))
        + passes("test", run["test_size"], 512, 1 / 3),
    }


def main() -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(shared_path("models/all-MiniLM-L6-v2-bf16"))  # bert-base's vocabulary
    sizes = SIZES["ch05_bert_project"]["colab"]  # the reviews of each split that its two runs read, at most
    needed = max(sizes["finetune"]["train_size"], sizes["finetune"]["test_size"], sizes["script"]["train"],
                 sizes["script"]["test"])
    lengths = {split: token_lengths(load_imdb(split).shuffle(seed=0).select(range(needed))["text"], tokenizer)
               for split in ("train", "test")}
    executed, rate = nbval_seconds(), t4_flop_rate()
    pages = {}
    for page in sorted(set(SIZES) | set(executed)):  # pages without a size table run the same everywhere
        kind = shared_sizes(page) if page in SIZES else "ci"
        if kind == "full":
            chapter, _, topic = page.split("_", 2)  # ch06_2_translation -> ch06_translation_full.json
            source = RESULTS / f"{chapter}_{topic}_full.json"
            full_results = json.loads(source.read_text(encoding="utf-8"))
            cpu = {"seconds": full_results["page_seconds"], "source": str(source.relative_to(REPO)),
                   "date": full_results["date"]}
        else:
            cpu = {**executed[page], "source": f"{LEDGER.relative_to(REPO)} (nbval, ci sizes)"}
        entry = {"sizes": kind, "cpu_seconds": cpu["seconds"], "cpu_source": cpu["source"],
                 "cpu_measured": cpu.get("date") or cpu.get("time")}
        if page == "ch05_bert_project":
            flops = chapter5_gpu_flops(lengths)
            entry.update(colab_sizes=SIZES[page]["colab"], gpu_flops=flops,
                         gpu_seconds=sum(flops.values()) / rate["t4_flops_per_second"])
        entry["estimate_seconds"] = entry["cpu_seconds"] + entry.get("gpu_seconds", 0.0)
        entry["within_limit"] = entry["estimate_seconds"] <= LIMIT_SECONDS
        pages[page] = entry
    write_json(OUT, {
        "what": "Estimated seconds of each page in Colab's free runtime (T4, two CPU cores), colab profile; "
                "an estimate until measured on a T4",
        "produced_by": "python bench/colab_estimate.py",
        "date": date.today().isoformat(), "hardware": hardware(), "library_versions": library_versions(),
        "limit_seconds": LIMIT_SECONDS, "t4": rate,
        "assumptions": ["Colab's two CPU cores are as fast as this machine's two cores",
                        "the T4 reaches the H200 anchor run's share of its peak (fp16 on the T4, bf16 on the H200)",
                        "downloads (bert-base-uncased, 440 MB; IMDb, 84 MB) are not counted",
                        "chapter 5's CPU part is its whole ci execution on this machine (an upper bound)"],
        "pages": pages})
    for page, entry in pages.items():
        print(f"{page:28} {entry['sizes']:5} {entry['estimate_seconds'] / 60:5.1f} min")


if __name__ == "__main__":
    main()
