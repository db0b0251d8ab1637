"""Chapter 6: the applications of a language model, each trained and measured against a control.

One module per section page of chapter 6 (``book/ch06_<n>_<name>.md``): the page calls the module's functions at
the size of its profile, and ``bench/ch06_full.py <name>`` runs the same page at full size.
"""
