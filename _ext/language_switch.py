"""Sphinx extension: a header button on every page that opens the same page in the other edition.

The English website is ``_build/html``; the Chinese edition (``tools/i18n.py build``) is ``_build/html/zh``, built
from the same pages with ``language = "zh_CN"``. The link is relative, so it works from a folder, a server or the
published site alike.
"""

from __future__ import annotations

from sphinx.application import Sphinx

SUBFOLDER = {"zh_CN": "zh"}  # the edition of each translation, as a folder of the English website
LABEL = {"en": ("中文", "阅读中文版"), "zh_CN": ("English", "Read the English edition")}


def switch_url(pagename: str, language: str) -> str:
    """The other edition's page ``pagename``, relative to this edition's page."""
    up = "../" * pagename.count("/")
    if language in SUBFOLDER:
        return f"../{up}{pagename}.html"
    return f"{up}{SUBFOLDER['zh_CN']}/{pagename}.html"


def _add_button(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: object) -> None:
    language = app.config.language or "en"
    if "header_buttons" not in context or language not in LABEL:
        return
    text, tooltip = LABEL[language]
    context["header_buttons"].append({"type": "link", "url": switch_url(pagename, language), "text": text,
                                      "tooltip": tooltip, "icon": "fas fa-language",
                                      "label": "language-switch-button"})


def setup(app: Sphinx) -> dict:
    app.connect("html-page-context", _add_button, priority=502)  # after sphinx-book-theme's own buttons (501)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
