"""The pure parts of the simulated Colab run (``tools/colab_check.py``, ``make colab-check``): Colab's pins and their
substitutes, IMDb as the Hub serves it (no ratings), the original release's tarball that the ratings come from, the
install cell made active, the chapters in the order of ``_toc.yml``, and the kernel's environment. No virtual
environment, no kernel: the run itself is ``make colab-check`` (and a short one in ``.ci/run``)."""

from __future__ import annotations

import re
import shlex

import nbformat
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import REPO, tool_module

check = tool_module("colab_check")
import colab.install as install  # noqa: E402 - the package beside tools/colab_check.py, on sys.path now

REVIEWS = {
    "train": {"text": ["Great <br />film.", "Dull.", "Bien sûr, très bon.", "Awful"], "label": [1, 0, 1, 0],
              "review_id": [3, 7, 12, 0], "rating": [9, 2, 7, 1]},
    "test": {"text": ["Fine", "Bad"], "label": [1, 0], "review_id": [1, 2], "rating": [10, 4]},
}


@pytest.fixture
def imdb(tmp_path):
    """A tiny copy of ``shared/data/imdb``: the four columns, with ratings."""
    folder = tmp_path / "imdb"
    folder.mkdir()
    for split, columns in REVIEWS.items():
        pq.write_table(pa.table({"text": pa.array(columns["text"]), "label": pa.array(columns["label"], pa.int64()),
                                 "review_id": pa.array(columns["review_id"], pa.int32()),
                                 "rating": pa.array(columns["rating"], pa.int8())}), folder / f"{split}.parquet")
    return folder


def test_colabs_pins_are_installed_but_for_the_substitutes():
    text = "# header\naccelerate==1.14.0\ntorch==2.11.0\nhuggingface_hub==1.27.0  # a note\n\n"
    assert check.read_pins(text) == {"accelerate": "1.14.0", "torch": "2.11.0", "huggingface-hub": "1.27.0"}
    assert check.requirement_lines(text) == ["accelerate==1.14.0", "torch==2.13.0", "huggingface-hub==1.27.0"]
    freeze = ("torch==2.11.0+cu128\ntorchvision==0.26.0+cu128\nAccelerate==1.14.0\ntraitlets==5.7.1\n"
              "setuptools==75.2.0\n"
              "jupyter_kernel_gateway @ git+https://github.com/googlecolab/kernel_gateway@b134e99\n-e ./local\n")
    lines = check.constraint_lines(text, freeze)
    assert lines == ["accelerate==1.14.0", "torch==2.13.0", "huggingface-hub==1.27.0", "traitlets==5.7.1"]
    assert check.constraint_lines(text, None) == check.requirement_lines(text)


def test_the_committed_pins_give_the_cpu_torch_and_every_other_version_unchanged():
    text = check.CONSTRAINTS.read_text(encoding="utf-8")
    pins = check.read_pins(text)
    required = dict(line.split("==") for line in check.requirement_lines(text))
    assert required.pop("torch") == check.SUBSTITUTES["torch"][0] != pins.pop("torch")
    assert required == pins
    assert {"ipykernel", "ipython", "datasets", "pyarrow", "transformers"} <= set(pins)


def test_the_venv_is_made_again_when_an_input_changes():
    assert check.venv_key("a", "b") == check.venv_key("a", "b")
    assert check.venv_key("a", "b") != check.venv_key("a", "c") != check.venv_key("ab")


def test_imdb_as_the_hub_serves_it_has_no_ratings(imdb, tmp_path):
    hub = check.write_hub_imdb(imdb, tmp_path / "hub")
    for split, columns in REVIEWS.items():
        table = pq.read_table(hub / f"{split}.parquet")
        assert table.column_names == ["text", "label"]
        assert table.to_pydict() == {"text": columns["text"], "label": columns["label"]}


def test_the_tarball_is_the_original_release_that_the_package_reads(imdb, tmp_path):
    """What ``load_imdb(..., ratings=True)`` does with the release (unpack the reviews, convert them) gives back
    every review with its rating; the README and the unlabelled review are there, and skipped."""
    from lmtutorial.data.imdb import REVIEW_FILE, aclimdb_to_parquet, unpack_reviews

    archive = check.write_aclimdb_tarball(imdb, tmp_path / "aclImdb_v1.tar.gz")
    import tarfile

    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert "aclImdb/train/pos/3_9.txt" in names and "aclImdb/test/neg/2_4.txt" in names
    assert {"aclImdb/README", "aclImdb/train/unsup/0_0.txt"} <= set(names)
    assert sum(bool(REVIEW_FILE.fullmatch(name)) for name in names) == 6
    assert not list(tmp_path.glob(".*.part"))
    made = aclimdb_to_parquet(unpack_reviews(archive, tmp_path / "unpacked"), tmp_path / "converted")
    for split, columns in REVIEWS.items():
        got = pq.read_table(made / f"{split}.parquet").to_pylist()
        want = [dict(zip(columns, row)) for row in zip(*columns.values())]
        key = lambda row: (row["label"], row["review_id"])  # noqa: E731
        assert sorted(got, key=key) == sorted(want, key=key)


