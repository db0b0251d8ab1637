# Two commands for readers: `make book` and `make test`. Each creates (or reuses) the virtual environment and the
# npm packages of package.json (MathJax and mermaid-cli, served by / rendered into the website so it works offline).
VENV  ?= .venv
PY    := $(VENV)/bin/python
TORCH ?= torch==2.13.0
STAMP := $(VENV)/.lmtutorial-installed
NPM_STAMP := node_modules/.lmtutorial-installed
PORT  ?= 8000
# pytest-xdist workers of `make test` (auto: one per CPU core; each worker's torch gets cores / workers threads)
JOBS  ?= auto
export LMTUTORIAL_SHARED ?= $(if $(wildcard ../shared),$(abspath ../shared),)
export PYTHONUNBUFFERED := 1
# mermaid-cli renders diagrams in the system Chromium; puppeteer must not download a browser of its own.
export PUPPETEER_SKIP_DOWNLOAD := 1

.PHONY: install book test serve notebooks colab-check catalogues clean system

# Chromium (diagrams are rendered in it at build time; the browser test drives it) and Node.js/npm (the site's
# MathJax and mermaid-cli are npm packages). Installed with apt-get when missing and allowed (root on Debian/Ubuntu);
# otherwise the message says what to install.
define require
	@command -v $(1) >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing $(2) with apt-get"; apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(2) >/dev/null; \
	  else echo "make needs $(1): install $(2) (Debian/Ubuntu: sudo apt-get install $(2))" >&2; exit 1; fi; }
endef

system:
	$(if $(CHROMIUM),,$(call require,chromium,chromium))
	$(call require,npm,nodejs npm)
	@# the Chinese edition's text in the browser test (fc-list is fontconfig's, which Chromium brings)
	@fc-list :lang=zh | grep -q . || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing fonts-noto-cjk with apt-get"; apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null; \
	  else echo "make needs a Chinese font: install fonts-noto-cjk (sudo apt-get install fonts-noto-cjk)" >&2; \
	  exit 1; fi; }

# pip compiles every installed module to bytecode one file at a time; compileall does the same on every core (on the
# two-core CI machine: 40 s + 22 s instead of 77 s). The bytecode matters where PYTHONDONTWRITEBYTECODE is set:
# there every process would otherwise compile torch and transformers again on import.
$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --no-compile $(TORCH)
	$(PY) -m pip install --quiet --no-compile --editable ".[book,colab,test]"
	@# an optimisation only: a few files of torch's own test helpers use newer syntax than this Python and fail
	$(PY) -m compileall -q -j 0 $$($(PY) -c "import sysconfig; print(sysconfig.get_paths()['purelib'])") \
	  >/dev/null 2>&1 || true
	touch $@

install: system $(STAMP) $(NPM_STAMP)  ## Create the virtual environment and install everything the book needs.

$(NPM_STAMP): package.json package-lock.json | system
	npm ci --no-audit --no-fund
	touch $@

# A failed build forgets Sphinx's saved environment, so the next build reads every page again and reports every
# warning again (an incremental build only re-reads changed pages; notebooks still come from the execution cache).
book: system $(STAMP) $(NPM_STAMP)  ## Build the website and its Chinese edition (_build/html/zh); warnings are errors.
	@start=$$(date +%s); \
	$(VENV)/bin/jupyter-book build . -W --keep-going || { rm -f _build/.doctrees/environment.pickle; exit 1; }; \
	echo "Built in $$(( $$(date +%s) - start )) s. The book is at file://$(CURDIR)/_build/html/index.html (or: make serve)"
	@# the Chinese edition executes nothing: the English build's outputs, the translations of locales/zh_CN
	@$(PY) tools/i18n.py build || { rm -rf _build/html/.doctrees-zh; exit 1; }

catalogues: $(STAMP)  ## After editing a page: update the Chinese edition's catalogues (locales/), then translate.
	$(PY) tools/i18n.py catalogues
	$(PY) tools/i18n.py status

# Each chapter notebook is executed once: nbval executes it (the chapters in parallel, beside the unit tests) and stores
# what it ran in the book's execution cache (conftest.py, tools/execution_cache.py); the build then executes nothing,
# and the site tests run on what it built. After an unchanged `make book`, nbval checks the cached outputs instead.
test: install  ## Unit tests and nbval over every chapter, then the book (-W), then the site tests.
	$(PY) tools/execution_cache.py --new-run
	@start=$$(date +%s); $(PY) -m pytest -m "not site" -n $(JOBS) --dist loadfile; status=$$?; \
	echo "Unit tests and chapters in $$(( $$(date +%s) - start )) s."; exit $$status
	@$(MAKE) --no-print-directory book
	@start=$$(date +%s); $(PY) -m pytest -m site; status=$$?; \
	echo "Site tests in $$(( $$(date +%s) - start )) s."; exit $$status

serve: book  ## Serve the built website at http://127.0.0.1:$(PORT)/ (Ctrl-C stops it).
	@echo "Serving the book at http://127.0.0.1:$(PORT)/"
	$(PY) -m http.server $(PORT) --bind 127.0.0.1 --directory _build/html

# The Colab notebooks book/*.ipynb are generated from the pages (tools/colab_notebooks.py): listings, numbers (from
# the last `make book`, else those already in the notebooks), citations and boxes as plain Markdown.
notebooks: $(STAMP)  ## Regenerate the Colab notebook of every page (run `make book` first for fresh numbers).
	$(PY) tools/colab_notebooks.py

# A simulated Colab (tools/colab_check.py): a fresh venv with Colab's versions (_build/colab-venv, reused while they
# are unchanged), a stub google.colab, the install cell active and pointed at this working tree, the Hub's data and
# models served from ../shared; each generated notebook runs top to bottom. COLAB names chapters (default: all),
# COLAB_ARGS passes options (e.g. --ratings-probe, --fresh; see tools/colab_check.py --help).
COLAB ?=
COLAB_ARGS ?= --ratings-probe
colab-check: $(STAMP)  ## Run the chapter notebooks in a simulated Colab (COLAB="ch05_bert_project ...": some).
	$(PY) tools/colab_check.py $(COLAB_ARGS) $(COLAB)

clean:
	rm -rf _build test-artifacts
