import os

import pandas as pd
import pytest

from conftest import REPO, require_shared
from lmtutorial.data.imdb import (
    IMDbUnavailable,
    balanced_subset,
    imdb_parquet_dir,
    imdb_unavailable_message,
    load_imdb,
)


def write_parquet(folder, rows=6):
    for split in ("train", "test"):
        pd.DataFrame({
            "text": [f"{split} review {i}<br />second line" for i in range(rows)],
            "label": [i % 2 for i in range(rows)],
            "rating": [1] * rows,
        }).to_parquet(folder / f"{split}.parquet")


def test_loads_local_parquet_named_by_argument(tmp_path):
    write_parquet(tmp_path)
    data = load_imdb("test", path=tmp_path)
    assert data.column_names == ["text", "label"]
    assert len(data) == 6 and data[0]["text"].startswith("test review 0")


def test_environment_variable_names_the_folder(tmp_path, monkeypatch):
    write_parquet(tmp_path, rows=4)
    monkeypatch.setenv("LMTUTORIAL_IMDB", str(tmp_path))
    assert imdb_parquet_dir() == tmp_path
    assert len(load_imdb("train")) == 4


def test_folder_without_parquet_files_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="expected train.parquet, test.parquet in it"):
        load_imdb("train", path=tmp_path)


def test_unknown_split():
    with pytest.raises(ValueError, match=r"split: expected one of \('train', 'test'\), got 'unsupervised'"):
        load_imdb("unsupervised")


def test_no_local_copy_and_no_hub_says_how_to_fix(monkeypatch, tmp_path):
    import datasets

    def hub_unreachable(name, **kwargs):
        assert name == "stanfordnlp/imdb"
        raise ConnectionError("Hub unreachable")

    monkeypatch.delenv("LMTUTORIAL_IMDB", raising=False)
    monkeypatch.setenv("LMTUTORIAL_SHARED", str(tmp_path / "nowhere"))
    monkeypatch.setattr(datasets, "load_dataset", hub_unreachable)
    with pytest.raises(IMDbUnavailable) as raised:
        load_imdb("train")
    assert str(raised.value).startswith(imdb_unavailable_message())
    assert str(raised.value).endswith("(the Hub failed: ConnectionError: Hub unreachable)")


def test_balanced_subset(tmp_path):
    write_parquet(tmp_path, rows=20)
    data = load_imdb("train", path=tmp_path)
    subset = balanced_subset(data, 8, seed=3)
    assert len(subset) == 8 and sum(subset["label"]) == 4
    assert subset["text"] == balanced_subset(data, 8, seed=3)["text"]
    with pytest.raises(ValueError, match=r"size: expected 2..20 rows, got 21"):
        balanced_subset(data, 21)


def test_balanced_subset_of_one_class_data_is_an_error(tmp_path):
    import datasets

    one_class = datasets.Dataset.from_dict({"text": ["a", "b", "c", "d"], "label": [0, 0, 0, 1]})
    with pytest.raises(ValueError, match=r"size: expected at most 2 rows for half of each label, got 4: label 1 has "
                                         r"only 1 rows"):
        balanced_subset(one_class, 4)


def test_empty_truncated_and_corrupt_parquet_name_the_file(tmp_path):
    write_parquet(tmp_path)
    empty = pd.DataFrame({"text": pd.Series([], dtype=str), "label": pd.Series([], dtype=int)})
    empty.to_parquet(tmp_path / "train.parquet")
    with pytest.raises(ValueError, match=f"{tmp_path / 'train.parquet'}: expected at least one review, got an empty"):
        load_imdb("train", path=tmp_path)
    whole = (tmp_path / "test.parquet").read_bytes()
    (tmp_path / "test.parquet").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ValueError, match=f"{tmp_path / 'test.parquet'}: expected a parquet file, got one that cannot "
                                         "be read, probably truncated or corrupt"):
        load_imdb("test", path=tmp_path)
    (tmp_path / "test.parquet").write_bytes(b"not a parquet file at all")
    with pytest.raises(ValueError, match="probably truncated or corrupt"):
        load_imdb("test", path=tmp_path)


