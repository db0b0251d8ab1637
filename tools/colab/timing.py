"""The note after the install cell: how long the notebook takes in Colab, from ``bench/colab_estimate.py``'s file."""

from __future__ import annotations

import json
import math

from .repo import REPO

ESTIMATE = REPO / "lmtutorial" / "results" / "colab_estimate.json"
HOW = {"ci": "its run on a two-core CPU", "full": "its full-size run on a two-core CPU",
       "colab": "its CPU part on a two-core CPU plus its GPU work from FLOPs and an H200 run"}


def colab_note(page: str) -> str | None:
    """Markdown: the page's estimated minutes in Colab and that they are an estimate; ``None`` if not estimated."""
    if not ESTIMATE.exists():
        return None
    estimate = json.loads(ESTIMATE.read_text(encoding="utf-8"))
    entry = estimate["pages"].get(page)
    if entry is None:
        return None
    minutes = max(1, math.ceil(entry["estimate_seconds"] / 60))
    return (f"**In Colab** this notebook runs the `colab` size profile, sized for the free runtime (a T4 GPU and two "
            f"CPU cores): about {minutes} min, estimated from {HOW[entry['sizes']]} (`bench/colab_estimate.py`, "
            f"{estimate['date']}), downloads not counted. It is an estimate until the notebook is timed on a T4. "
            "For the full-size run, execute `import os; os.environ[\"LMTUTORIAL_PROFILE\"] = \"full\"` first.")
