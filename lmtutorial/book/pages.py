"""Numbers a chapter computes and its prose quotes (:func:`glue`, a no-op without myst-nb), and a page's full-size
results."""

from __future__ import annotations


def glue(name: str, value: object, display: bool = False) -> None:
    """Store ``value`` under ``name`` for the page's prose (myst-nb); nothing where myst-nb is unavailable."""
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        return
    myst_glue(name, value, display=display)


RESULTS_OUT = "LMTUTORIAL_RESULTS_OUT"  # set by bench/ch03_full.py and bench/ch06_full.py for the page they run


def recording_results() -> bool:
    """Whether this run of the page is the full-size run that records its results (``$LMTUTORIAL_RESULTS_OUT``)."""
    import os

    return bool(os.environ.get(RESULTS_OUT))


def record_results(results: dict) -> None:
    """Write a page's ``results``, with the hardware and the library versions, to ``$LMTUTORIAL_RESULTS_OUT`` when
    the page runs for its full-size results; nothing otherwise. The runner adds the command, date and run time."""
    import os

    from lmtutorial.provenance import hardware, library_versions, write_json

    if recording_results():
        write_json(os.environ[RESULTS_OUT], {**results, "hardware": hardware(), "library_versions": library_versions()})


def full_size_results(name: str) -> dict | None:
    """The committed full-size results ``lmtutorial/results/<name>.json`` for a page to show; ``None``, after one
    printed line, while this very run is making them (its own file is shown once committed) or none is committed."""
    from lmtutorial.results import result_files

    if recording_results():
        print("(shown once this run has written its results)")
        return None
    runs = result_files(f"{name}.json")
    if not runs:
        print(f"No full-size run in lmtutorial/results/ yet: {name}.json is made by the page's bench script.")
        return None
    return runs[0]
