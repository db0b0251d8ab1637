"""lmtutorial.book.resources: where the offline copies are, and which size profile a page runs in."""

from __future__ import annotations

import pytest

from lmtutorial.book.resources import cache_dir, profile, shared_dir, shared_path, sizes_profile


def test_an_explicit_shared_folder_wins(monkeypatch, tmp_path):
    (tmp_path / "data" / "imdb").mkdir(parents=True)
    monkeypatch.setenv("LMTUTORIAL_SHARED", str(tmp_path))
    assert shared_dir() == tmp_path.resolve()
    assert shared_path("data/imdb") == tmp_path.resolve() / "data" / "imdb"
    assert shared_path("models/absent") is None


def test_without_a_shared_folder_there_is_none(monkeypatch, tmp_path):
    monkeypatch.delenv("LMTUTORIAL_SHARED", raising=False)
    monkeypatch.chdir(tmp_path)  # no _toc.yml above: not inside a repository with shared/ beside it
    assert shared_dir() is None
    assert shared_path("data/imdb") is None


@pytest.mark.parametrize("chosen", ["ci", "colab", "full"])
def test_the_profile_can_be_chosen(monkeypatch, chosen):
    monkeypatch.setenv("LMTUTORIAL_PROFILE", chosen)
    assert profile() == chosen


def test_the_default_profile_follows_the_hardware(monkeypatch):
    import torch

    monkeypatch.delenv("LMTUTORIAL_PROFILE", raising=False)
    assert profile() == ("full" if torch.cuda.is_available() else "ci")


def test_in_colab_the_default_profile_is_colab(monkeypatch):
    """Colab's free T4 would start every chapter's full-size run; the colab profile is sized for it (issue 26)."""
    import sys
    import types

    import torch

    monkeypatch.delenv("LMTUTORIAL_PROFILE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert profile() == "full"  # a GPU elsewhere
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    assert profile() == "colab"
    monkeypatch.setenv("LMTUTORIAL_PROFILE", "full")  # one line away
    assert profile() == "full"


def test_an_unknown_profile_is_one_clear_error(monkeypatch):
    monkeypatch.setenv("LMTUTORIAL_PROFILE", "huge")
    with pytest.raises(ValueError, match=r"LMTUTORIAL_PROFILE: expected one of \('ci', 'colab', 'full'\), got 'huge'"):
        profile()


def test_the_sizes_can_differ_from_the_profile_and_follow_it_by_default(monkeypatch):
    """The simulated Colab runs the colab profile's code at the ci profile's sizes on a CPU."""
    monkeypatch.setenv("LMTUTORIAL_PROFILE", "colab")
    monkeypatch.delenv("LMTUTORIAL_SIZES", raising=False)
    assert sizes_profile() == "colab"
    monkeypatch.setenv("LMTUTORIAL_SIZES", "ci")
    assert (profile(), sizes_profile()) == ("colab", "ci")
    monkeypatch.setenv("LMTUTORIAL_SIZES", "tiny")
    with pytest.raises(ValueError, match=r"LMTUTORIAL_SIZES: expected one of \('ci', 'colab', 'full'\), got 'tiny'"):
        sizes_profile()

def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("LMTUTORIAL_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "lmtutorial"
    monkeypatch.setenv("LMTUTORIAL_CACHE", str(tmp_path / "mine"))
    assert cache_dir() == tmp_path / "mine"
