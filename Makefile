# Two commands for readers: `make book` and `make test`. Each creates (or reuses) the virtual environment.
VENV  ?= .venv
PY    := $(VENV)/bin/python
TORCH ?= torch==2.13.0
STAMP := $(VENV)/.lmtutorial-installed
export LMTUTORIAL_SHARED ?= $(if $(wildcard ../shared),$(abspath ../shared),)
export PYTHONUNBUFFERED := 1

.PHONY: book test notebooks clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet "$(TORCH)"
	$(PY) -m pip install --quiet --editable ".[book,test]"
	touch $@

book: $(STAMP)  ## Build the website with every notebook executed; warnings are errors.
	$(VENV)/bin/jupyter-book build . -W --keep-going
	@echo "The book is at file://$(CURDIR)/_build/html/index.html"

test: $(STAMP)  ## Unit tests plus nbval over every chapter notebook.
	$(PY) -m pytest

notebooks: $(STAMP)  ## Regenerate every paired .ipynb from its MyST .md (one way, stable cell ids).
	$(VENV)/bin/jupytext --to ipynb --update book/ch*.md

clean:
	rm -rf _build
