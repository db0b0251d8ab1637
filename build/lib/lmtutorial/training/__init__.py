"""Training a model: the loop and checkpoints (:mod:`~lmtutorial.training.loop`), evaluation (perplexity) and
sampling/decoding."""
