"""Measurements the book cites from runs bigger than a build, shipped inside the package as JSON files (each naming
its script, hardware, library versions and date; ``bench/`` scripts write new ones).
"""

from __future__ import annotations

import json
from pathlib import Path

FOLDER = Path(__file__).resolve().parent


def load_result(name: str) -> dict:
    """The committed measurement ``name`` (file ``lmtutorial/results/<name>.json``)."""
    source = FOLDER / f"{name}.json"
    if not source.is_file():
        available = sorted(p.name.removesuffix(".json") for p in FOLDER.glob("*.json"))
        raise FileNotFoundError(f"result: expected one of {available}, got {name!r}")
    return json.loads(source.read_text(encoding="utf-8"))


def result_files(pattern: str) -> list[dict]:
    """Every committed measurement whose file name matches ``pattern``, by name, each with its ``file`` added."""
    found = []
    for path in sorted(FOLDER.glob(pattern)):
        payload = json.loads(path.read_text(encoding="utf-8"))
        payload["file"] = path.name
        found.append(payload)
    return found
