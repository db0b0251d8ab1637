import json
import os

import numpy as np
import pytest

from conftest import REPO
from lmtutorial.provenance import hardware, library_versions, write_json


def test_versions_and_hardware_name_what_ran():
    versions = library_versions()
    assert versions["python"] and versions["torch"] and versions["transformers"] and "datasets" in versions
    info = hardware()
    assert info["device"] in ("cpu", "cuda") and info["name"] and info["world_size"] >= 1


def test_write_json_turns_numpy_into_plain_numbers(tmp_path):
    path = write_json(tmp_path / "deep" / "r.json", {"a": np.float32(0.5), "m": np.eye(2, dtype=np.int64),
                                                      "p": tmp_path})
    assert json.loads(path.read_text()) == {"a": 0.5, "m": [[1, 0], [0, 1]], "p": str(tmp_path)}
    with pytest.raises(TypeError, match="not JSON serialisable: object"):
        write_json(tmp_path / "bad.json", {"x": object()})


def test_a_failed_write_keeps_the_earlier_file(tmp_path, monkeypatch):
    path = write_json(tmp_path / "r.json", {"run": 1})

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        write_json(path, {"run": 2})
    assert json.loads(path.read_text()) == {"run": 1} and [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_write_json_refuses_nan_and_infinity_naming_where(tmp_path):
    path = tmp_path / "results.json"
    with pytest.raises(ValueError, match=r"expected finite numbers to write as JSON, got NaN or infinity in "
                                         r"\['epochs\[1\]\.loss', 'test\.accuracy'\]"):
        write_json(path, {"test": {"accuracy": float("nan")}, "epochs": [{"loss": 1.0}, {"loss": np.float32("inf")}]})
    assert not path.exists()


# Files that write JSON another program owns: transformers' trainer_state.json keeps its own format (a skipped fp16
# step logs an infinite gradient norm); the H200 anchor script is pinned by its hash to the run it made.
NOT_OURS = {"lmtutorial/hf/trainer.py", "bench/gpu_anchor.py"}


def test_every_json_the_project_writes_is_strict():
    """Strict JSON has no NaN or Infinity: every json.dump(s) call in the project says allow_nan=False."""
    import ast

    lax = []
    for folder in ("lmtutorial", "bench", "tools", "_ext"):
        for path in sorted((REPO / folder).rglob("*.py")):
            name = path.relative_to(REPO).as_posix()
            if name in NOT_OURS:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                called = node.func if isinstance(node, ast.Call) else None
                if (isinstance(called, ast.Attribute) and called.attr in ("dump", "dumps")
                        and isinstance(called.value, ast.Name) and called.value.id == "json"):
                    strict = any(k.arg == "allow_nan" and isinstance(k.value, ast.Constant) and k.value.value is False
                                 for k in node.keywords)
                    if not strict:
                        lax.append(f"{name}:{node.lineno}")
    assert not lax, f"json.dump(s) without allow_nan=False: {lax}"
