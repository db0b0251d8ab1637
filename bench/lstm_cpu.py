"""Time lmtutorial.core.lstm.LSTM against torch.nn.LSTM on the CPU: forward and backward, at chapter 3's sizes.

Both layers start from the same weights and see the same input; the runs alternate (and which one goes first
alternates too) so that both meet the same machine load, and the median of many repeats is kept, in wall-clock time
and in CPU time (with one thread, CPU time is less disturbed by other processes on a shared machine). The JSON names
the CPU, the threads, the library versions, the load average before the runs and the date. Writes
lmtutorial/results/lstm_cpu.json:

    python bench/lstm_cpu.py [--threads 1] [--repeats 60]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path

import torch

from lmtutorial.core.lstm import LSTM
from lmtutorial.provenance import library_versions, write_json

# (batch, seq_len, input_size, hidden_size): chapter 3's language model in the "ci" and the "full" profile
SIZES = {"ci": (32, 35, 64, 128), "full": (32, 35, 128, 256)}
OUT = Path(__file__).resolve().parent.parent / "lmtutorial" / "results" / "lstm_cpu.json"


def cpu_info() -> dict[str, str]:
    """The first CPU's model name, vendor, family and model number, as /proc/cpuinfo (and lscpu) report them."""
    fields = {"model name": "cpu", "vendor_id": "cpu_vendor", "cpu family": "cpu_family", "model": "cpu_model_number"}
    info: dict[str, str] = {}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() in fields and fields[key.strip()] not in info:
                info[fields[key.strip()]] = value.strip()
    except OSError:
        pass
    info.setdefault("cpu", platform.processor() or platform.machine())
    return {name: info[name] for name in fields.values() if name in info}


def code_version() -> str | None:
    """The git commit of the measured lmtutorial/core/lstm.py, marked "+modified" if it differs from that commit."""
    repo = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, check=True).stdout.strip()
        changed = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "lmtutorial/core/lstm.py"],
                                 capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return commit + ("+modified" if changed else "")


def time_pair(batch: int, steps: int, inputs: int, hidden: int, repeats: int) -> dict[str, dict[str, float]]:
    """Median milliseconds of forward + backward for each implementation, in wall-clock and in CPU time."""
    torch.manual_seed(0)
    reference = torch.nn.LSTM(inputs, hidden, batch_first=True)
    ours = LSTM(inputs, hidden, batch_first=True)
    ours.load_state_dict(reference.state_dict())
    x = torch.randn(batch, steps, inputs, requires_grad=True)
    weights = torch.randn(batch, steps, hidden)

    def run(module: torch.nn.Module) -> tuple[float, float]:
        wall, cpu = time.perf_counter(), time.process_time()
        output, _ = module(x)
        (output * weights).sum().backward()
        return time.perf_counter() - wall, time.process_time() - cpu

    modules = {"torch": reference, "lmtutorial": ours}
    for module in modules.values():  # warm-up
        run(module)
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in modules}
    for repeat in range(repeats):
        for name in sorted(modules, reverse=repeat % 2 == 1):
            times[name].append(run(modules[name]))
    return {name: {"wall_ms": 1000 * statistics.median(wall for wall, _ in values),
                   "cpu_ms": 1000 * statistics.median(cpu for _, cpu in values)}
            for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (chapter 3 uses 1)")
    parser.add_argument("--repeats", type=int, default=60, help="alternating pairs of runs per size")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    load_before = os.getloadavg()  # 1, 5 and 15 minute averages, read before any run
    results = {}
    for profile, (batch, steps, inputs, hidden) in SIZES.items():
        ms = time_pair(batch, steps, inputs, hidden, args.repeats)
        ours, ref = ms["lmtutorial"], ms["torch"]
        results[profile] = dict(batch=batch, seq_len=steps, input_size=inputs, hidden_size=hidden,
                                torch_ms=round(ref["wall_ms"], 2), lmtutorial_ms=round(ours["wall_ms"], 2),
                                ratio=round(ours["wall_ms"] / ref["wall_ms"], 2),
                                torch_cpu_ms=round(ref["cpu_ms"], 2), lmtutorial_cpu_ms=round(ours["cpu_ms"], 2),
                                cpu_time_ratio=round(ours["cpu_ms"] / ref["cpu_ms"], 2))
        print(f"{profile}: {results[profile]}")
    write_json(args.out, {
        "what": "forward + backward of one LSTM layer, median of alternating runs; ratio = lmtutorial / torch "
                "(wall-clock; cpu_time_ratio: the same in CPU time)",
        "script": "bench/lstm_cpu.py",
        "sizes": results,
        "threads": args.threads,
        "repeats": args.repeats,
        **cpu_info(),
        "cpu_count": os.cpu_count(),
        "load_average_before": [round(load, 2) for load in load_before],
        "load_average_after": [round(load, 2) for load in os.getloadavg()],
        "torch_mkldnn_available": torch.backends.mkldnn.is_available(),  # torch.nn.LSTM then runs oneDNN's kernel
        "versions": {k: v for k, v in library_versions().items() if k in ("python", "torch", "lmtutorial")},
        "lstm_code": code_version(),
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
    })
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
