"""Sphinx extension: collect the book's erratum boxes into one list, like ``sphinx.ext.todo``'s todolist.

An erratum is an admonition written as::

    :::{admonition} Erratum: <short title>
    :class: erratum
    :name: erratum-<chapter-number>-<slug>

    The article says ... Correct: ...
    :::

The ``{errata-list}`` directive (used by ``book/appendix_errata.md``) becomes a list grouped by chapter, in book
order, with a link to every box. A box with a missing class or name, a name that does not start with its chapter's
number, or an admonition titled "Erratum" without the class is a build warning (an error under ``-W``).
"""

from __future__ import annotations

import re

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import make_refnode

logger = logging.getLogger(__name__)

CLASS = "erratum"
TITLE_PREFIX = "Erratum:"
TRANSLATED_PREFIXES = {"zh_CN": "勘误："}  # the prefix in each translated edition (locales/)
NAME = re.compile(r"erratum-(\d+)-[a-z0-9]+(?:-[a-z0-9]+)*")
LINKS = (addnodes.pending_xref, nodes.reference, nodes.target, nodes.footnote_reference, nodes.citation_reference)


class errata_list(nodes.General, nodes.Element):
    """Placeholder replaced by the list of errata once every document has been read."""


class ErrataListDirective(SphinxDirective):
    has_content = False

    def run(self) -> list[nodes.Node]:
        self.env.lmtutorial_errata_lists = getattr(self.env, "lmtutorial_errata_lists", set()) | {self.env.docname}
        return [errata_list("")]


def _errata(env: BuildEnvironment) -> dict[str, list[dict[str, str]]]:
    if not hasattr(env, "lmtutorial_errata"):
        env.lmtutorial_errata = {}
    return env.lmtutorial_errata


def _collect(app: Sphinx, doctree: nodes.document) -> None:
    docname = app.env.docname
    found = []
    for node in doctree.findall(nodes.admonition):
        title = node.next_node(nodes.title)
        text = title.astext().strip() if title else ""
        if CLASS not in node["classes"]:
            if text.lower().startswith(("erratum", *TRANSLATED_PREFIXES.values())):
                logger.warning(f'admonition "{text}" looks like an erratum but lacks ":class: {CLASS}"', location=node)
            continue
        prefix = _prefix(app.config.language)
        if not text.startswith(prefix) or not text.removeprefix(prefix).strip():
            logger.warning(f'an erratum box must be titled "{prefix} <short title>", got "{text}"',
                           location=node)
        names = [name for name in node["names"] if NAME.fullmatch(name)]
        if not names or not node["ids"]:
            logger.warning(f'erratum "{text}" needs ":name: erratum-<chapter-number>-<slug>", got {node["names"]}',
                           location=node)
            continue
        found.append({"title": _title_nodes(title, prefix), "name": names[0], "id": node["ids"][0],
                      "line": str(node.line or "")})
    if found:
        _errata(app.env)[docname] = found


def _prefix(language: str | None) -> str:
    return TRANSLATED_PREFIXES.get(language or "en", TITLE_PREFIX)


def _title_nodes(title: nodes.title, prefix: str = TITLE_PREFIX) -> list[nodes.Node]:
    """The box title without "Erratum:", as nodes (so math in a title is typeset in the list too)."""
    container = nodes.inline("", "", *[child.deepcopy() for child in title.children])
    for link in list(container.findall(lambda node: isinstance(node, LINKS))):
        link.replace_self(nodes.Text(link.astext()))  # the list entry is a link itself: no links inside it
    children = list(container.children)
    if children and isinstance(children[0], nodes.Text):
        children[0] = nodes.Text(children[0].astext().removeprefix(prefix).lstrip())
    return children


def _check_chapter_numbers(app: Sphinx, env: BuildEnvironment) -> None:
    for docname, entries in _errata(env).items():
        number = env.toc_secnumbers.get(docname, {}).get("")
        for entry in entries:
            stated = int(NAME.fullmatch(entry["name"]).group(1))
            if not number or stated != number[0]:
                logger.warning(f'erratum name "{entry["name"]}" should start with its chapter number '
                               f'(erratum-{number[0] if number else "?"}-...)', location=(docname, entry["line"]))


