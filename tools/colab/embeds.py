"""What a page shows from elsewhere: a ``literalinclude`` becomes a fenced code block with the same lines as on the
site (Sphinx's own reader); a figure an image (numbered "Fig. 3.1" as on the site); a glued output its text, or, for
a glued figure (``{glue:figure}``), an image attached to its Markdown cell."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

from sphinx.directives.code import LiteralInclude, LiteralIncludeReader

from .book import Book
from .glue import MISSING_GLUE, format_glue
from .myst import Directive, plain
from .repo import REPO, raw_url, source_url


class Embeds:
    """Listings, figures and glued outputs, mixed into ``Page`` (which also provides ``inline`` and ``glued``)."""

    md: Path
    book: Book
    attachments: dict[str, dict]  # images of the markdown cell being converted

    def literalinclude(self, block: Directive) -> list[str]:
        path = (self.md.parent / block.argument).resolve()
        options = {key: LiteralInclude.option_spec[key](value or None) for key, value in block.options.items()
                   if key in LiteralInclude.option_spec}
        code, _ = LiteralIncludeReader(str(path), options, SimpleNamespace(source_encoding="utf-8-sig")).read()
        relative = path.relative_to(REPO).as_posix()
        what = f"`{block.options['pyobject']}` from " if "pyobject" in block.options else ""
        caption = block.options.get("caption")
        header = [f"*{self.inline(caption)}*", ""] if caption else []
        return [*header, f"{what}[`{relative}`]({source_url(relative)}):", "",
                f"```{block.options.get('language', 'python')}", *code.rstrip("\n").split("\n"), "```"]

    def figure(self, block: Directive) -> list[str]:
        target = block.argument
        if not re.match(r"^[a-z]+://", target):
            target = raw_url((self.md.parent / target).resolve().relative_to(REPO).as_posix())
        caption = " ".join(line.strip() for line in block.body if line.strip())
        alt = block.options.get("alt", plain(caption) or Path(block.argument).stem)
        number = self.book.numbers.get(block.options.get("name", ""))
        caption = self.inline(caption)
        caption = f"Fig. {number} {caption}" if number and caption else caption
        return [f"![{alt}]({target})"] + (["", f"*{caption}*"] if caption else [])

    def glued_block(self, block: Directive) -> list[str]:
        """A glued output shown as a block: its text where it has one, else a link to it on the website."""
        key = block.argument.split("::")[-1]
        data = self.glued(key)
        if data is None:
            return [MISSING_GLUE.format(name=key)]
        caption = self.inline(" ".join(line.strip() for line in block.body if line.strip()))
        if block.name == "glue:math" and "text/latex" in data:
            shown = [data["text/latex"].strip()]
        elif "text/markdown" in data:
            shown = data["text/markdown"].splitlines()
        elif "image/png" in data:
            self.attachments[f"{key}.png"] = {"image/png": data["image/png"]}
            number = self.book.numbers.get(block.options.get("name", ""))
            shown = [f"![{f'Fig. {number}' if number else 'Figure'}](attachment:{key}.png)"]
            caption = f"Fig. {number} {caption}" if number and caption else caption
        elif block.name == "glue:figure":
            shown = [f"[The figure is on the website]({self.book.url(self.md.stem)})."]
        else:
            shown = ["```", *format_glue(data, "").splitlines(), "```"]
        return shown + (["", f"*{caption}*"] if caption else [])
