"""The note after the install cell: how long the notebook takes in Colab, from ``bench/colab_estimate.py``'s file."""

from __future__ import annotations

import json
import math

from .repo import REPO

ESTIMATE = REPO / "lmtutorial" / "results" / "colab_estimate.json"
HOW = {"ci": "its run on a two-core CPU", "full": "its full-size run on a two-core CPU",
       "colab": "its CPU part on a two-core CPU plus its GPU work from FLOPs and an H200 run"}


HOW_ZH = {"ci": "它在双核 CPU 上的运行", "full": "它在双核 CPU 上的完整规模运行",
          "colab": "它在双核 CPU 上的 CPU 部分，加上由 FLOPs 和一次 H200 运行估算的 GPU 工作量"}


def colab_note(page: str, language: str | None = None) -> str | None:
    """Markdown: the page's estimated minutes in Colab and that they are an estimate (in the edition's language,
    ``zh_CN`` or English); ``None`` if not estimated."""
    if not ESTIMATE.exists():
        return None
    estimate = json.loads(ESTIMATE.read_text(encoding="utf-8"))
    entry = estimate["pages"].get(page)
    if entry is None:
        return None
    minutes = max(1, math.ceil(entry["estimate_seconds"] / 60))
    if language == "zh_CN":
        return (f"**在 Colab 中**，本笔记本按 `colab` 规模配置运行，其规模针对免费运行时（一块 T4 GPU 加两个 CPU 核）"
                f"设定：约 {minutes} 分钟，由{HOW_ZH[entry['sizes']]}估算（`bench/colab_estimate.py`，"
                f"{estimate['date']}），不含下载时间。在 T4 上实测之前，这只是估计值。若要按完整规模运行，请先执行 "
                "`import os; os.environ[\"LMTUTORIAL_PROFILE\"] = \"full\"`。")
    return (f"**In Colab** this notebook runs the `colab` size profile, sized for the free runtime (a T4 GPU and two "
            f"CPU cores): about {minutes} min, estimated from {HOW[entry['sizes']]} (`bench/colab_estimate.py`, "
            f"{estimate['date']}), downloads not counted. It is an estimate until the notebook is timed on a T4. "
            "For the full-size run, execute `import os; os.environ[\"LMTUTORIAL_PROFILE\"] = \"full\"` first.")
