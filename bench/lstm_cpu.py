"""Time lmtutorial.LSTM against torch.nn.LSTM on the CPU: forward and backward, at chapter 3's sizes.

Both layers start from the same weights and see the same input; the runs alternate so that both meet the same
machine load, and the median of many repeats is kept. Writes lmtutorial/results/lstm_cpu.json:

    python bench/lstm_cpu.py [--threads 1] [--repeats 30]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from datetime import datetime, timezone
from pathlib import Path

import torch

from lmtutorial import LSTM
from lmtutorial.finetune_report import library_versions, write_json

# (batch, seq_len, input_size, hidden_size): chapter 3's language model in the "ci" and the "full" profile
SIZES = {"ci": (32, 35, 64, 128), "full": (32, 35, 128, 256)}
OUT = Path(__file__).resolve().parent / "results" / "lstm_cpu.json"


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def time_pair(batch: int, steps: int, inputs: int, hidden: int, repeats: int) -> dict[str, float]:
    """Median milliseconds of forward + backward for each implementation."""
    torch.manual_seed(0)
    reference = torch.nn.LSTM(inputs, hidden, batch_first=True)
    ours = LSTM(inputs, hidden, batch_first=True)
    ours.load_state_dict(reference.state_dict())
    x = torch.randn(batch, steps, inputs, requires_grad=True)
    weights = torch.randn(batch, steps, hidden)

    def run(module: torch.nn.Module) -> float:
        start = time.perf_counter()
        output, _ = module(x)
        (output * weights).sum().backward()
        return time.perf_counter() - start

    for module in (reference, ours):  # warm-up
        run(module)
    times: dict[str, list[float]] = {"torch": [], "lmtutorial": []}
    for _ in range(repeats):
        times["torch"].append(run(reference))
        times["lmtutorial"].append(run(ours))
    return {name: 1000 * statistics.median(values) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (chapter 3 uses 1)")
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    results = {}
    for profile, (batch, steps, inputs, hidden) in SIZES.items():
        ms = time_pair(batch, steps, inputs, hidden, args.repeats)
        results[profile] = dict(batch=batch, seq_len=steps, input_size=inputs, hidden_size=hidden,
                                torch_ms=round(ms["torch"], 2), lmtutorial_ms=round(ms["lmtutorial"], 2),
                                ratio=round(ms["lmtutorial"] / ms["torch"], 2))
        print(f"{profile}: {results[profile]}")
    write_json(args.out, {
        "what": "forward + backward of one LSTM layer, median of alternating runs; ratio = lmtutorial / torch",
        "sizes": results,
        "threads": args.threads,
        "repeats": args.repeats,
        "cpu": cpu_name(),
        "cpu_count": os.cpu_count(),
        "load_average_before": os.getloadavg()[0],
        "torch_mkldnn_available": torch.backends.mkldnn.is_available(),  # torch.nn.LSTM then runs oneDNN's kernel
        "versions": {k: v for k, v in library_versions().items() if k in ("python", "torch", "lmtutorial")},
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
    })
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
