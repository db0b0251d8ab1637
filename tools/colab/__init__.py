"""The book's Colab notebooks from its MyST pages (the command is ``tools/colab_notebooks.py``), one idea a module:

- ``repo``: where things are (folders, the website, GitHub) and which pages are notebooks;
- ``install``: the install cell that opens every page and notebook, from the repository key of ``_config.yml``;
- ``myst``: the block structure of MyST Markdown (fences, directives, options, labels);
- ``glue``: the glued values (of the last build, or stored in the committed notebook);
- ``numbers``, ``book``: what the whole book defines (numbers, titles, labels, glossary terms, references.bib);
- ``citations``: author-year citations and the list of cited works;
- ``roles``, ``boxes``, ``embeds``, ``markdown``: a Markdown cell rewritten for Colab (inline roles; boxes;
  listings, figures and glued outputs; the block-by-block rewriting);
- ``page``: one page as a notebook.
"""
