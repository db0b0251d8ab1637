"""Chapter 6: the applications of a language model, one module per section page (``book/ch06_<n>_<name>.md``),
each trained and measured against a control."""
