"""A simulated Colab: the generated chapter notebooks, run top to bottom as Colab runs them (issue 26).

``python tools/colab_check.py`` (what ``make colab-check`` runs) executes every chapter notebook ``book/ch*.ipynb``
in the order of ``_toc.yml``; ``python tools/colab_check.py ch06_1_classification ch06_2_translation`` runs those
(``.ci/run`` runs a short check this way). A notebook that ``_toc.yml`` lists but that does not exist yet is skipped
with a line that says so. Exit status 1 if any notebook fails.

What it simulates, and how:

- **Colab's runtime.** A fresh virtual environment that is not the project's (``_build/colab-venv``; reused while
  its inputs are unchanged, so that local reruns are fast; ``make clean``, and so CI, starts from none) gets Colab's
  own versions: every pin of ``tools/colab/constraints.txt`` (Colab's published ``pip-freeze.gpu.txt``) installed,
  with pip's ``-c`` so that pip cannot pick other versions, and Colab's full published list
  (``<shared>/colab/pip-freeze.gpu.txt``, when there) as constraints on whatever else pip brings in, the kernel's
  own packages (ipykernel 6.17, IPython 7.34, jupyter_client, tornado, pyzmq...) among them. What gets installed is
  printed and stored in ``_build/colab-check/report.json``.
- **A stub ``google.colab``**, a package on the kernel's ``PYTHONPATH``, imported before the notebook runs (an
  IPython startup file of a temporary ``IPYTHONDIR``), as it is in Colab: the install cell's Colab-only branch runs.
- **The install cell, active.** The notebook's first code cell loses its ``skip-execution``/``nbval-skip`` tags in
  the copy that runs (the file is not changed; all else runs as it is). ``LMTUTORIAL_INSTALL`` (the override the
  cell reads) names a copy of this working tree with the ``colab`` extra, so pip builds and installs the package as
  it would from GitHub. After the cell: which packages pip added, whether it changed any version Colab ships (a
  failure: Colab would need a restart), whether the cell restarted the runtime (a failure), and ``pip check``
  (problems are a failure). Before the next notebook the environment is put back as it was (a fresh runtime).
- **The Hub, served from ``../shared``.** IMDb as the Hub serves it: a copy of ``data/imdb`` without its ``rating``
  column (``LMTUTORIAL_IMDB``); the star ratings from the original release, a ``file://`` tarball in its
  ``aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt`` layout built from ``data/imdb``
  (``LMTUTORIAL_ACLIMDB_URL``), so that ``load_imdb(..., ratings=True)`` really downloads and converts it; the
  models from ``models/`` of a temporary folder that holds only a link to ``<shared>/models``
  (``LMTUTORIAL_SHARED``). ``HF_HUB_OFFLINE``, ``HF_DATASETS_OFFLINE`` and ``TRANSFORMERS_OFFLINE`` are set; the
  Hugging Face and lmtutorial caches start empty for each notebook (temporary folders), as in a new runtime. The
  kernel's working folder is an empty temporary folder, as ``/content`` is: nothing of the repository is importable
  from there.
- **nbclient** executes the generated ``.ipynb`` in a kernel of that environment, with no cell timeout beyond
  ``--timeout``, and reports each notebook: passed or failed, seconds, and for a failure the cell and the error.
  The executed notebooks are kept in ``_build/colab-check/``.

Substitutions (each is printed when the check runs):

- **torch**: Colab has 2.11.0+cu128, a CUDA build of several GB; the simulation installs the CPU build of
  ``torch==2.13.0`` (which pip takes from this machine's disk in seconds), and runs on the CPU.
- **Python**: the interpreter that runs this script (3.11 here, where that torch file is), for Colab's 3.13.
- **The sizes**: the profile is ``colab``, as in Colab (the stub ``google.colab`` is imported at start), so each page
  takes the ``colab`` profile's code path; ``LMTUTORIAL_SIZES=ci`` runs it at the ``ci`` profile's sizes, which a
  CPU finishes (the ``colab`` sizes are for a T4).
- **setuptools**: Colab's 75.2.0 is not kept; torch 2.13.0 needs setuptools>=77.0.3 (pip picks the version).
- **gguf** (PyPI, ``gguf>=0.19``) is installed beside Colab's packages: in Colab chapters 6.1 and 6.4 take
  SmolLM2 from the Hub as safetensors; here they take the offline GGUF copy of ``../shared``, which transformers
  reads with gguf. Colab neither ships nor needs it.
- The Hub itself (above): files of ``../shared`` in the Hub's shape, not downloads.

``--ratings-probe`` adds a small notebook (the install cell, then ``load_imdb(split, ratings=True)`` for both
splits, checked) that tests chapter 6.5's ratings download without running chapter 6.5. Options: ``--help``.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

TOOLS = Path(__file__).resolve().parent
if str(TOOLS) not in sys.path:  # imported by path (the tests): the package ``colab`` lies beside this file
    sys.path.insert(0, str(TOOLS))

from colab import install  # noqa: E402

REPO = TOOLS.parent
CONSTRAINTS = TOOLS / "colab" / "constraints.txt"
VENV = REPO / "_build" / "colab-venv"
OUT = REPO / "_build" / "colab-check"
SPLITS = ("train", "test")
SKIP_TAGS = ("skip-execution", "nbval-skip")  # what keeps the local build and nbval from running the install cell
SIZES = "ci"  # the colab profile's code at the ci profile's sizes (LMTUTORIAL_SIZES)
KERNEL = "colab-sim"
STAMP = ".colab-check.json"  # in the venv: what it was made from (its key) and what it holds
VERSION = 1  # of the way the venv is made: part of its key
# Colab's versions that the simulation replaces: name -> (the version installed instead, why).
SUBSTITUTES = {
    "torch": ("2.13.0", "Colab's 2.11.0+cu128 is a CUDA build of several GB; the CPU build of 2.13.0 lies on this "
                        "machine's disk (pip takes it in seconds); the check runs on the CPU"),
}
# Colab's versions that pip may not keep because a substitute needs another: name -> why (Colab's published list
# pins them too; here they are left to pip).
LOOSENED = {
    "setuptools": "Colab's 75.2.0 is left to pip: the substitute torch 2.13.0 needs setuptools>=77.0.3",
}
# What the simulation installs beside Colab's packages, and why.
EXTRAS = {
    "gguf>=0.19": "the Hub's SmolLM2 (safetensors, in Colab) is served by the offline GGUF copy of ../shared, which "
                  "transformers reads with gguf (chapters 6.1, 6.4); Colab neither ships nor needs it",
}
PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([^\s;#]+)")
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def canonical(name: str) -> str:
    """A distribution name as pip compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


