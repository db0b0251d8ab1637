"""The output folder of a fine-tune: one run at a time (:class:`RunLock`), complete checkpoints only, resuming or
overwriting an earlier run on request, and a full disk reported in one line."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

from lmtutorial.hf.config import (
    DiskFull,
    FinetuneConfig,
    HOW_NOT_WHAT,
    LOCK_NAME,
    option_flag,
    RUN_FILES,
    RunFolderBusy,
    SETTINGS_FILE,
    switch_flag,
)


class RunLock:
    """The lock file of an output folder: one run at a time works in it.

    An advisory ``flock`` on ``run.lock``, released when its process dies; the file names the holder.
    """

    def __init__(self, folder: str | os.PathLike):
        self.path = Path(folder) / LOCK_NAME
        self._file = None

    def acquire(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            file = open(self.path, "a+", encoding="utf-8")
            try:
                fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                file.close()
                raise RunFolderBusy(f"{option_flag('output_dir')} {self.path.parent}: another run is working in it "
                                    f"({self._holder()}); wait until it ends, or choose another "
                                    f"{option_flag('output_dir')}") from None
            if os.path.exists(self.path) and os.path.samefile(self.path, file.fileno()):
                break  # else the previous holder removed the file between our open and our lock: try again
            file.close()
        earlier = self._holder()
        if earlier != "holder unknown":
            print(f"{self.path.parent}: taking over the lock left by a run that is gone ({earlier})")
        file.seek(0)
        file.truncate()
        json.dump({"pid": os.getpid(), "host": socket.gethostname(), "started": time.strftime("%Y-%m-%d %H:%M:%S")},
                  file, allow_nan=False)
        file.flush()
        self._file = file
        return self

    def release(self) -> None:
        if self._file is not None:
            self.path.unlink(missing_ok=True)
            self._file.close()
            self._file = None

    def _holder(self) -> str:
        for _ in range(10):  # a new holder writes its name right after taking the lock
            try:
                holder = json.loads(self.path.read_text(encoding="utf-8"))
                return f"pid {holder['pid']} on {holder['host']}, since {holder['started']}"
            except (OSError, ValueError, KeyError, TypeError):
                time.sleep(0.05)
        return "holder unknown"


def checkpoint_problem(checkpoint: Path) -> str | None:
    """Why ``checkpoint`` cannot be resumed from (its save was cut short), or ``None`` if it is complete.

    ``Trainer`` writes ``trainer_state.json`` last, after the weights, optimizer and random states.
    """
    state = checkpoint / "trainer_state.json"
    if not state.is_file():
        return "no trainer_state.json: its save was cut short"
    try:
        json.loads(state.read_text(encoding="utf-8"))
    except ValueError:
        return "trainer_state.json is cut short"
    if not any((checkpoint / name).is_file() for name in ("model.safetensors", "pytorch_model.bin",
                                                           "model.safetensors.index.json")):
        return "no model weights"
    return None


def _checkpoints(folder: Path) -> list[Path]:
    """The ``checkpoint-N`` folders in ``folder``, by step."""
    found = [p for p in folder.glob("checkpoint-*") if p.is_dir() and p.name.split("-", 1)[1].isdigit()]
    return sorted(found, key=lambda p: int(p.name.split("-", 1)[1]))


def _clear_earlier_run(folder: Path) -> None:
    """Move every part of an earlier run aside, results first, then delete it: never half a run left in place."""
    trash = folder / f".overwritten.{os.getpid()}"
    trash.mkdir()
    for path in [*(folder / name for name in RUN_FILES), *_checkpoints(folder)]:
        if path.exists():
            os.replace(path, trash / path.name)
    shutil.rmtree(trash)


def prepare_output_dir(config: FinetuneConfig, is_main: bool) -> Path | None:
    """The checkpoint to resume from; refuses to mix a new run into an old one unless told which to do.

    The main process first removes checkpoints whose save was cut short and leftovers of an interrupted write; the
    other processes only look.
    """
    folder = Path(config.output_dir)
    if not folder.is_dir():
        return None
    if is_main:
        for leftover in [*folder.glob(".overwritten.*"), *folder.glob(".model.*.tmp")]:
            shutil.rmtree(leftover)
        if config.overwrite:
            _clear_earlier_run(folder)
    good = []
    for checkpoint in _checkpoints(folder):
        problem = checkpoint_problem(checkpoint)
        if problem is None:
            good.append(checkpoint)
        elif config.resume and is_main:
            print(f"resume: skipping {checkpoint} ({problem}); removed")
            shutil.rmtree(checkpoint)
    if config.resume:
        if not good and is_main:
            print(f"resume: no complete checkpoint in {folder}, starting a new run")
        return good[-1] if good else None
    return None


def refuse_to_mix(config: FinetuneConfig) -> None:
    """One ``FileExistsError`` if ``output_dir`` holds an earlier run and neither ``resume`` nor ``overwrite`` says
    what to do with it (checked before anything is loaded)."""
    folder = Path(config.output_dir)
    if config.resume or config.overwrite or not folder.is_dir():
        return
    earlier = [p.name for p in (folder / name for name in RUN_FILES) if p.exists()] + \
        [p.name for p in _checkpoints(folder)]
    if earlier:
        raise FileExistsError(f"{option_flag('output_dir')}: expected no earlier run in {folder}, got "
                              f"{', '.join(earlier)}; pass {switch_flag('resume')} to continue that run or "
                              f"{switch_flag('overwrite')} to start over")


def run_settings(config: FinetuneConfig) -> dict:
    """The settings that shape a run's result (every option but those in ``HOW_NOT_WHAT`` and the run's folder,
    which may be moved)."""
    return {k: v for k, v in asdict(config).items() if k not in (*HOW_NOT_WHAT, "output_dir")}


def _refuse_other_settings(config: FinetuneConfig, theirs: dict, state: str) -> None:
    """One ``FileExistsError`` naming each setting of ``config`` that differs from the earlier run's ``theirs``."""
    ours = run_settings(config)
    differ = sorted(k for k in ours if ours[k] != theirs.get(k))
    if differ:
        raise FileExistsError(f"{switch_flag('resume')}: the run in {config.output_dir} {state} with other settings "
                              f"({', '.join(f'{option_flag(k)} {theirs.get(k)!r}, not {ours[k]!r}' for k in differ)}); "
                              f"pass {switch_flag('overwrite')} or choose another {option_flag('output_dir')}")


