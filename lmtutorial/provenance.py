"""Provenance of a measurement: the hardware and library versions it ran on, and result files written atomically."""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import numpy as np

LIBRARIES = ("torch", "transformers", "datasets", "accelerate", "tokenizers", "numpy", "lmtutorial")


def library_versions() -> dict[str, str | None]:
    """Installed versions of Python and of the libraries a fine-tune depends on (``None`` if missing)."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def hardware() -> dict[str, object]:
    """The accelerator (or CPU) this process computes on, named as the driver names it."""
    import torch

    info: dict[str, object] = {"cpu_count": os.cpu_count(), "platform": platform.platform(),
                               "world_size": int(os.environ.get("WORLD_SIZE", "1"))}
    if torch.cuda.is_available():
        index = torch.cuda.current_device()
        info.update(device="cuda", name=torch.cuda.get_device_name(index), count=torch.cuda.device_count(),
                    capability=".".join(map(str, torch.cuda.get_device_capability(index))),
                    memory_gib=round(torch.cuda.get_device_properties(index).total_memory / 2**30, 1),
                    cuda=torch.version.cuda)
    else:
        info.update(device="cpu", name=f"CPU ({platform.machine()}, {os.cpu_count()} cores)", count=1,
                    torch_threads=torch.get_num_threads())
    return info


def write_atomically(path: str | os.PathLike, write: Callable[[Path], object]) -> Path:
    """``write(temporary)`` to a temporary name in ``path``'s folder, then rename it to ``path``.

    A kill or a full disk in the middle leaves the earlier file (or none), never a half-written one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def _non_finite(value: object, where: str = "") -> list[str]:
    """The keys (``a.b[2]``) of the NaN and infinite numbers inside ``value``."""
    import math

    if isinstance(value, dict):
        return [key for k, v in value.items() for key in _non_finite(v, f"{where}.{k}" if where else str(k))]
    if isinstance(value, (list, tuple)):
        return [key for i, v in enumerate(value) for key in _non_finite(v, f"{where}[{i}]")]
    if isinstance(value, (float, np.floating)) and not math.isfinite(value):
        return [where or "(the value)"]
    return []


def write_json(path: str | os.PathLike, payload: dict) -> Path:
    """Write ``payload`` as indented, strict JSON, atomically (NumPy scalars and arrays become plain numbers and
    lists); a NaN or infinity anywhere in it is a ``ValueError`` (strict JSON has no such numbers)."""
    def plain(value):
        if isinstance(value, np.generic):
            return value.item()
        if isinstance(value, np.ndarray):
            return value.tolist()
        if isinstance(value, Path):
            return str(value)
        raise TypeError(f"not JSON serialisable: {type(value).__name__}")

    try:
        text = json.dumps(payload, indent=2, default=plain, allow_nan=False) + "\n"
    except ValueError:
        raise ValueError(f"{path}: expected finite numbers to write as JSON, got NaN or infinity in "
                         f"{sorted(_non_finite(payload))}") from None

    def write(temporary: Path) -> None:
        with open(temporary, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())

    return write_atomically(path, write)