# ---------------------------------------------------------------------------------------------------------------------
# Pure parts (tests/book/test_colab_check.py)


def read_pins(text: str) -> dict[str, str]:
    """``name==version`` lines of a constraints or ``pip freeze`` file: canonical name -> version (comments, URLs,
    editables and other lines are left out)."""
    pins = {}
    for line in text.splitlines():
        match = PIN.match(line)
        if match and not line.lstrip().startswith("#"):
            pins[canonical(match.group(1))] = match.group(2)
    return pins


def requirement_lines(constraints_text: str, substitutes: dict[str, tuple[str, str]] = SUBSTITUTES) -> list[str]:
    """What the simulated runtime installs: every pin of ``constraints.txt``, with the substitutes' versions."""
    pins = read_pins(constraints_text)
    return [f"{name}=={substitutes[name][0] if name in substitutes else version}" for name, version in pins.items()]


def constraint_lines(constraints_text: str, freeze_text: str | None,
                     substitutes: dict[str, tuple[str, str]] = SUBSTITUTES,
                     loosened: dict[str, str] = LOOSENED) -> list[str]:
    """pip's ``-c`` lines: the pins of ``constraints.txt`` (with the substitutes' versions), then every other pin of
    Colab's published list, but for builds that PyPI does not have (a local label such as ``+cu128``) and for what a
    substitute needs newer (``loosened``)."""
    lines = requirement_lines(constraints_text, substitutes)
    taken = {canonical(line.split("==")[0]) for line in lines} | set(substitutes) | set(loosened)
    for name, version in read_pins(freeze_text or "").items():
        if name not in taken and "+" not in version:
            lines.append(f"{name}=={version}")
    return lines


def venv_key(*parts: str) -> str:
    """What the cached venv was made from, as one hash: made again when any part changes."""
    digest = hashlib.sha256()
    for part in (str(VERSION), *parts):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def write_hub_imdb(source: Path, target: Path) -> Path:
    """``train.parquet`` and ``test.parquet`` of ``source`` as the Hub serves them: only ``text`` and ``label``
    (``stanfordnlp/imdb`` has no ``rating``, no ``review_id``); return ``target``."""
    import pyarrow.parquet as pq

    target.mkdir(parents=True, exist_ok=True)
    for split in SPLITS:
        table = pq.read_table(source / f"{split}.parquet", columns=["text", "label"])
        pq.write_table(table, target / f"{split}.parquet")
    return target


