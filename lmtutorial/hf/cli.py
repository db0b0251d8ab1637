"""The command line of the fine-tune, ``python -m lmtutorial.hf.finetune``: options derived from
:class:`~lmtutorial.hf.config.FinetuneConfig`; expected errors print one line and exit with 2."""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import fields
from pathlib import Path

from lmtutorial.data.imdb import IMDbUnavailable
from lmtutorial.hf.config import CLI_FLAGS, COMMAND_LINE, DiskFull, FinetuneConfig, NonFiniteLoss
from lmtutorial.hf.run import run_finetune
from lmtutorial.hf.output import disk_full_in_one_line
from lmtutorial.provenance import write_json


class _DefaultsHelp(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each option's default, except where the help text already says it (switches, ``None``)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        if action.default is None or isinstance(action.default, bool):
            return action.help or ""
        return super()._get_help_string(action)


def parse_args(argv: list[str] | None = None) -> tuple[str, str | None, str, dict]:
    """The command line of ``python -m lmtutorial.hf.finetune``: model, data, output folder and options."""
    parser = argparse.ArgumentParser(
        prog="python -m lmtutorial.hf.finetune", formatter_class=_DefaultsHelp,
        description="Fine-tune a BERT-family model on IMDb (or any parquet folder with text and label columns) "
                    "with transformers.Trainer: validation carved from train, test used once, dynamic padding with "
                    "token-budget length buckets, bf16 where supported, accuracy and F1, a results JSON and plots, "
                    "a checkpoint per epoch and --resume. Several GPUs: "
                    "torchrun --nproc_per_node N -m lmtutorial.hf.finetune.")
    for option in fields(FinetuneConfig):
        if "cli" not in option.metadata:
            continue
        kind = str(option.type).split("|")[0].strip()  # "int | None" -> "int" (annotations are strings here)
        settings = dict(dest=option.name, default=option.default, **option.metadata["cli"])
        if kind == "bool":
            settings["action"] = "store_false" if option.default else "store_true"
        elif kind in ("int", "float"):
            settings["type"] = {"int": int, "float": float}[kind]
        parser.add_argument(CLI_FLAGS.get(option.name, "--" + option.name.replace("_", "-")), **settings)
    options = vars(parser.parse_args(argv))
    model, data, output_dir = options.pop("model"), options.pop("data"), options.pop("output_dir")
    return model, data, output_dir, options


def process_seconds() -> float:
    """Seconds since this Python process started: imports included, the end-to-end time a user waits for."""
    import psutil

    return time.time() - psutil.Process().create_time()


EXPECTED_ERRORS = (ValueError, FileNotFoundError, FileExistsError, DiskFull, NonFiniteLoss, IMDbUnavailable)


PACKAGE = Path(__file__).resolve().parents[1]  # lmtutorial/, with its subpackages


def _raised_by_a_check(error: BaseException) -> bool:
    """Whether ``error`` is one of this package's own one-line errors (raised here, of an expected kind)."""
    traceback = error.__traceback__
    while traceback is not None and traceback.tb_next is not None:
        traceback = traceback.tb_next
    return (isinstance(error, EXPECTED_ERRORS) and traceback is not None
            and PACKAGE in Path(traceback.tb_frame.f_code.co_filename).resolve().parents)


def main(argv: list[str] | None = None) -> dict:
    """The command line: expected errors (bad input, a busy or full output folder) print one line and exit with 2;
    anything else keeps its traceback."""
    model, data, output_dir, options = parse_args(argv)
    token = COMMAND_LINE.set(True)
    try:
        results, ran = run_finetune(model, data, output_dir, None, options)
        if ran and int(os.environ.get("RANK", "0")) == 0:
            results["timing_seconds"]["process"] = process_seconds()
            with disk_full_in_one_line(output_dir):
                for path in (Path(output_dir) / "results.json", options.get("results_path")):
                    if path:
                        write_json(path, results)
    except EXPECTED_ERRORS as error:
        if not _raised_by_a_check(error):
            raise
        print(f"python -m lmtutorial.hf.finetune: error: {' '.join(str(error).split())}", file=sys.stderr)
        raise SystemExit(2) from None
    finally:
        COMMAND_LINE.reset(token)
    if int(os.environ.get("RANK", "0")) == 0:
        timing = results["timing_seconds"]
        print(f"test accuracy {results['test']['accuracy']:.4f}, F1 {results['test']['f1']:.4f}; "
              f"{results['precision']} on {results['hardware']['name']}; {timing.get('process', 0):.1f} s end to end "
              f"(train {timing['train']:.1f} s); results in {Path(output_dir) / 'results.json'}")
    return results
