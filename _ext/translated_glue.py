"""Sphinx extension: glued values inside translated text (the Chinese edition, ``tools/i18n.py``).

Sphinx translates a paragraph by parsing its translation as a small document of its own (``publish_msgstr``), and
myst-nb's ``glue`` roles and directives look their values up in the notebook renderer stored on the document being
parsed, which that small document lacks: every glued value in a translated paragraph would be lost with a warning.
So each lookup in a page's own text remembers the page's renderer, and a lookup in a document without one (a
translation, parsed after the page's text) uses the renderer of the page being read (``env.docname``).
"""

from __future__ import annotations

from docutils import nodes
from sphinx.application import Sphinx

RENDERERS: dict[str, object] = {}  # docname -> myst-nb's renderer of that page


def _with_page_renderer(retrieve):  # noqa: ANN001, ANN202 - wraps myst-nb's retrieve_glue_data
    def retrieve_glue_data(document: nodes.document, key: str):  # noqa: ANN202
        env = getattr(document.settings, "env", None)
        if env is None or "nb_renderer" in document:
            if env is not None:
                RENDERERS[env.docname] = document["nb_renderer"]
            return retrieve(document, key)
        if env.docname not in RENDERERS:
            return retrieve(document, key)
        document["nb_renderer"] = RENDERERS[env.docname]  # for this lookup only: doctrees are pickled
        try:
            return retrieve(document, key)
        finally:
            del document["nb_renderer"]

    return retrieve_glue_data


def setup(app: Sphinx) -> dict:
    from myst_nb.ext.glue import directives, roles

    for module in (roles, directives):
        module.retrieve_glue_data = _with_page_renderer(module.retrieve_glue_data)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
