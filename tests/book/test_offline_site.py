"""_ext/offline_site.py picks the browser mermaid-cli renders diagrams in."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import ext_module
from sphinx.errors import ExtensionError

offline_site = ext_module("offline_site")


def fake_browser(folder: Path, name: str) -> Path:
    path = folder / name
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


def test_chromium_variable_wins_over_puppeteer_and_path(tmp_path, monkeypatch):
    chosen, other = fake_browser(tmp_path, "my-chrome"), fake_browser(tmp_path, "chromium")
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("PUPPETEER_EXECUTABLE_PATH", str(other))
    monkeypatch.setenv("CHROMIUM", str(chosen))
    assert offline_site._chromium() == str(chosen)
    monkeypatch.delenv("CHROMIUM")
    assert offline_site._chromium() == str(other)


def test_a_chromium_variable_that_names_no_browser_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("CHROMIUM", str(tmp_path / "missing"))
    with pytest.raises(ExtensionError, match=r"\$CHROMIUM: expected an executable browser, got '.*missing'"):
        offline_site._chromium()
