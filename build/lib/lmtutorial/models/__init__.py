"""Models built from :mod:`lmtutorial.core`: the LSTM language model, the sequence-to-sequence model, skip-gram."""