def test_importing_the_module_does_not_import_datasets():
    import subprocess
    import sys

    code = "import sys, lmtutorial.data.imdb; print('datasets' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.stdout.strip() == "False", done.stderr




def test_real_imdb_matches_the_published_release():
    folder = require_shared("data/imdb")
    train, test = load_imdb("train", path=folder), load_imdb("test", path=folder)
    assert len(train) == len(test) == 25_000
    assert sum(train["label"]) == sum(test["label"]) == 12_500


@pytest.mark.parametrize("ci", [False, True])
def test_a_chapter_without_imdb_is_one_skip_or_one_failure_in_ci(tmp_path, ci):
    """The root conftest's hook on a three-cell notebook whose first cell finds no IMDb."""
    import shutil
    import subprocess
    import sys

    import nbformat

    cells = ["from lmtutorial.data.imdb import require_imdb\nrequire_imdb()", "value = 1", "assert value == 1"]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nbformat.write(notebook, tmp_path / "chapter.ipynb")
    shutil.copy(REPO / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "no-data").mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("LMTUTORIAL_IMDB", "CI")}
    env.update(LMTUTORIAL_SHARED=str(tmp_path / "no-data"), HF_HUB_OFFLINE="1", PYTHONPATH=str(REPO),
               **({"CI": "true"} if ci else {}))
    done = subprocess.run([sys.executable, "-m", "pytest", "chapter.ipynb", "--nbval-lax", "--nbval-current-env",
                           "-p", "no:cacheprovider", "-p", "no:randomly", "-rsf"], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=300)
    summary = done.stdout.strip().splitlines()[-1]
    assert summary.endswith(("1 failed" if ci else "1 skipped") + f" in {summary.split(' in ')[-1]}"), done.stdout
    assert "passed" not in summary and "NameError" not in done.stdout
    assert "IMDbUnavailable: IMDb not found: expected train.parquet and test.parquet" in done.stdout
    assert "(the notebook's other 2 cells were not run)" in done.stdout


def test_ratings_come_with_the_local_copy_and_their_absence_is_one_clear_error(tmp_path, monkeypatch):
    write_parquet(tmp_path)
    assert load_imdb("train", path=tmp_path, ratings=True).column_names == ["text", "label", "rating"]
    bare = tmp_path / "bare"
    bare.mkdir()
    for split in ("train", "test"):
        pd.read_parquet(tmp_path / f"{split}.parquet")[["text", "label"]].to_parquet(bare / f"{split}.parquet")
    with pytest.raises(ValueError, match="expected a 'rating' column"):
        load_imdb("train", path=bare, ratings=True)  # the folder asked for has none: no download


def fake_release(tmp_path):
    """A tiny aclImdb_v1.tar.gz: two labelled reviews per split, plus what the converter must leave out."""
    import io
    import tarfile

    archive = tmp_path / "fake" / "aclImdb_v1.tar.gz"
    archive.parent.mkdir()
    members = {"aclImdb/train/neg/3_2.txt": "bad", "aclImdb/train/pos/4_9.txt": "good",
               "aclImdb/test/neg/5_1.txt": "awful", "aclImdb/test/pos/6_10.txt": "great",
               "aclImdb/train/unsup/7_0.txt": "unlabelled", "aclImdb/imdb.vocab": "the\n"}
    with tarfile.open(archive, "w:gz") as tar:
        for name, text in members.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return archive


