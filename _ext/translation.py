"""Sphinx extension: what Sphinx's own translation leaves in English in a translated edition (``tools/i18n.py``).

- **Glued values inside translated paragraphs.** Sphinx translates a paragraph by parsing its translation as a small
  document of its own (``publish_msgstr``), and myst-nb's ``glue`` roles and directives look their values up in the
  notebook renderer stored on the document being parsed, which that small document lacks: every glued value in a
  translated paragraph would be lost with a warning. So each lookup in a page's own text remembers the page's
  renderer, and a lookup in a document without one (a translation, parsed after the page's text) uses the renderer
  of the page being read (``env.docname``).
- **The table of contents' captions** ("Chapters", "Appendix" in ``_toc.yml``): sphinx-external-toc adds them after
  Sphinx's translation transform has run, so they are translated here from the root page's catalogue.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.transforms import SphinxTransform

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


@cache
def _messages(po_file: Path) -> dict[str, str]:
    from babel.messages.pofile import read_po

    if not po_file.exists():
        return {}
    with po_file.open("rb") as stream:
        return {message.id: message.string for message in read_po(stream)
                if message.id and message.string and not message.fuzzy}


class TranslateTocCaptions(SphinxTransform):
    default_priority = 150  # after sphinx-external-toc's InsertToctrees (100), before the toc is collected (880)

    def apply(self, **kwargs: object) -> None:
        language = self.config.language
        if not language or language == "en":
            return
        for directory in self.config.locale_dirs:
            messages = _messages(Path(self.app.srcdir, directory, language, "LC_MESSAGES", f"{self.env.docname}.po"))
            for toctree in self.document.findall(addnodes.toctree):
                caption = toctree.get("caption")
                if caption in messages:
                    toctree["caption"] = toctree["rawcaption"] = messages[caption]


def setup(app: Sphinx) -> dict:
    from myst_nb.ext.glue import directives, roles

    for module in (roles, directives):
        module.retrieve_glue_data = _with_page_renderer(module.retrieve_glue_data)
    app.add_transform(TranslateTocCaptions)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