def write_aclimdb_tarball(source: Path, archive: Path, compresslevel: int = 1) -> Path:
    """The original release's layout, ``aclImdb/{train,test}/{pos,neg}/<review_id>_<rating>.txt`` (UTF-8, the review
    as it is), made from ``source``'s parquet files with ratings, as a ``.tar.gz`` at ``archive``; plus a README and
    one unlabelled review, which the release also has and a reader must skip. Written whole or not at all."""
    import pyarrow.parquet as pq

    def add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = len(data), 1303934400, 0o644  # the release's date, 2011
        tar.addfile(info, io.BytesIO(data))

    archive.parent.mkdir(parents=True, exist_ok=True)
    partial = archive.with_name(f".{archive.name}.{os.getpid()}.part")
    try:
        with tarfile.open(partial, "w:gz", compresslevel=compresslevel) as tar:
            add(tar, "aclImdb/README", b"Large Movie Review Dataset v1.0 (simulated from data/imdb)\n")
            for split in SPLITS:
                columns = pq.read_table(source / f"{split}.parquet",
                                        columns=["text", "label", "review_id", "rating"]).to_pydict()
                if not columns["text"]:
                    raise ValueError(f"{source / f'{split}.parquet'}: expected reviews, got none")
                for text, label, review_id, rating in zip(columns["text"], columns["label"], columns["review_id"],
                                                          columns["rating"]):
                    folder = "pos" if label == 1 else "neg"
                    add(tar, f"aclImdb/{split}/{folder}/{review_id}_{rating}.txt", text.encode("utf-8"))
            add(tar, "aclImdb/train/unsup/0_0.txt", b"An unlabelled review, which the ratings do not use.")
        partial.replace(archive)
    finally:
        partial.unlink(missing_ok=True)
    return archive


def is_install_cell(cell) -> bool:  # noqa: ANN001 - an nbformat cell
    return cell.cell_type == "code" and install.is_install_block(cell.source)


def colab_notebook(notebook):  # noqa: ANN001, ANN201 - nbformat NotebookNode in and out
    """``(copy, index)``: a copy of ``notebook`` whose install cell (its first code cell, at ``index``) runs, as in
    Colab, which ignores tags: the cell loses :data:`SKIP_TAGS`; nothing else changes. ``ValueError`` when the first
    code cell is not the install cell."""
    ran = copy.deepcopy(notebook)
    index = next((i for i, cell in enumerate(ran.cells) if cell.cell_type == "code"), None)
    if index is None or not is_install_cell(ran.cells[index]):
        raise ValueError("expected the install cell (tools/colab/install.py) as the first code cell, got "
                         f"{'no code cell' if index is None else repr(ran.cells[index].source[:60])}")
    cell = ran.cells[index]
    tags = [tag for tag in cell.metadata.get("tags", []) if tag not in SKIP_TAGS]
    if tags:
        cell.metadata["tags"] = tags
    else:
        cell.metadata.pop("tags", None)
    return ran, index


def toc_notebooks(toc: Path, book: Path) -> list[Path]:
    """The chapter notebooks ``book/ch*.ipynb`` in the order of ``_toc.yml`` (existing or not)."""
    import yaml

    files: list[str] = []

    def walk(node) -> None:  # noqa: ANN001 - the YAML tree
        if isinstance(node, dict):
            if isinstance(node.get("file"), str):
                files.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(yaml.safe_load(toc.read_text(encoding="utf-8")))
    names = [Path(file).with_suffix("").name for file in files]
    return [book / f"{name}.ipynb" for name in names if name.startswith("ch")]


def select_notebooks(chapters: list[Path], wanted: list[str]) -> list[Path]:
    """The chapters named in ``wanted`` (``ch06_1_classification``, ``book/ch06_1_classification.ipynb``...), in the
    order given; all of them when ``wanted`` is empty. ``ValueError`` for a name that is no chapter."""
    if not wanted:
        return list(chapters)
    by_name = {path.stem: path for path in chapters}
    picked, unknown = [], []
    for name in wanted:
        stem = Path(name).name.removesuffix(".ipynb").removesuffix(".md")
        if stem in by_name:
            picked.append(by_name[stem])
        else:
            unknown.append(name)
    if unknown:
        raise ValueError(f"not chapters of _toc.yml: {unknown}; expected some of {sorted(by_name)}")
    return picked