@pytest.fixture()
def no_local_ratings(tmp_path, monkeypatch):
    """No local IMDb with ratings, an empty package cache, and the Hub switched off (as CI runs)."""
    monkeypatch.delenv("LMTUTORIAL_IMDB", raising=False)
    monkeypatch.delenv("LMTUTORIAL_ACLIMDB_URL", raising=False)
    monkeypatch.setenv("LMTUTORIAL_SHARED", str(tmp_path / "nowhere"))
    monkeypatch.setenv("LMTUTORIAL_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("HF_DATASETS_OFFLINE", raising=False)
    return tmp_path / "cache" / "imdb-ratings"


def test_ratings_come_from_the_release_downloaded_once_into_the_cache(tmp_path, monkeypatch, no_local_ratings):
    from lmtutorial.data import imdb

    release = fake_release(tmp_path)
    fetched = []

    def download(url, target):
        fetched.append(url)
        target.write_bytes(release.read_bytes())
        return target

    monkeypatch.setattr(imdb, "download", download)
    monkeypatch.delenv("HF_HUB_OFFLINE")  # online: the release's server can be reached
    test = load_imdb("test", ratings=True)
    assert test["text"] == ["awful", "great"] and test["label"] == [0, 1] and test["rating"] == [1, 10]
    assert load_imdb("train", ratings=True)["rating"] == [2, 9]
    assert fetched == [imdb.ACLIMDB_URL]  # once: the second split came from the cache
    assert sorted(p.name for p in no_local_ratings.iterdir()) == ["test.parquet", "train.parquet"]
    assert [p.name for p in no_local_ratings.parent.iterdir()] == ["imdb-ratings"]  # archive and files removed


def test_a_local_copy_without_ratings_gets_them_from_the_release(tmp_path, monkeypatch, no_local_ratings):
    bare = tmp_path / "hub-like"
    bare.mkdir()
    for split in ("train", "test"):
        pd.DataFrame({"text": ["x", "y"], "label": [0, 1]}).to_parquet(bare / f"{split}.parquet")
    monkeypatch.setenv("LMTUTORIAL_IMDB", str(bare))  # the Hub's columns only, as a simulated Colab serves them
    monkeypatch.setenv("LMTUTORIAL_ACLIMDB_URL", fake_release(tmp_path).as_uri())  # a local copy: offline is fine
    assert load_imdb("test", ratings=True)["rating"] == [1, 10]  # the real downloader, from a file:// address
    assert load_imdb("test").column_names == ["text", "label"] and len(load_imdb("test")) == 2


def test_without_ratings_and_without_the_release_is_one_clear_line(monkeypatch, no_local_ratings):
    import urllib.error

    from lmtutorial.data import imdb

    def unreachable(url, target):
        raise urllib.error.URLError("name or service not known")

    with pytest.raises(IMDbUnavailable) as offline:  # HF_HUB_OFFLINE: no attempt to download
        load_imdb("train", ratings=True)
    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.setattr(imdb, "download", unreachable)
    with pytest.raises(IMDbUnavailable) as failed:
        load_imdb("train", ratings=True)
    for raised, reason in ((offline, "offline: HF_HUB_OFFLINE"), (failed, "URLError: name or service not known")):
        message = str(raised.value)
        assert "\n" not in message and message.startswith("IMDb ratings not found: the Hub's 'stanfordnlp/imdb' has")
        assert f"downloaded from {imdb.ACLIMDB_URL} ({reason}" in message
        assert "aclimdb_to_parquet('aclImdb', 'imdb'), then set LMTUTORIAL_IMDB=imdb" in message
    assert not no_local_ratings.exists()


def test_aclimdb_release_converts_with_ratings_from_file_names(tmp_path):
    from lmtutorial.data.imdb import aclimdb_to_parquet

    for split in ("train", "test"):
        for folder, name in (("neg", "12_3.txt"), ("pos", "7_10.txt")):
            (tmp_path / "aclImdb" / split / folder).mkdir(parents=True)
            (tmp_path / "aclImdb" / split / folder / name).write_text(f"{folder} review", encoding="utf-8")
    aclimdb_to_parquet(tmp_path / "aclImdb", tmp_path / "imdb")
    data = load_imdb("test", path=tmp_path / "imdb", ratings=True)
    assert data["rating"] == [3, 10] and data["label"] == [0, 1] and data["text"] == ["neg review", "pos review"]
    with pytest.raises(FileNotFoundError, match="expected review files <id>_<rating>.txt"):
        aclimdb_to_parquet(tmp_path / "nothing", tmp_path / "out")


def test_shared_copy_labels_are_the_rating_threshold():
    folder = require_shared("data/imdb")
    data = load_imdb("test", path=folder, ratings=True).to_pandas()
    assert ((data["rating"] >= 7) == (data["label"] == 1)).all()