def finished_run(config: FinetuneConfig) -> dict | None:
    """The results of the run in ``output_dir`` if it already finished with these settings (``resume`` only); a run
    not finished but started with other settings is refused too (its settings file is compared)."""
    folder = Path(config.output_dir)
    if not config.resume:
        return None
    path = folder / "results.json"
    if path.is_file():
        results = json.loads(path.read_text(encoding="utf-8"))
        _refuse_other_settings(config, {k: v for k, v in results.get("config", {}).items() if k not in HOW_NOT_WHAT},
                               "has finished")
        return results
    settings = folder / SETTINGS_FILE
    if settings.is_file() and _checkpoints(folder):
        _refuse_other_settings(config, json.loads(settings.read_text(encoding="utf-8")), "was started")
    return None


def record_settings(config: FinetuneConfig) -> None:
    """Write the run's settings into its folder before training starts (a resume compares against them)."""
    from lmtutorial.provenance import write_json

    Path(config.output_dir).mkdir(parents=True, exist_ok=True)
    with disk_full_in_one_line(config.output_dir):
        write_json(Path(config.output_dir) / SETTINGS_FILE, run_settings(config))


def _is_disk_full(error: BaseException | None) -> bool:
    """Whether ``error`` (or what caused it) is a write that ran out of space, in any library's words."""
    words = ("No space left on device", "unexpected pos", "file write failed", "StorageFull", "os error 28",
             "Disk quota exceeded")
    while error is not None:
        if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if any(word in str(error) for word in words):
            return True
        error = error.__cause__ or error.__context__
    return False


@contextmanager
def disk_full_in_one_line(folder: str | os.PathLike) -> Iterator[None]:
    """Turn a full disk while writing into ``folder`` into one :class:`DiskFull` line that says so."""
    try:
        yield
    except DiskFull:
        raise
    except Exception as error:
        if not _is_disk_full(error):
            raise
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        full = DiskFull(f"{folder}: the disk is full ({type(error).__name__}: {first[:200]}); free some space or "
                        f"choose another {option_flag('output_dir')}, then pass {switch_flag('resume')}: the checkpoints "
                        "saved before are intact")
        full.errno = errno.ENOSPC
        raise full from error