def kernel_environment(environ: dict[str, str], *, venv: Path, settings: dict[str, str]) -> dict[str, str]:
    """The simulated runtime's environment: ``environ`` without what ties it to this machine's Python set-up (a
    virtual environment, ``PYTHONPATH``, pip constraints, the project's own ``LMTUTORIAL_*`` settings, the
    matplotlib backend, no-bytecode), the venv's ``bin`` first on ``PATH``, then ``settings``."""
    dropped = {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONDONTWRITEBYTECODE", "PIP_CONSTRAINT", "MPLBACKEND",
               "JUPYTER_PATH", "IPYTHONDIR", "CONDA_PREFIX", "CI"}
    env = {key: value for key, value in environ.items()
           if key not in dropped and not key.startswith(("LMTUTORIAL_", "HF_", "TRANSFORMERS_"))}
    outer = environ.get("VIRTUAL_ENV")
    path = [entry for entry in environ.get("PATH", "").split(os.pathsep)
            if entry and not (outer and entry == str(Path(outer) / "bin"))]
    env["PATH"] = os.pathsep.join([str(venv / "bin"), *path])
    env.update(settings)
    return env


def version_changes(before: dict[str, str], after: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """``(added, changed)``: what is in ``after`` and not ``before`` (name -> version), and what changed version
    (name -> ``"old -> new"``; removed: ``"old -> none"``)."""
    added = {name: version for name, version in after.items() if name not in before}
    changed = {name: f"{old} -> {after.get(name, 'none')}" for name, old in before.items() if after.get(name) != old}
    return added, changed


def new_pip_problems(before: str, after: str) -> list[str]:
    """The lines of ``pip check``'s report ``after`` that its report ``before`` (the fresh runtime's) did not have."""
    clean = "No broken requirements found."
    known = set(before.splitlines())
    return [line for line in after.splitlines() if line.strip() and line.strip() != clean and line not in known]


def one_line(text: str, limit: int = 300) -> str:
    line = " ".join(ANSI.sub("", text).split())
    return line if len(line) <= limit else line[:limit - 3] + "..."


# ---------------------------------------------------------------------------------------------------------------------
# The simulated runtime


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:  # noqa: ANN003
    return subprocess.run(command, check=False, text=True, capture_output=True, **kwargs)


def pip(venv: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return run([str(venv / "bin" / "python"), "-m", "pip", *args], env=env)


def installed(venv: Path) -> dict[str, str]:
    """What the venv holds: canonical name -> version."""
    done = pip(venv, "list", "--format=json", "--disable-pip-version-check")
    if done.returncode:
        raise RuntimeError(f"pip list failed in {venv}: {done.stderr.strip()}")
    return {canonical(item["name"]): item["version"] for item in json.loads(done.stdout)}


@dataclass
class Runtime:
    venv: Path
    base: dict[str, str]  # what a fresh runtime holds
    made: bool  # made in this run (else reused)
    seconds: float
    pip_check: str
    python: str  # the venv's Python version


def make_runtime(venv: Path, python: str, constraints_text: str, freeze_text: str | None, work: Path,
                 fresh: bool = False) -> Runtime:
    """The venv of a fresh Colab runtime, made (or reused when made from the same inputs) at ``venv``."""
    start = time.monotonic()
    requirements = [*requirement_lines(constraints_text), *EXTRAS]
    constraints = constraint_lines(constraints_text, freeze_text)
    colab_pip = read_pins(freeze_text or "").get("pip")
    key = venv_key(str(Path(python).resolve()), constraints_text, freeze_text or "", *EXTRAS)
    stamp = venv / STAMP
    if not fresh and stamp.is_file():
        saved = json.loads(stamp.read_text(encoding="utf-8"))
        if saved.get("key") == key and (venv / "bin" / "python").exists():
            base = saved["installed"]
            reset(venv, base)
            return Runtime(venv, base, False, time.monotonic() - start, saved.get("pip_check", ""),
                           saved.get("python", "?"))
    shutil.rmtree(venv, ignore_errors=True)
    venv.parent.mkdir(parents=True, exist_ok=True)
    done = run([python, "-m", "venv", str(venv)])
    if done.returncode:
        raise RuntimeError(f"{python} -m venv {venv} failed: {done.stderr.strip()}")
    (work / "requirements.txt").write_text("\n".join(requirements) + "\n", encoding="utf-8")
    (work / "constraints.txt").write_text("\n".join(constraints) + "\n", encoding="utf-8")
    steps = [["pip==" + colab_pip]] if colab_pip else []  # Colab's pip runs the install cell's %pip
    steps.append(["-r", str(work / "requirements.txt")])
    for step in steps:
        done = pip(venv, "install", "--quiet", "--no-compile", "-c", str(work / "constraints.txt"), *step)
        if done.returncode:
            raise RuntimeError(f"installing Colab's versions failed (pip install {' '.join(step)}):\n"
                               f"{done.stdout[-3000:]}{done.stderr[-3000:]}")
    base = installed(venv)
    check = pip(venv, "check")
    pip_check = (check.stdout + check.stderr).strip()
    version = run([str(venv / "bin" / "python"), "-c", "import platform; print(platform.python_version())"])
    python_version = version.stdout.strip()
    stamp.write_text(json.dumps({"key": key, "installed": base, "pip_check": pip_check, "python": python_version},
                                indent=1, allow_nan=False), encoding="utf-8")
    return Runtime(venv, base, True, time.monotonic() - start, pip_check, python_version)


def reset(venv: Path, base: dict[str, str]) -> list[str]:
    """Put the venv back to ``base`` (a fresh runtime): uninstall what was added, reinstall what changed; return
    what was done."""
    added, changed = version_changes(base, installed(venv))
    done = []
    if added:
        pip(venv, "uninstall", "--yes", "--quiet", *added)
        done.append(f"removed {', '.join(sorted(added))}")
    if changed:
        pins = [f"{name}=={base[name]}" for name in changed]
        pip(venv, "install", "--quiet", "--no-compile", "--no-deps", *pins)
        done.append(f"restored {', '.join(pins)}")
    return done


def copy_tree(target: Path) -> Path:
    """The working tree's package, as pip would clone it: pyproject.toml, README.md, LICENSE, lmtutorial/."""
    target.mkdir(parents=True)
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(REPO / name, target / name)
    shutil.copytree(REPO / "lmtutorial", target / "lmtutorial",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info"))
    return target


def write_stub(folder: Path) -> Path:
    """A ``google.colab`` package (``google`` a namespace package, so other ``google.*`` packages still import)."""
    package = folder / "google" / "colab"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(
        '"""Stub of Colab\'s google.colab (tools/colab_check.py): being imported is all the book asks of it."""\n\n'
        "SIMULATED = True\n", encoding="utf-8")
    return folder


def write_kernel(folder: Path, venv: Path) -> Path:
    """A kernelspec that starts the venv's Python; return the folder of kernelspecs."""
    spec = folder / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [str(venv / "bin" / "python"), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (simulated Colab)", "language": "python"}, indent=1, allow_nan=False),
        encoding="utf-8")
    return folder


@dataclass
class Result:
    name: str
    passed: bool = False
    seconds: float = 0.0
    install_seconds: float = 0.0
    added: dict[str, str] = field(default_factory=dict)
    changed: dict[str, str] = field(default_factory=dict)
    pip_check: str = ""
    error: str = ""
    cell: int | None = None
    source: str = ""
    traceback: str = ""


class InstallCellFailed(RuntimeError):
    """The install cell ran, but not as it must in Colab."""


def run_notebook(path: Path | None, notebook, runtime: Runtime, env: dict[str, str], *,  # noqa: ANN001, PLR0913
                 kernels: Path, cwd: Path, timeout: int, keep: Path | None) -> Result:
    """Execute ``notebook`` (the generated file, or a made one) with its install cell active; then reset the venv."""
    import nbformat
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    name = path.stem if path is not None else notebook.metadata.get("lmtutorial_check", "notebook")
    result = Result(name)
    ran, install_index = colab_notebook(notebook)
    current = {"index": None, "install_start": 0.0}

    def on_start(cell, cell_index: int) -> None:  # noqa: ANN001
        current["index"] = cell_index
        if cell_index == install_index:
            current["install_start"] = time.monotonic()

    def on_executed(cell, cell_index: int, execute_reply) -> None:  # noqa: ANN001
        if cell_index != install_index or execute_reply.get("content", {}).get("status") == "error":
            return  # an error in the cell itself is nbclient's to report
        result.install_seconds = time.monotonic() - current["install_start"]
        text = "".join(output.get("text", "") for output in cell.outputs if output.output_type == "stream")
        result.added, result.changed = version_changes(runtime.base, installed(runtime.venv))
        check = pip(runtime.venv, "check")
        result.pip_check = (check.stdout + check.stderr).strip()
        problems = []
        if "lmtutorial" not in result.added:
            problems.append(f"the install cell did not install lmtutorial (did its Colab branch run?): "
                            f"{one_line(text) or 'it printed nothing'}")
        if result.changed:
            problems.append(f"pip changed what Colab ships: {result.changed}")
        if "restarting" in text:
            problems.append(f"the install cell restarted the runtime: {one_line(text)}")
        broken = new_pip_problems(runtime.pip_check, result.pip_check)
        if broken:
            problems.append(f"pip check: {one_line(' | '.join(broken))}")
        if problems:
            raise InstallCellFailed("; ".join(problems))

    start = time.monotonic()
    manager = AsyncKernelManager(kernel_name=KERNEL, kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernels)]))
    client = NotebookClient(ran, km=manager, kernel_name=KERNEL, timeout=timeout, allow_errors=False,
                            resources={"metadata": {"path": str(cwd)}}, on_cell_start=on_start,
                            on_cell_executed=on_executed)
    try:
        client.execute(env=env, cwd=str(cwd), cleanup_kc=True)  # shut the kernel down (it is not nbclient's km)
        result.passed = True
    except CellExecutionError as error:
        result.error = f"{error.ename}: {one_line(error.evalue)}"
        result.traceback = ANSI.sub("", error.traceback or "")[-3000:]
    except (InstallCellFailed, CellTimeoutError, DeadKernelError) as error:
        result.error = f"{type(error).__name__}: {one_line(str(error), 2000)}"
    except Exception as error:  # noqa: BLE001 - the kernel did not start, a hook failed...: reported, the next runs
        result.error = f"{type(error).__name__}: {one_line(str(error), 2000)}"
    result.seconds = time.monotonic() - start
    if not result.passed and current["index"] is not None:
        result.cell = current["index"]
        result.source = one_line(ran.cells[current["index"]].source, 160)
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        nbformat.write(ran, keep / f"{name}.ipynb")
    reset(runtime.venv, runtime.base)
    return result


