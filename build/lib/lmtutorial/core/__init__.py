"""The from-scratch pieces chapters 3 and 4 teach: word vectors, RNN and LSTM cells, layers, losses, Adam, metrics,
BLEU, and the one module of argument checks they share (:mod:`lmtutorial.core.checks`)."""