def test_the_ratings_come_from_the_file_url_even_offline(imdb, tmp_path, monkeypatch):
    """The path chapter 6.5 takes in the simulation: a local copy without ratings, the release at a file:// URL."""
    from lmtutorial.data.imdb import load_imdb

    archive = check.write_aclimdb_tarball(imdb, tmp_path / "aclImdb_v1.tar.gz")
    monkeypatch.setenv("LMTUTORIAL_IMDB", str(check.write_hub_imdb(imdb, tmp_path / "hub")))
    monkeypatch.setenv("LMTUTORIAL_ACLIMDB_URL", archive.as_uri())
    monkeypatch.setenv("LMTUTORIAL_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf"))
    data = load_imdb("test", ratings=True)
    assert data.column_names == ["text", "label", "rating"]
    assert sorted(zip(data["label"], data["rating"])) == [(0, 4), (1, 10)]
    assert (tmp_path / "cache" / "imdb-ratings" / "train.parquet").is_file()


def test_the_install_cell_runs_and_nothing_else_changes():
    original = nbformat.read(REPO / "book" / "ch01_background.ipynb", as_version=4)
    before = nbformat.writes(original)
    ran, index = check.colab_notebook(original)
    assert nbformat.writes(original) == before, "the notebook read must not change"
    first = next(i for i, cell in enumerate(original.cells) if cell.cell_type == "code")
    assert index == first and ran.cells[index].source == install.install_source()
    tags = set(ran.cells[index].metadata.get("tags", []))
    assert not tags & set(check.SKIP_TAGS) and tags == set(install.TAGS) - set(check.SKIP_TAGS)
    ran.cells[index].metadata = original.cells[index].metadata
    assert nbformat.writes(ran) == before


def test_a_notebook_without_the_install_cell_first_is_refused():
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# T"), nbformat.v4.new_code_cell("1")])
    with pytest.raises(ValueError, match="install cell"):
        check.colab_notebook(notebook)
    with pytest.raises(ValueError, match="no code cell"):
        check.colab_notebook(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# T")]))


def test_the_ratings_probe_starts_with_the_install_cell():
    probe = check.ratings_probe()
    ran, index = check.colab_notebook(probe)
    assert index == 0 and "load_imdb(split, ratings=True)" in ran.cells[1].source
    compile(ran.cells[1].source, "probe", "exec")


def test_the_chapters_come_in_the_order_of_the_toc():
    chapters = check.toc_notebooks(REPO / "_toc.yml", REPO / "book")
    names = [path.stem for path in chapters]
    assert names[0] == "ch01_background" and names.index("ch03_1_transformer") == names.index("ch03_algorithms") + 1
    assert all(name.startswith("ch") for name in names) and len(set(names)) == len(names)
    assert {path.stem for path in (REPO / "book").glob("ch*.ipynb")} <= set(names)
    assert check.select_notebooks(chapters, []) == chapters
    picked = check.select_notebooks(chapters, ["ch06_2_translation", "book/ch05_bert_project.ipynb"])
    assert [path.stem for path in picked] == ["ch06_2_translation", "ch05_bert_project"]
    with pytest.raises(ValueError, match="ch99_nothing"):
        check.select_notebooks(chapters, ["ch99_nothing"])


def test_the_kernel_gets_the_simulated_runtime_and_nothing_of_this_machines_python(tmp_path):
    outer = {"PATH": "/project/.venv/bin:/usr/bin", "VIRTUAL_ENV": "/project/.venv", "PYTHONPATH": "/project",
             "LMTUTORIAL_SHARED": "/shared", "LMTUTORIAL_PROFILE": "full", "HF_HOME": "/hf", "CI": "true",
             "PYTHONDONTWRITEBYTECODE": "1", "PIP_CONSTRAINT": "/c.txt", "HOME": "/root"}
    env = check.kernel_environment(outer, venv=tmp_path / "venv",
                                   settings={"LMTUTORIAL_PROFILE": "ci", "PYTHONPATH": "/stub"})
    assert env == {"PATH": f"{tmp_path / 'venv' / 'bin'}:/usr/bin", "HOME": "/root", "LMTUTORIAL_PROFILE": "ci",
                   "PYTHONPATH": "/stub"}


def test_version_changes_name_what_pip_added_and_changed():
    added, changed = check.version_changes({"numpy": "2.1.3", "torch": "2.13.0"},
                                           {"numpy": "2.3.0", "torch": "2.13.0", "sacrebleu": "2.6.0"})
    assert added == {"sacrebleu": "2.6.0"} and changed == {"numpy": "2.1.3 -> 2.3.0"}
    assert check.version_changes({"a": "1"}, {}) == ({}, {"a": "1 -> none"})


def test_ci_runs_the_simulated_colab_on_chapter_5_or_6_1_and_one_more():
    """Issue 26: CI runs the simulation on at least two chapters, one of them chapter 5 or 6.1; the make target runs
    them all."""
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    line = next(line for line in ci.splitlines() if "colab-check" in line and line.lstrip().startswith("make"))
    chapters = re.search(r'COLAB="([^"]*)"', line).group(1).split()
    assert len(chapters) >= 2 and {"ch05_bert_project", "ch06_1_classification"} & set(chapters), line
    check.select_notebooks(check.toc_notebooks(REPO / "_toc.yml", REPO / "book"), chapters)
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\ncolab-check:", 1)[1].split("\n\n", 1)[0]
    assert "tools/colab_check.py" in recipe and "$(COLAB)" in recipe
    assert shlex.split(line)[0] == "make"


def test_pip_check_fails_only_on_what_the_install_cell_broke():
    fresh = "No broken requirements found."
    assert check.new_pip_problems(fresh, fresh) == []
    broken = "sacrebleu 2.6.0 has requirement lxml>=5, but you have lxml 4.9.4."
    assert check.new_pip_problems(fresh, broken) == [broken]
    colabs_own = "ipython 7.34.0 requires jedi, which is not installed."
    assert check.new_pip_problems(colabs_own, f"{colabs_own}\n{broken}") == [broken]
