"""lmtutorial: the tested code behind the executable book *Language models from theory to practice*.

Every formula the book works through lives here once; the chapters import it.

``import lmtutorial`` does not import ``datasets``, ``transformers`` or ``matplotlib``: the names of ``data`` (which
uses ``datasets``) and of ``extract`` (which imports ``data``) are loaded on first use.
"""

import importlib

from .batching import batchify, lm_batches, lm_stream, pad_sequences
from .bleu import corpus_bleu, sentence_bleu
from .compute import (
    bert_parameter_count,
    compute_optimal,
    forward_flops_per_token,
    gpt2_parameter_count,
    model_state_bytes,
    saved_activation_bytes,
    training_flops,
)
from .evaluate import perplexity, stream_loss, unigram_perplexity
from .language_model import lm_loss, LSTMLanguageModel
from .layers import Embedding, OutputLayer, read_word_vectors, write_word_vectors
from .losses import cross_entropy, log_softmax
from .lstm import (
    LSTM,
    lstm_cell_from_preactivation,
    lstm_gates,
    lstm_step,
    lstm_step_article,
    LSTMGates,
    LSTMLayerFunction,
)
from .metrics import accuracy, classification_scores, confusion_matrix, f1_per_class
from .optim import Adam
from .resources import profile, shared_dir, shared_path
from .rnn import rnn_step
from .sampling import generate, next_token
from .seq2seq import LSTMDecoder, LSTMEncoder, Seq2Seq, seq2seq_loss
from .skipgram import SkipGram, train_skipgram
from .text import Vocabulary
from .throughput import encoder_training_flops, model_flops_utilisation, peak_flops
from .training import clip_grad_norm, History, load_checkpoint, plot_history, save_checkpoint, train
from .vectors import cosine_similarity, nearest_neighbours

__version__ = "0.1.0"

_LAZY = {"load_imdb": "data", "extract_label": "extract", "find_scores": "extract"}


def __getattr__(name: str) -> object:
    """Import the module of a lazily loaded name (see ``_LAZY``) on first use."""
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
