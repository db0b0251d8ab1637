"""Sphinx extension: a website that renders offline, with every script, style and font served by the site itself.

- MathJax 3 comes from the npm package ``mathjax`` (``node_modules/mathjax/es5``) and is copied into
  ``_static/mathjax/`` of the built site; ``mathjax_path`` points at it.
- Mermaid diagrams are rendered to SVG at build time by ``@mermaid-js/mermaid-cli`` (``node_modules/.bin/mmdc``)
  in headless Chromium, so pages need no mermaid JavaScript at all; ``static/lmtutorial.css`` sizes them.
- Thebe (live code through Binder, loaded from a CDN) is switched off, and so are myst-nb's ipywidgets scripts.
- Any script or stylesheet that still points at another host is a build warning (an error under ``-W``).

``npm ci`` (run by ``make book``) installs the npm packages listed in ``package.json``.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
PUPPETEER_CONFIG = HERE / "puppeteer-config.json"
MERMAID_CONFIG = HERE / "mermaid-config.json"
STATIC = HERE / "static"
MATHJAX_DIR = "mathjax"  # under _static/ of the built site
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def _node_modules(app: Sphinx) -> Path:
    modules = Path(app.confdir) / "node_modules"
    missing = [name for name in ("mathjax/es5/tex-chtml.js", ".bin/mmdc") if not (modules / name).exists()]
    if missing:
        raise ExtensionError(
            f"the offline site needs the npm packages of package.json, but {', '.join(missing)} "
            f"is missing under {modules}: run `npm ci` in {app.confdir} (`make book` does it for you)"
        )
    return modules


def _chromium() -> str:
    """The browser that mermaid-cli drives: $CHROMIUM (as for the Makefile and the browser test), else
    $PUPPETEER_EXECUTABLE_PATH, else a Chromium or Chrome on PATH."""
    for variable in ("CHROMIUM", "PUPPETEER_EXECUTABLE_PATH"):
        configured = os.environ.get(variable)
        if configured:
            found = shutil.which(configured)
            if found is None:
                raise ExtensionError(f"${variable}: expected an executable browser, got {configured!r}")
            return found
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise ExtensionError(
        "mermaid diagrams are rendered to SVG at build time in headless Chromium, but no browser was found: "
        "install Chromium (Debian/Ubuntu: `apt-get install chromium`) or set CHROMIUM=/path/to/chromium"
    )


def _configure(app: Sphinx, config) -> None:
    modules = _node_modules(app)
    os.environ["PUPPETEER_EXECUTABLE_PATH"] = _chromium()
    config.mathjax_path = f"{MATHJAX_DIR}/tex-chtml.js"
    config.mermaid_output_format = "svg"
    config.mermaid_cmd = str(modules / ".bin" / "mmdc")
    config.mermaid_params = ["--puppeteerConfigFile", str(PUPPETEER_CONFIG), "--configFile", str(MERMAID_CONFIG),
                             "--backgroundColor", "white"]
    config.html_static_path = [*config.html_static_path, str(STATIC)]
    config.nb_ipywidgets_js = {}


def _drop_thebe(app: Sphinx) -> None:
    """Disconnect sphinx-thebe (added by Jupyter Book): it loads thebe from unpkg and Binder from mybinder.org."""
    for listeners in app.events.listeners.values():
        for listener in list(listeners):
            if getattr(listener.handler, "__module__", "").startswith("sphinx_thebe"):
                app.disconnect(listener.id)
    app.registry.css_files = [(name, attrs) for name, attrs in app.registry.css_files if "thebe" not in name]


def _check_assets(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Warn about any script or stylesheet of the page that another host would serve."""
    assets = [*context.get("script_files", []), *context.get("css_files", [])]
    for asset in assets:
        url = getattr(asset, "filename", asset) or ""
        if "://" in url or url.startswith("//"):
            logger.warning(f"page {pagename} loads {url} from the network; the site must render offline",
                           location=pagename)


def _copy_mathjax(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    source = _node_modules(app) / "mathjax"
    version = json.loads((source / "package.json").read_text(encoding="utf-8"))["version"]
    target = Path(app.outdir) / "_static" / MATHJAX_DIR
    stamp = target / ".version"
    if stamp.exists() and stamp.read_text(encoding="utf-8") == version:
        return
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source / "es5", target)
    shutil.copy2(source / "LICENSE", target / "LICENSE")
    stamp.write_text(version, encoding="utf-8")
    logger.info(f"copied MathJax {version} from node_modules into {target}")


def setup(app: Sphinx) -> dict:
    app.setup_extension("sphinx.ext.mathjax")
    app.setup_extension("sphinxcontrib.mermaid")
    app.connect("config-inited", _configure, priority=900)
    _drop_thebe(app)
    app.add_css_file("lmtutorial.css")
    app.connect("html-page-context", _check_assets, priority=999)
    app.connect("build-finished", _copy_mathjax)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
