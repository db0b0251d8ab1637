"""The book's Colab notebooks, generated from its MyST pages so that they read like the website.

``python tools/colab_notebooks.py`` (what ``make notebooks`` runs) writes ``book/<page>.ipynb`` beside every
``book/<page>.md`` that is a notebook page (a MyST header with a ``kernelspec``); ``python tools/colab_notebooks.py
book/ch03_algorithms.md`` does one page, and ``--check`` only reports stale notebooks (exit status 1; a page that
cannot be converted is reported too, and the others are still written). The Colab button of the website opens these
files, and nbval executes them.

The install cell comes first: one text for every page (``tools/colab/install.py``), made from the repository URL and
branch in ``_config.yml``, the key that also builds the website's Colab button. The command writes it into each
page whose install cell differs (``--check`` reports such a page instead), so that a page and its notebook keep the
same code cells. Code cells are copied unchanged; Markdown is rewritten into plain Markdown that Colab renders. The
rules live in the package ``tools/colab/``, each in its module: listings and figures (``embeds``), glued values
(``glue``), citations and the bibliography (``citations``), boxes and exercises (``boxes``), cross-references
(``roles``) with the website's numbers (``numbers``), and the rest of the Markdown (``markdown``).

Freshness: every notebook stores the glue values it used (text in ``metadata.lmtutorial.glue``, figures as its
attachments). Regenerating a page with those stored values (``--check``, and ``tests/book/test_notebooks.py``) must give
the committed file byte for byte, so the check is stable although timings differ from build to build, and it fails
when the page, a listed source file, ``references.bib``, ``_toc.yml`` (numbers) or this generator changed its output
without ``make notebooks``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

TOOLS = str(Path(__file__).resolve().parent)
if TOOLS not in sys.path:  # imported by path (the tests): the package ``colab`` lies beside this file
    sys.path.insert(0, TOOLS)

from colab.book import Book  # noqa: E402
from colab.citations import cite_link  # noqa: E402
from colab.glue import GLUE_MIMES, MISSING_GLUE, build_glue, format_glue, stored_glue  # noqa: E402
from colab.glue import committed_glue, last_build_glue  # noqa: E402
from colab.install import install_block, install_source, requirement, with_install_cell  # noqa: E402
from colab.myst import split_keys  # noqa: E402
from colab.page import Page, render  # noqa: E402
from colab.repo import BOOK, EDITIONS, GLUE_DIR, REPO, edition_notebook, is_notebook_page  # noqa: E402
from colab.repo import notebook_pages  # noqa: E402

__all__ = ["BOOK", "EDITIONS", "GLUE_DIR", "GLUE_MIMES", "MISSING_GLUE", "REPO", "Book", "Page", "build_glue",
           "cite_link", "edition_notebook",
           "committed_glue", "format_glue", "install_block", "install_source", "is_notebook_page", "last_build_glue",
           "main", "notebook_pages", "render", "requirement", "split_keys", "stored_glue", "with_install_cell"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pages", nargs="*", type=Path, help="book/*.md pages (default: every notebook page)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if a committed notebook differs from its page, or a page's "
                             "install cell from the one _config.yml defines")
    args = parser.parse_args(argv)
    pages = [page.resolve() for page in args.pages] or notebook_pages()
    book = Book()
    editions = {language: Book.edition(language) for language in EDITIONS}
    glue_source = committed_glue if args.check else last_build_glue
    stale, failed, installs = [], [], []
    for md in pages:
        if md.suffix != ".md" or not md.exists():
            parser.error(f"expected a book/*.md page, got {md}")
        ipynb = md.with_suffix(".ipynb")
        try:
            page = md.read_text(encoding="utf-8")
            configured = with_install_cell(page, md.name)
            if configured != page:
                if args.check:
                    installs.append(md.name)
                else:
                    md.write_text(configured, encoding="utf-8")
                    print(f"wrote the install cell of {md.relative_to(REPO)}")
            text, warnings = render(md, glue_source, book)
        except (ValueError, OSError) as error:  # an unknown label or citation, a missing listed file: next page
            print(f"error: {error}", file=sys.stderr)
            failed.append(md.name)
            continue
        for warning in warnings:
            print(f"warning: {warning}", file=sys.stderr)
        outputs = [(ipynb, text)]
        for language in EDITIONS:  # the same page in each translated edition: its Markdown from the catalogue
            translated, _ = render(md, glue_source, editions[language])
            outputs.append((edition_notebook(md, language), translated))
        for path, content in outputs:
            current = path.read_text(encoding="utf-8") if path.exists() else None
            if content == current:
                continue
            if args.check:
                stale.append(str(path.relative_to(REPO)))
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(content, encoding="utf-8")
                print(f"wrote {path.relative_to(REPO)}")
    if installs:
        print(f"pages whose install cell is not the one _config.yml defines (run `make notebooks`): "
              f"{', '.join(installs)}", file=sys.stderr)
    if stale:
        print(f"stale notebooks (run `make notebooks`): {', '.join(stale)}", file=sys.stderr)
    if failed:
        print(f"not converted: {', '.join(failed)}", file=sys.stderr)
    return 1 if installs or stale or failed else 0


if __name__ == "__main__":
    sys.exit(main())