def ratings_probe():  # noqa: ANN201 - an nbformat NotebookNode
    """A notebook that tests chapter 6.5's path to the ratings: the Hub's copy has none, so ``load_imdb(split,
    ratings=True)`` downloads the release (here: the ``file://`` tarball), converts it, and gives every review its
    rating (1-4 negative, 7-10 positive, as the release defines them)."""
    import nbformat

    check = '''\
import pyarrow.compute as pc

from lmtutorial.data.imdb import has_ratings, imdb_parquet_dir, load_imdb
from lmtutorial.llm.model import cache_dir

hub_copy = imdb_parquet_dir()
assert hub_copy is not None and not has_ratings(hub_copy / "train.parquet"), "expected the Hub's copy: no ratings"
for split in ("train", "test"):
    data = load_imdb(split, ratings=True)
    assert data.column_names == ["text", "label", "rating"], data.column_names
    table = data.with_format("arrow")[:]
    positive = pc.equal(table["label"], 1)
    stars = pc.min_max(table["rating"]).as_py()
    assert 1 <= stars["min"] and stars["max"] <= 10, stars
    assert pc.all(pc.equal(positive, pc.greater_equal(table["rating"], 7))).as_py(), "a rating disagrees with its label"
    print(f"{split}: {len(data):,} reviews with ratings {stars['min']}-{stars['max']}")
assert (cache_dir() / "imdb-ratings" / "train.parquet").is_file(), "expected the ratings converted into the cache"
print("ratings downloaded from", __import__("os").environ["LMTUTORIAL_ACLIMDB_URL"])'''
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["lmtutorial_check"] = "ratings_probe"
    notebook.cells = [nbformat.v4.new_code_cell(install.install_source(), metadata={"tags": list(install.TAGS)}),
                      nbformat.v4.new_code_cell(check)]
    return notebook


