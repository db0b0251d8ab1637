"""IMDb movie reviews from local parquet files (an explicit ``path``, then ``$LMTUTORIAL_IMDB``, then
``shared/data/imdb`` beside the repository), else ``stanfordnlp/imdb`` from the Hugging Face Hub. The Hub's copy has no
star ratings: where no local copy has them, they come from the original release, downloaded once and converted into
the package's cache (``imdb-ratings/`` under :func:`lmtutorial.llm.model.cache_dir`).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # ``datasets`` takes seconds to import: loaded by the functions that need it
    import datasets
    import pyarrow

HUB_NAME = "stanfordnlp/imdb"
ACLIMDB_URL = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"  # Maas et al. 2011, with ratings
ACLIMDB_OVERRIDE = "LMTUTORIAL_ACLIMDB_URL"  # another address of the same archive (a mirror, or a local file:// copy)
SPLITS = ("train", "test")
REVIEW_FILE = re.compile(r"aclImdb/(?:train|test)/(?:pos|neg)/\d+_\d+\.txt")  # what aclimdb_to_parquet reads


def imdb_parquet_dir(path: str | os.PathLike | None = None) -> Path | None:
    """The folder holding ``train.parquet`` and ``test.parquet``, or ``None`` to use the Hub."""
    from lmtutorial.book.resources import shared_path

    chosen = path if path is not None else os.environ.get("LMTUTORIAL_IMDB")
    if chosen is not None and not isinstance(chosen, (str, os.PathLike)):
        raise TypeError(f"path: expected a folder (str or Path) with train.parquet and test.parquet, got "
                        f"{type(chosen).__name__}")
    if chosen is not None:
        folder = Path(chosen).expanduser()
        missing = [f"{split}.parquet" for split in SPLITS if not (folder / f"{split}.parquet").is_file()]
        if missing:
            raise FileNotFoundError(f"IMDb folder {folder}: expected {', '.join(missing)} in it")
        return folder
    return shared_path("data/imdb")


class IMDbUnavailable(RuntimeError):
    """IMDb is neither on this machine nor reachable on the Hugging Face Hub."""


def imdb_unavailable_message() -> str:
    """The one line that tells a reader every way to provide IMDb."""
    return (f"IMDb not found: expected train.parquet and test.parquet (columns text, label) in a folder named "
            f"by LMTUTORIAL_IMDB, or in data/imdb/ of the folder named by LMTUTORIAL_SHARED (or the CLI's "
            f"--data), or a reachable Hugging Face Hub to download {HUB_NAME!r}; got none of these")


def hub_reachable(timeout: float = 3.0) -> bool:
    """Whether the Hugging Face Hub can be asked for data: not switched off, and its host answers."""
    import socket

    if any(os.environ.get(v, "").lower() in ("1", "true") for v in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")):
        return False
    try:
        socket.create_connection(("huggingface.co", 443), timeout=timeout).close()
    except OSError:
        return False
    return True


def require_imdb(path: str | os.PathLike | None = None) -> Path | None:
    """The local IMDb folder, or ``None`` when the Hub will serve it; else one :class:`IMDbUnavailable` line."""
    folder = imdb_parquet_dir(path)
    if folder is None and not hub_reachable():
        raise IMDbUnavailable(imdb_unavailable_message())
    return folder


def check_parquet(path: str | os.PathLike) -> int:
    """The row count of a parquet file with ``text`` and ``label`` columns; one ``ValueError`` naming the file if not.

    Catches an unreadable (truncated, corrupt) file, missing columns and an empty file.
    """
    import pyarrow.parquet as pq

    path = Path(path)
    try:
        metadata = pq.read_metadata(path)
        columns = metadata.schema.to_arrow_schema().names
    except (OSError, ValueError) as error:  # pyarrow.ArrowInvalid is a ValueError
        raise ValueError(f"{path}: expected a parquet file, got one that cannot be read, probably truncated or "
                         f"corrupt ({type(error).__name__}: {error}); copy it again") from error
    if "text" not in columns or "label" not in columns:
        raise ValueError(f"{path}: expected columns 'text' and 'label', got {columns}")
    if metadata.num_rows == 0:
        raise ValueError(f"{path}: expected at least one review, got an empty file")
    return metadata.num_rows


def has_ratings(path: str | os.PathLike) -> bool:
    """Whether the parquet file ``path`` has a ``rating`` column."""
    import pyarrow.parquet as pq

    return "rating" in pq.read_schema(path).names


def load_imdb(split: str = "train", path: str | os.PathLike | None = None,
              ratings: bool = False) -> datasets.Dataset:
    """One split of IMDb as a ``datasets.Dataset`` with columns ``text`` (str) and ``label`` (0 = neg, 1 = pos),
    and ``rating`` (the reviewer's stars, 1–10) when ``ratings`` is set.

    The Hub's ``stanfordnlp/imdb`` has no ratings: without a local copy that has them (``path`` must have them),
    they come from :func:`aclimdb_ratings`.
    """
    import datasets

    if split not in SPLITS:
        raise ValueError(f"split: expected one of {SPLITS}, got {split!r}")
    folder = imdb_parquet_dir(path)
    columns = ["text", "label", "rating"] if ratings else ["text", "label"]
    if folder is not None:
        check_parquet(folder / f"{split}.parquet")
    if ratings and (folder is None or not has_ratings(folder / f"{split}.parquet")):
        if path is not None:
            raise ValueError(f"ratings: expected a 'rating' column in {folder / f'{split}.parquet'}, got none; "
                             f"make the folder with lmtutorial.data.imdb.aclimdb_to_parquet")
        folder = aclimdb_ratings()
    if folder is not None:
        data = datasets.load_dataset("parquet", data_files={split: str(folder / f"{split}.parquet")}, split=split)
    else:
        try:
            data = datasets.load_dataset(HUB_NAME, split=split)
        except Exception as error:  # noqa: BLE001 - re-raised with every way to fix it
            raise IMDbUnavailable(f"{imdb_unavailable_message()} (the Hub failed: {type(error).__name__}: "
                                  f"{error})") from error
    return data.select_columns(columns)


def arrow_column(data: datasets.Dataset, name: str = "label") -> pyarrow.ChunkedArray:
    """Column ``name`` of ``data`` as Arrow (selections and shuffles applied), without a Python object per row."""
    return data.with_format("arrow")[name]


def balanced_subset(data: datasets.Dataset, size: int, seed: int = 0) -> datasets.Dataset:
    """``size`` rows, half of each label (IMDb is balanced), shuffled with ``seed``."""
    import numpy as np

    if size < 2 or size > len(data):
        raise ValueError(f"size: expected 2..{len(data)} rows, got {size}")
    shuffled = data.shuffle(seed=seed)
    labels = arrow_column(shuffled).to_numpy()
    wanted = {0: size // 2, 1: size - size // 2}
    picked = []
    for label, count in wanted.items():
        rows = np.flatnonzero(labels == label)
        if len(rows) < count:
            raise ValueError(f"size: expected at most {2 * len(rows)} rows for half of each label, got {size}: "
                             f"label {label} has only {len(rows)} rows")
        picked.extend(rows[:count].tolist())
    return shuffled.select(sorted(picked))


def aclimdb_to_parquet(source: str | os.PathLike, target: str | os.PathLike) -> Path:
    """Convert the original release (``aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt``) into ``train.parquet``
    and ``test.parquet`` with columns ``text``, ``label``, ``review_id`` and ``rating``; return ``target``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    source, target = Path(source), Path(target)
    target.mkdir(parents=True, exist_ok=True)
    for split in SPLITS:
        rows = []
        for label, folder in ((0, "neg"), (1, "pos")):
            files = sorted((source / split / folder).glob("*_*.txt"))
            if not files:
                raise FileNotFoundError(f"{source / split / folder}: expected review files <id>_<rating>.txt, got "
                                        "none (is this the unpacked aclImdb folder?)")
            for file in files:
                review_id, rating = (int(part) for part in file.stem.split("_"))
                rows.append((file.read_text(encoding="utf-8"), label, review_id, rating))
        text, label, review_id, rating = zip(*rows)
        table = pa.table({"text": pa.array(text), "label": pa.array(label, pa.int64()),
                          "review_id": pa.array(review_id, pa.int32()), "rating": pa.array(rating, pa.int8())})
        pq.write_table(table, target / f"{split}.parquet")
    return target


def ratings_unavailable_message(url: str, reason: str) -> str:
    """The one line that says where the ratings come from and how to provide them by hand."""
    return (f"IMDb ratings not found: the Hub's {HUB_NAME!r} has no ratings and no local IMDb folder has a 'rating' "
            f"column, so they come from the original release, which could not be downloaded from {url} ({reason}); "
            f"download it, unpack it and run lmtutorial.data.imdb.aclimdb_to_parquet('aclImdb', 'imdb'), then set "
            f"LMTUTORIAL_IMDB=imdb")


def download(url: str, target: Path) -> Path:
    """``url`` saved as ``target`` (whole or not at all), with a progress bar."""
    import urllib.request

    from lmtutorial.progress import tqdm

    partial = target.with_name(f".{target.name}.{os.getpid()}.part")
    try:
        with urllib.request.urlopen(url, timeout=60) as response, open(partial, "wb") as file:
            size = int(response.headers.get("Content-Length") or 0) or None
            with tqdm(total=size, unit="B", unit_scale=True, desc=f"downloading {target.name}") as bar:
                for block in iter(lambda: response.read(1 << 20), b""):
                    file.write(block)
                    bar.update(len(block))
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def unpack_reviews(archive: Path, target: Path) -> Path:
    """The labelled reviews of the release (``aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt``) unpacked from
    ``archive`` into ``target``, nothing else (the 50,000 unlabelled ones, URL lists); return ``target / "aclImdb"``."""
    import tarfile

    from lmtutorial.progress import tqdm

    with tarfile.open(archive, "r:gz") as tar, tqdm(desc="unpacking reviews", unit=" files") as bar:
        for member in tar:
            if member.isfile() and REVIEW_FILE.fullmatch(member.name):
                destination = target.joinpath(*member.name.split("/"))  # a name the pattern allows: no ".." or "/"
                destination.parent.mkdir(parents=True, exist_ok=True)
                destination.write_bytes(tar.extractfile(member).read())
                bar.update(1)
    return target / "aclImdb"


def aclimdb_ratings() -> Path:
    """The folder of ``train.parquet`` and ``test.parquet`` with ratings, made once in the package's cache from the
    original release (``$LMTUTORIAL_ACLIMDB_URL``, else :data:`ACLIMDB_URL`) by :func:`aclimdb_to_parquet`; one
    :class:`IMDbUnavailable` line if it cannot be downloaded (``HF_HUB_OFFLINE``/``HF_DATASETS_OFFLINE``: offline)."""
    import shutil
    import tempfile

    from lmtutorial.book.resources import cache_dir

    folder = cache_dir() / "imdb-ratings"
    if all((folder / f"{split}.parquet").is_file() for split in SPLITS):
        return folder
    url = os.environ.get(ACLIMDB_OVERRIDE) or ACLIMDB_URL
    offline = any(os.environ.get(v, "").lower() in ("1", "true") for v in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"))
    if offline and url.startswith(("http://", "https://")):
        reason = "offline: HF_HUB_OFFLINE or HF_DATASETS_OFFLINE is set"
        raise IMDbUnavailable(ratings_unavailable_message(url, reason))
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder.parent, prefix=".aclImdb-") as work:
        work = Path(work)
        try:
            archive = download(url, work / "aclImdb_v1.tar.gz")
        except OSError as error:  # urllib's URLError, a timeout, a refused connection, a missing file: all OSError
            reason = str(getattr(error, "reason", None) or error).splitlines()[0]
            raise IMDbUnavailable(ratings_unavailable_message(url, f"{type(error).__name__}: {reason}")) from error
        made = aclimdb_to_parquet(unpack_reviews(archive, work), work / "imdb-ratings")
        shutil.rmtree(folder, ignore_errors=True)  # an incomplete folder left by an interrupted copy
        try:
            made.replace(folder)
        except OSError:  # another process made it meanwhile
            if not all((folder / f"{split}.parquet").is_file() for split in SPLITS):
                raise
    return folder
