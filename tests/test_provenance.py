import json
import os

import numpy as np
import pytest

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
