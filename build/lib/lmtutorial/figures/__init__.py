"""Diagrams the chapters draw in code (matplotlib), one module per subject."""