# ---------------------------------------------------------------------------------------------------------------------
# The command


def say(text: str = "") -> None:
    print(text, flush=True)


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("chapters", nargs="*", help="chapters to run (e.g. ch06_1_classification); default: all")
    default_shared = os.environ.get("LMTUTORIAL_SHARED") or str(REPO.parent / "shared")
    parser.add_argument("--shared", type=Path, default=Path(default_shared),
                        help="the offline resources (data/imdb, models/, colab/); default: $LMTUTORIAL_SHARED or "
                             "../shared")
    parser.add_argument("--venv", type=Path, default=VENV, help=f"the simulated runtime's venv (default: {VENV})")
    parser.add_argument("--fresh", action="store_true", help="make the venv again even if its inputs are unchanged")
    parser.add_argument("--python", default=sys.executable, help="the interpreter the venv is made from")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds a cell may run (default 3600)")
    parser.add_argument("--ratings-probe", action="store_true",
                        help="also run a small notebook that tests chapter 6.5's ratings download")
    parser.add_argument("--out", type=Path, default=OUT, help=f"executed notebooks and report.json (default: {OUT})")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:  # noqa: PLR0915 - one run, step by step
    import nbformat

    args = arguments(argv)
    started = time.monotonic()
    shared = args.shared.expanduser().resolve()
    for needed in ("data/imdb/train.parquet", "data/imdb/test.parquet", "models"):
        if not (shared / needed).exists():
            say(f"colab-check: expected {shared / needed} (the offline copies; --shared or LMTUTORIAL_SHARED)")
            return 2
    chapters = toc_notebooks(REPO / "_toc.yml", REPO / "book")
    try:
        chosen = select_notebooks(chapters, args.chapters)
    except ValueError as error:
        say(f"colab-check: {error}")
        return 2
    freeze_file = shared / "colab" / "pip-freeze.gpu.txt"
    freeze_text = freeze_file.read_text(encoding="utf-8") if freeze_file.is_file() else None
    constraints_text = CONSTRAINTS.read_text(encoding="utf-8")
    colab_pins = read_pins(constraints_text)

    say("Simulated Colab (tools/colab_check.py). Substitutions:")
    for name, (version, why) in SUBSTITUTES.items():
        say(f"  {name}=={version} for Colab's {read_pins(freeze_text or '').get(name, colab_pins.get(name))}: {why}")
    say(f"  the Python of {args.python} for Colab's 3.13 (the venv's version is printed below)")
    for name, why in LOOSENED.items():
        say(f"  {name}: {why}")
    for requirement, why in EXTRAS.items():
        say(f"  {requirement} added: {why}")
    say(f"  LMTUTORIAL_SIZES={SIZES}: the colab profile's code at the {SIZES} profile's sizes, on this CPU")
    say(f"  the Hub: IMDb without ratings, the ratings as a file:// aclImdb tarball, the models, from {shared}")
    if freeze_text is None:
        say(f"  (no {freeze_file}: only the pins of {CONSTRAINTS.relative_to(REPO)} constrain pip)")

    with tempfile.TemporaryDirectory(prefix="colab-check-") as temporary:
        work = Path(temporary)
        say(f"\nRuntime: {args.venv}")
        runtime = make_runtime(args.venv, args.python, constraints_text, freeze_text, work, fresh=args.fresh)
        how = "made" if runtime.made else "reused (its inputs are unchanged; --fresh makes it again)"
        say(f"  Python {runtime.python}, {how} in {runtime.seconds:.0f} s; Colab's pins as installed:")
        wrong = []
        for name, version in colab_pins.items():
            got = runtime.base.get(name, "missing")
            expected = SUBSTITUTES[name][0] if name in SUBSTITUTES else version
            mark = "" if got.split("+")[0] == expected else "   <- NOT Colab's"
            if mark:
                wrong.append(name)
            note = f" (substituted for {version})" if name in SUBSTITUTES else ""
            say(f"    {name}=={got}{note}{mark}")
        for name in LOOSENED:
            say(f"    {name}=={runtime.base.get(name, 'missing')} (loosened)")
        if runtime.pip_check:
            say(f"  pip check of the fresh runtime: {runtime.pip_check}")

        start = time.monotonic()
        data = work / "hub"
        imdb = write_hub_imdb(shared / "data" / "imdb", data / "imdb")
        tarball = args.out / "aclImdb_v1.tar.gz"  # kept: made again only when data/imdb changes
        source_key = venv_key(*(f"{p.stat().st_size}-{p.stat().st_mtime_ns}"
                                for p in sorted((shared / "data" / "imdb").glob("*.parquet"))))
        key_file = tarball.with_suffix(".key")
        if not (tarball.is_file() and key_file.is_file() and key_file.read_text() == source_key):
            write_aclimdb_tarball(shared / "data" / "imdb", tarball)
            key_file.write_text(source_key)
        models_only = data / "shared"
        models_only.mkdir()
        (models_only / "models").symlink_to(shared / "models", target_is_directory=True)
        content = work / "content"  # the kernel's working folder, as /content in Colab
        content.mkdir()
        tree = copy_tree(work / "lmtutorial")
        stub = write_stub(work / "stub")
        startup = work / "ipython" / "profile_default" / "startup"
        startup.mkdir(parents=True)
        (startup / "00-google-colab.py").write_text("import google.colab  # as in Colab: imported at start\n")
        kernels = write_kernel(work / "kernels", runtime.venv)
        settings = {
            install.OVERRIDE: f"{tree}[{install.EXTRA}]",
            "LMTUTORIAL_IMDB": str(imdb),
            "LMTUTORIAL_ACLIMDB_URL": tarball.resolve().as_uri(),
            "LMTUTORIAL_SHARED": str(models_only),
            "LMTUTORIAL_SIZES": SIZES,
            "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
            "PYTHONPATH": str(stub),
            "IPYTHONDIR": str(work / "ipython"),
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",  # ipykernel 6.17's debugger, on a Python with frozen modules
        }
        env = kernel_environment(dict(os.environ), venv=runtime.venv, settings=settings)
        say(f"  the Hub's files ready in {time.monotonic() - start:.0f} s")
        say(f"  {install.OVERRIDE}={settings[install.OVERRIDE]}")

        runs = [(path, None) for path in chosen]
        if args.ratings_probe:
            runs.append((None, ratings_probe()))
        results: list[Result] = []
        skipped = []
        for path, made in runs:
            if path is not None and not path.exists():
                skipped.append(path.name)
                say(f"\n{path.stem}: skipped, {path.relative_to(REPO)} does not exist yet (make notebooks)")
                continue
            notebook = made if made is not None else nbformat.read(path, as_version=4)
            say(f"\n{path.stem if path else 'ratings probe'}: running...")
            caches = work / "cache"  # empty for each notebook, as in a new Colab runtime
            shutil.rmtree(caches, ignore_errors=True)
            fresh = {**env, "LMTUTORIAL_CACHE": str(caches / "lmtutorial"), "HF_HOME": str(caches / "huggingface")}
            result = run_notebook(path, notebook, runtime, fresh, kernels=kernels, cwd=content, timeout=args.timeout,
                                  keep=args.out / "executed")
            shutil.rmtree(caches, ignore_errors=True)
            results.append(result)
            state = "passed" if result.passed else "FAILED"
            say(f"{result.name}: {state} in {result.seconds:.0f} s (install cell {result.install_seconds:.0f} s)")
            if result.added:
                say(f"  the install cell added: {', '.join(f'{n} {v}' for n, v in sorted(result.added.items()))}")
            say(f"  pip check: {result.pip_check or '(not run)'}")
            if not result.passed:
                where = f"cell {result.cell}: {result.source}" if result.cell is not None else "before any cell"
                say(f"  failed at {where}")
                say(f"  error: {result.error}")

    failed = [r for r in results if not r.passed]
    say(f"\nSummary (simulated Colab, CPU, the colab profile at {SIZES} sizes):")
    for result in results:
        say(f"  {result.name:32} {'pass' if result.passed else 'FAIL':5} {result.seconds:7.0f} s")
    for name in skipped:
        say(f"  {Path(name).stem:32} skip  (no notebook)")
    total = time.monotonic() - started
    say(f"  {len(results) - len(failed)} passed, {len(failed)} failed, {len(skipped)} skipped, in {total:.0f} s "
        f"(runtime {'made' if runtime.made else 'reused'} in {runtime.seconds:.0f} s)")
    if wrong:
        say(f"  Colab's versions not installed: {wrong}")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "report.json").write_text(json.dumps({
        "python": runtime.python, "substitutes": {k: v[0] for k, v in SUBSTITUTES.items()},
        "loosened": {name: runtime.base.get(name) for name in LOOSENED}, "extras": list(EXTRAS), "sizes": SIZES,
        "installed": runtime.base, "runtime_pip_check": runtime.pip_check,
        "seconds": round(total, 1), "skipped": skipped,
        "results": [{**result.__dict__, "seconds": round(result.seconds, 1),
                     "install_seconds": round(result.install_seconds, 1)} for result in results],
    }, indent=1, allow_nan=False), encoding="utf-8")
    return 1 if failed or wrong else 0


if __name__ == "__main__":
    sys.exit(main())
