"""lmtutorial: the tested code behind the executable book *Language models from theory to practice*.

Every formula the book works through lives here once; the chapters import it.

The chapters import what they use from here (``from lmtutorial import X``). ``import lmtutorial`` does not import
``datasets``, ``transformers`` or ``matplotlib``: the modules that use them import them inside the functions that
need them, and the Hugging Face side (:mod:`lmtutorial.hf`) is imported when one of its names is first used.
"""

from lmtutorial.book.goals import BERT_BASE_EPOCH_SECONDS, MINILM_END_TO_END_SECONDS, MINILM_TEST_ACCURACY
from lmtutorial.book.pages import glue
from lmtutorial.book.resources import profile, shared_dir, shared_path
from lmtutorial.core.bleu import corpus_bleu, modified_precision, sentence_bleu
from lmtutorial.core.layers import Embedding, OutputLayer, read_word_vectors, write_word_vectors
from lmtutorial.core.losses import cross_entropy, log_softmax
from lmtutorial.core.lstm import (
    LSTM,
    lstm_cell_from_preactivation,
    lstm_gates,
    lstm_step,
    lstm_step_article,
    LSTMGates,
    LSTMLayerFunction,
)
from lmtutorial.core.metrics import accuracy, classification_scores, confusion_matrix, f1_per_class
from lmtutorial.core.optim import Adam
from lmtutorial.core.rnn import rnn_step
from lmtutorial.core.vectors import cosine_similarity, nearest_neighbours
from lmtutorial.costs import (
    bert_parameter_count,
    CHINCHILLA_TOKENS_PER_PARAMETER,
    compute_optimal,
    count_parameters,
    encoder_training_flops,
    forward_flops_per_token,
    gpt2_parameter_count,
    model_flops_utilisation,
    model_state_bytes,
    peak_flops,
    saved_activation_bytes,
    training_flops,
)
from lmtutorial.data.batching import batchify, lm_batches, lm_stream, pad_sequences
from lmtutorial.data.extract import extract_label, find_scores, SCORE_PATTERN
from lmtutorial.data.imdb import imdb_parquet_dir, IMDbUnavailable, load_imdb, require_imdb
from lmtutorial.data.tasks import exact_match, number_batch, number_to_words, sample_numbers, SOURCE_VOCAB, TARGET_VOCAB
from lmtutorial.data.text import clean_review, tokenize_words, Vocabulary
from lmtutorial.models.language_model import lm_loss, LSTMLanguageModel
from lmtutorial.models.seq2seq import LSTMDecoder, LSTMEncoder, Seq2Seq, seq2seq_loss
from lmtutorial.models.skipgram import SkipGram, train_skipgram
from lmtutorial.plots import plot_loss_curves
from lmtutorial.provenance import hardware, library_versions, write_json
from lmtutorial.results import load_result, result_files
from lmtutorial.training.evaluate import perplexity, stream_loss, unigram_perplexity
from lmtutorial.training.loop import clip_grad_norm, History, load_checkpoint, plot_history, save_checkpoint, train
from lmtutorial.training.sampling import generate, next_token

# The Hugging Face side is imported when one of its names is first asked for (PEP 562), so that
# ``import lmtutorial`` does not import transformers or datasets.
_LAZY = {
    "fixed_size_batches": "lmtutorial.hf.bert_data",
    "head_tail": "lmtutorial.hf.bert_data",
    "padding_fraction": "lmtutorial.hf.bert_data",
    "token_lengths": "lmtutorial.hf.bert_data",
    "TokenBudgetBatchSampler": "lmtutorial.hf.bert_data",
    "ARTICLE_TRAINING_ARGUMENTS": "lmtutorial.hf.config",
    "finetune": "lmtutorial.hf.finetune",
    "FinetuneConfig": "lmtutorial.hf.config",
    "resolve_precision": "lmtutorial.hf.config",
    "training_arguments": "lmtutorial.hf.trainer",
    "plot_confusion_matrix": "lmtutorial.hf.report",
    "plot_loss_curve": "lmtutorial.hf.report",
    "tiny_bert": "lmtutorial.hf.tiny_bert",
    "toy_reviews": "lmtutorial.hf.tiny_bert",
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'lmtutorial' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})

__version__ = "0.1.0"