def _purge(app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    _errata(env).pop(docname, None)
    if hasattr(env, "lmtutorial_errata_lists"):
        env.lmtutorial_errata_lists.discard(docname)


def _merge(app: Sphinx, env: BuildEnvironment, docnames: set[str], other: BuildEnvironment) -> None:
    _errata(env).update(_errata(other))
    env.lmtutorial_errata_lists = getattr(env, "lmtutorial_errata_lists", set()) | getattr(
        other, "lmtutorial_errata_lists", set())


def _remember_read(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    env.lmtutorial_read_now = bool(docnames)


def _rewrite_lists(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """When any document was read again, the pages with an errata list must be written again too."""
    if getattr(env, "lmtutorial_read_now", False):
        return sorted(getattr(env, "lmtutorial_errata_lists", set()))
    return []


def _book_order(env: BuildEnvironment, docnames) -> list[str]:
    order = {name: index for index, name in enumerate(_toctree_order(env))}
    return sorted(docnames, key=lambda name: (order.get(name, len(order)), name))


def _toctree_order(env: BuildEnvironment) -> list[str]:
    seen: list[str] = []

    def visit(docname: str) -> None:
        if docname in seen:
            return
        seen.append(docname)
        for child in env.toctree_includes.get(docname, []):
            visit(child)

    visit(env.config.root_doc)
    return seen


def _chapter_label(env: BuildEnvironment, docname: str) -> str:
    number = env.toc_secnumbers.get(docname, {}).get("")
    title = env.titles[docname].astext() if docname in env.titles else docname
    if not number:
        return title
    if env.config.language == "zh_CN":
        return f"第 {'.'.join(map(str, number))} 章：{title}"
    return f"Chapter {'.'.join(map(str, number))}: {title}"


def _summary(language: str | None, count: int, chapters: int) -> str:
    if count == 0:
        return "尚无勘误。" if language == "zh_CN" else "No errata yet."
    if language == "zh_CN":
        return f"共 {count} 条勘误，分布在 {chapters} 章："
    return f"{count} errat{'um' if count == 1 else 'a'} in {chapters} chapter{'' if chapters == 1 else 's'}:"


def _resolve(app: Sphinx, doctree: nodes.document, fromdocname: str) -> None:
    env = app.env
    errata = _errata(env)
    for placeholder in list(doctree.findall(errata_list)):
        chapters = nodes.bullet_list(classes=["errata-list"])
        for docname in _book_order(env, errata):
            chapter = nodes.list_item()
            heading = nodes.paragraph()
            heading += make_refnode(app.builder, fromdocname, docname, "",
                                    nodes.strong(text=_chapter_label(env, docname)))
            chapter += heading
            items = nodes.bullet_list()
            for entry in errata[docname]:
                item = nodes.list_item()
                line = nodes.paragraph()
                label = nodes.inline("", "", *[child.deepcopy() for child in entry["title"]])
                line += make_refnode(app.builder, fromdocname, docname, entry["id"], label)
                item += line
                items += item
            chapter += items
            chapters += chapter
        count = sum(len(entries) for entries in errata.values())
        summary = nodes.paragraph(text=_summary(app.config.language, count, len(errata)))
        placeholder.replace_self([summary, chapters] if errata else summary)


def setup(app: Sphinx) -> dict:
    app.add_node(errata_list)
    app.add_directive("errata-list", ErrataListDirective)
    app.connect("doctree-read", _collect)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    app.connect("env-before-read-docs", _remember_read)
    app.connect("env-get-updated", _rewrite_lists)
    app.connect("env-check-consistency", _check_chapter_numbers)
    app.connect("doctree-resolved", _resolve)
    return {"version": "1.0", "env_version": 2, "parallel_read_safe": True, "parallel_write_safe": True}
