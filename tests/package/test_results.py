"""The committed measurements ship inside the package and are read without a network."""

from __future__ import annotations

import pytest

from lmtutorial.results import FOLDER, load_result, result_files


def test_every_committed_result_is_read_from_the_package():
    lengths = load_result("imdb_token_lengths")
    assert lengths["raw_text"]["reviews"] == 25_000
    assert FOLDER.name == "results" and FOLDER.parent.name == "lmtutorial"


def test_an_unknown_result_names_the_ones_there_are():
    with pytest.raises(FileNotFoundError, match="expected one of .*'ch03_full'.*got 'ch3_full'"):
        load_result("ch3_full")


def test_result_files_lists_matches_with_their_names():
    found = result_files("ch03_*full.json")
    assert [f["file"] for f in found] == ["ch03_full.json", "ch03_transformer_full.json"]
    assert result_files("no_such_*.json") == []
