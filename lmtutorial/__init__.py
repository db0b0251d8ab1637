"""lmtutorial: the tested code behind the executable book *Language models from theory to practice*.

Every formula the book works through lives here once; the chapters import it.

``import lmtutorial`` does not import ``datasets``, ``transformers`` or ``matplotlib``: the modules that use them
import them inside the functions that need them.
"""

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
from .data import load_imdb
from .evaluate import perplexity, stream_loss, unigram_perplexity
from .extract import extract_label, find_scores
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
