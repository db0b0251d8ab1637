"""The Chinese edition: message catalogues from the English pages, and the Chinese website built from them.

The English pages are the only source. Sphinx's gettext builder cuts them into messages (a paragraph, a heading, a
list item, a caption); ``locales/zh_CN/LC_MESSAGES/book/<page>.po`` holds each message's Chinese translation; the
Chinese build replaces every message by its translation and keeps code, outputs and figures of the English build.

    python tools/i18n.py catalogues   # update the .pot templates and the zh_CN .po files (after editing a page)
    python tools/i18n.py build        # the Chinese website, into _build/html/zh (after `make book`)
    python tools/i18n.py status       # translated / untranslated / fuzzy message counts, per catalogue

Its Colab buttons open ``locales/zh_CN/notebooks/book/<page>.ipynb``: the English notebooks' code with the Markdown
translated from the same catalogues (``tools/colab_notebooks.py`` writes both, ``make notebooks``).

``build`` executes nothing: it reads every notebook's outputs from the execution cache that ``make test`` and
``make book`` fill (a page missing from it would be executed, and ``tests/book/test_executions.py`` would then find
that page executed twice). A message whose English changed is marked fuzzy by ``catalogues`` and shown in English
until it is translated again; ``tests/book/test_i18n.py`` fails on any such message.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

TOOLS = str(Path(__file__).resolve().parent)
if TOOLS not in sys.path:  # imported by path (the tests): the package ``colab`` lies beside this file
    sys.path.insert(0, TOOLS)

from colab.repo import EDITIONS, REPO, edition_notebooks  # noqa: E402

LANGUAGE = "zh_CN"
LOCALES = REPO / "locales"
TEMPLATES = REPO / "_build" / "gettext"  # the .pot files
SITE = REPO / "_build" / "html" / EDITIONS[LANGUAGE]  # inside the English website (the language switch links)
CACHE = REPO / "_build" / ".jupyter_cache"  # the English build's execution cache
TITLE = "语言模型：从理论到实践"  # the website's title (_config.yml's title, translated)


def _build(builder: str, outdir: Path, overrides: dict, warnings_are_errors: bool) -> int:
    from jupyter_book.sphinx import build_sphinx

    overrides = {"external_toc_path": str(REPO / "_toc.yml"), "latex_individualpages": False, **overrides}
    return build_sphinx(REPO, outdir, use_external_toc=True, noconfig=True, path_config=str(REPO / "_config.yml"),
                        confoverrides=overrides, doctreedir=outdir.parent / f".doctrees-{outdir.name}",
                        builder=builder, warningiserror=warnings_are_errors, keep_going=True, quiet=True)


def templates(outdir: Path = TEMPLATES) -> int:
    """The gettext templates ``<outdir>/book/<page>.pot``: no notebook is executed, messages come from the text."""
    return _build("gettext", outdir, {"nb_execution_mode": "off"}, warnings_are_errors=False)


def catalogues() -> int:
    """The gettext templates, then the .po files updated from them (a changed message is marked fuzzy)."""
    from sphinx_intl import basic

    status = templates()
    if status:
        return status
    basic.update(str(LOCALES), str(TEMPLATES), (LANGUAGE,), line_width=120, ignore_obsolete=True)
    return 0


def build() -> int:
    """The Chinese website, -W, with the English build's cached outputs."""
    if not CACHE.exists():
        print(f"i18n build: expected the execution cache {CACHE} (run `make book` first), found none", file=sys.stderr)
        return 1
    start = time.time()
    status = _build("html", SITE, {"language": LANGUAGE, "html_title": TITLE, "html_theme_options": theme_options(),
                                   "nb_execution_mode": "cache", "nb_execution_cache_path": str(CACHE)},
                    warnings_are_errors=True)
    print(f"Chinese edition built in {time.time() - start:.0f} s: file://{SITE}/index.html")
    return status


def theme_options() -> dict:
    """The English site's theme options, with the Colab button opening this edition's notebooks
    (``locales/zh_CN/notebooks/book/<page>.ipynb``, written by ``tools/colab_notebooks.py``)."""
    from jupyter_book.config import get_final_config

    config, _ = get_final_config(user_yaml=REPO / "_config.yml", cli_config={"latex_individualpages": False},
                                 sourcedir=REPO)
    notebooks = edition_notebooks(LANGUAGE).relative_to(REPO).as_posix()
    return {**config["html_theme_options"], "path_to_docs": notebooks, "search_bar_text": "搜索本书……"}


def counts(po_file: Path) -> dict[str, int]:
    """Translated, untranslated and fuzzy messages of one catalogue (the header is not a message)."""
    from babel.messages.pofile import read_po

    with po_file.open("rb") as stream:
        messages = [message for message in read_po(stream) if message.id]
    fuzzy = sum(message.fuzzy for message in messages)
    untranslated = sum(not message.fuzzy and not message.string for message in messages)
    return {"translated": len(messages) - fuzzy - untranslated, "untranslated": untranslated, "fuzzy": fuzzy}


def status() -> int:
    """One line per catalogue; non-zero when a message is untranslated or fuzzy."""
    total = {"translated": 0, "untranslated": 0, "fuzzy": 0}
    for po_file in sorted((LOCALES / LANGUAGE / "LC_MESSAGES").rglob("*.po")):
        found = counts(po_file)
        total = {key: total[key] + found[key] for key in total}
        print(f"{po_file.relative_to(LOCALES)}: {found}")
    print(f"all: {total}")
    return int(total["untranslated"] + total["fuzzy"] > 0)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("catalogues", "build", "status"))
    sys.exit({"catalogues": catalogues, "build": build, "status": status}[parser.parse_args().command]())
