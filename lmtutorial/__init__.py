"""lmtutorial: the tested code behind the executable book *Language models from theory to practice*.

Every formula the book works through lives here once; the chapters import it.

``import lmtutorial`` does not import ``datasets``, ``transformers`` or ``matplotlib``: the modules that use them
import them inside the functions that need them.
"""

from lmtutorial.book.resources import profile, shared_dir, shared_path
from lmtutorial.core.bleu import corpus_bleu, sentence_bleu
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
    compute_optimal,
    count_parameters,
    forward_flops_per_token,
    gpt2_parameter_count,
    model_state_bytes,
    saved_activation_bytes,
    training_flops,
)
from lmtutorial.costs import encoder_training_flops, model_flops_utilisation, peak_flops
from lmtutorial.data.batching import batchify, lm_batches, lm_stream, pad_sequences
from lmtutorial.data.extract import extract_label, find_scores
from lmtutorial.data.imdb import load_imdb
from lmtutorial.data.text import Vocabulary
from lmtutorial.models.language_model import lm_loss, LSTMLanguageModel
from lmtutorial.models.seq2seq import LSTMDecoder, LSTMEncoder, Seq2Seq, seq2seq_loss
from lmtutorial.models.skipgram import SkipGram, train_skipgram
from lmtutorial.training.evaluate import perplexity, stream_loss, unigram_perplexity
from lmtutorial.training.loop import clip_grad_norm, History, load_checkpoint, plot_history, save_checkpoint, train
from lmtutorial.training.sampling import generate, next_token

__version__ = "0.1.0"
