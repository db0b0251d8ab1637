"""Bad input gets one clear error naming what was expected and what came: never a silently wrong result, never a
traceback from deep inside another library. One row per case; numbers go through ``core.checks.check_number``, so
NaN, infinities, negatives and overflow are refused the same way everywhere.

The fine-tune's own cases (a diverged run, a resume with other settings) are fault tests in ``tests/package/test_faults.py``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

NAN, INF = float("nan"), float("inf")


def parameter() -> torch.nn.Parameter:
    p = torch.nn.Parameter(torch.ones(3))
    p.grad = torch.ones(3)
    return p


def adam(**kwargs):
    from lmtutorial.core.optim import Adam

    return Adam([parameter()], **kwargs)


def clip(max_norm):
    from lmtutorial.training.loop import clip_grad_norm

    return clip_grad_norm([parameter()], max_norm)


def perplexity(train, held_out, vocab_size, alpha=1.0):
    from lmtutorial.training.evaluate import unigram_perplexity

    return unigram_perplexity(torch.tensor(train), torch.tensor(held_out), vocab_size=vocab_size, alpha=alpha)


def accuracy(matrix):
    from lmtutorial.core.metrics import accuracy as of

    return of(matrix)


def pad(sequences):
    from lmtutorial.data.batching import pad_sequences

    return pad_sequences(sequences, 0)


def sample(count):
    from lmtutorial.data.tasks import sample_numbers

    return sample_numbers(count)


def mfu(flops, seconds, peak):
    from lmtutorial.costs import model_flops_utilisation

    return model_flops_utilisation(flops, seconds, peak)


def optimal(flops, k=20.0):
    from lmtutorial.costs import compute_optimal

    return compute_optimal(flops, k)


def flops(n_params, n_tokens):
    from lmtutorial.costs import training_flops

    return training_flops(n_params, n_tokens)


def config(**options):
    from lmtutorial.hf.config import check_config, FinetuneConfig

    return check_config(FinetuneConfig(output_dir="/nonexistent/run", **options))


# (id, call, error type, the start of the one line it must say)
ROWS = [
    ("adam lr nan", lambda: adam(lr=NAN), ValueError, "lr: expected a number > 0 (finite), got nan"),
    ("adam lr inf", lambda: adam(lr=INF), ValueError, "lr: expected a number > 0 (finite), got inf"),
    ("adam lr negative", lambda: adam(lr=-1e-3), ValueError, "lr: expected a number > 0, got -0.001"),
    ("adam lr string", lambda: adam(lr="0.1"), TypeError, "lr: expected a number > 0, got '0.1' (str)"),
    ("adam eps nan", lambda: adam(eps=NAN), ValueError, "eps: expected a number > 0 (finite), got nan"),
    ("adam weight decay negative", lambda: adam(weight_decay=-1), ValueError, "weight_decay: expected a number >= 0"),
    ("adam beta nan", lambda: adam(betas=(NAN, 0.9)), ValueError, "betas: expected a number >= 0 (finite), got nan"),
    ("adam beta 1", lambda: adam(betas=(0.9, 1.0)), ValueError, "betas: expected two values in [0, 1)"),
    ("adam no parameters", lambda: __import__("lmtutorial.core.optim", fromlist=["Adam"]).Adam([]), ValueError,
     "params: expected at least one parameter to optimise, got none"),
    ("clip negative", lambda: clip(-1), ValueError, "max_norm: expected a number > 0, got -1"),
    ("clip nan", lambda: clip(NAN), ValueError, "max_norm: expected a number > 0 (finite), got nan"),
    ("clip inf", lambda: clip(INF), ValueError, "max_norm: expected a number > 0 (finite), got inf"),
    ("unigram id outside the vocabulary", lambda: perplexity([0, 5], [1], 2), ValueError,
     "train: expected token ids in [0, 1] (the vocabulary), got values from 0 to 5"),
    ("unigram held-out id outside", lambda: perplexity([0, 1], [2], 2), ValueError,
     "held_out: expected token ids in [0, 1]"),
    ("unigram negative id", lambda: perplexity([-1, 1], [1], 2), ValueError, "train: expected token ids in [0, 1]"),
    ("unigram alpha nan", lambda: perplexity([0, 1], [1], 2, alpha=NAN), ValueError, "alpha: expected a number > 0"),
    ("unigram vocab 0", lambda: perplexity([0], [0], 0), ValueError, "vocab_size: expected an integer >= 1, got 0"),
    ("accuracy negative count", lambda: accuracy(np.array([[-1, 0], [0, 3]])), ValueError,
     "matrix: expected counts (whole numbers >= 0), got dtype int64 with values from -1 to 3"),
    ("accuracy of a list", lambda: accuracy([[1, 0], [0, 1]]), TypeError,
     "matrix: expected a numpy array of counts (confusion_matrix), got list"),
    ("accuracy of probabilities", lambda: accuracy(np.array([[0.5, 0.5], [0.2, 0.8]])), ValueError,
     "matrix: expected counts (whole numbers >= 0), got dtype float64 with values from 0.2 to 0.8"),
    ("accuracy not square", lambda: accuracy(np.ones((2, 3), dtype=int)), ValueError,
     "matrix: expected a square confusion matrix, got shape (2, 3)"),
    ("pad a float id", lambda: pad([[1.7]]), ValueError, "sequences: expected integer token ids, got [1.7]"),
    ("pad a bool id", lambda: pad([[True, 2]]), ValueError, "sequences: expected integer token ids"),
    ("sample -1 numbers", lambda: sample(-1), ValueError, "count: expected an integer >= 0, got -1"),
    ("sample nan numbers", lambda: sample(NAN), TypeError, "count: expected an integer >= 0, got nan (float)"),
    ("sample 2.5 numbers", lambda: sample(2.5), TypeError, "count: expected an integer >= 0, got 2.5 (float)"),
    ("mfu negative flops", lambda: mfu(-1e12, 1, 1e15), ValueError, "flops: expected a number >= 0, got -1e+12"),
    ("mfu nan flops", lambda: mfu(NAN, 1, 1e15), ValueError, "flops: expected a number >= 0 (finite), got nan"),
    ("mfu zero seconds", lambda: mfu(1e12, 0, 1e15), ValueError, "seconds: expected a number > 0, got 0"),
    ("mfu inf seconds", lambda: mfu(1e12, INF, 1e15), ValueError, "seconds: expected a number > 0 (finite), got inf"),
    ("mfu negative peak", lambda: mfu(1e12, 1, -1), ValueError, "peak: expected a number > 0, got -1"),
    ("compute-optimal inf", lambda: optimal(INF), ValueError, "flops: expected a number > 0 (finite), got inf"),
    ("compute-optimal nan k", lambda: optimal(1e20, NAN), ValueError, "tokens_per_parameter: expected a number > 0"),
    ("training flops negative", lambda: flops(-1, 10), ValueError, "n_params: expected a number > 0, got -1"),
    ("training flops overflow", lambda: flops(1e308, 1e308), ValueError, None),
    ("fine-tune epochs inf", lambda: config(epochs=INF), ValueError, "epochs: expected a number > 0 and <= 1000000 "
     "(finite), got inf"),
    ("fine-tune epochs 0", lambda: config(epochs=0), ValueError, "epochs: expected a number > 0 and <= 1000000, got 0"),
    ("fine-tune lr inf", lambda: config(learning_rate=INF), ValueError, "learning_rate: expected a number > 0 and "
     "<= 1 (finite), got inf"),
    ("fine-tune lr 1e10", lambda: config(learning_rate=1e10), ValueError, "learning_rate: expected a number > 0 and "
     "<= 1, got 1e+10"),
    ("fine-tune lr nan", lambda: config(learning_rate=NAN), ValueError, "learning_rate: expected a number > 0"),
    ("fine-tune warmup nan", lambda: config(warmup=NAN), ValueError, "warmup: expected a number >= 0 and <= 1 "
     "(finite), got nan"),
    ("fine-tune weight decay negative", lambda: config(weight_decay=-0.1), ValueError, "weight_decay: expected a "
     "number >= 0"),
    ("fine-tune weight decay nan", lambda: config(weight_decay=NAN), ValueError, "weight_decay: expected a number"),
    ("fine-tune seed overflow", lambda: config(seed=99999999999), ValueError, "seed: expected an integer >= 0 and "
     "<= 4294967295, got 99999999999"),
    ("fine-tune seed negative", lambda: config(seed=-1), ValueError, "seed: expected an integer >= 0"),
    ("fine-tune max length 2", lambda: config(max_length=2), ValueError, "max_length: expected an integer >= 3, "
     "got 2"),
    ("fine-tune max tokens 0", lambda: config(max_tokens=0), ValueError, "max_tokens: expected an integer >= 3"),
    ("fine-tune validation nan", lambda: config(validation_fraction=NAN), ValueError, "validation_fraction: expected "
     "a number > 0 and <= 1 (finite), got nan"),
    ("fine-tune validation 1", lambda: config(validation_fraction=1.0), ValueError, "validation_fraction: expected "
     "a share of train strictly between 0 and 1, got 1"),
    ("fine-tune eval batch 0", lambda: config(eval_batch_size=0), ValueError, "eval_batch_size: expected an integer"),
    ("fine-tune train size 1", lambda: config(train_size=1), ValueError, "train_size: expected an integer >= 2"),
    ("fine-tune workers negative", lambda: config(num_workers=-1), ValueError, "num_workers: expected an integer"),
    ("fine-tune labels 1", lambda: config(num_labels=1), ValueError, "num_labels: expected an integer >= 2, got 1"),
    ("fine-tune checkpoints 0", lambda: config(keep_checkpoints=0), ValueError, "keep_checkpoints: expected an "
     "integer >= 1, got 0"),
    ("cosine of empty vectors", lambda: cosine(torch.zeros(0), torch.zeros(0)), ValueError,
     "cosine_similarity: expected vectors with at least one entry, got empty vectors"),
    ("confusion matrix of '2' labels", lambda: confusion([0], [0], "2"), TypeError,
     "num_labels: expected an integer >= 1 and <= 10000, got '2' (str)"),
    ("confusion matrix of a million labels", lambda: confusion([0], [0], 10**6), ValueError,
     "num_labels: expected an integer >= 1 and <= 10000, got 1000000"),
    ("log-softmax of a list", lambda: log_softmax([1.0, 2.0]), TypeError,
     "logits: expected a torch.Tensor, got list"),
    ("embedding of nan rows", lambda: embedding(NAN, 4), TypeError, "num_embeddings: expected an integer >= 1, "
     "got nan (float)"),
    ("embedding of 0 columns", lambda: embedding(5, 0), ValueError, "embedding_dim: expected an integer >= 1, got 0"),
    ("number to words of 3.5", lambda: words(3.5), TypeError, "n: expected an integer >= 0 and <= 999999, got 3.5"),
    ("number to words of -1", lambda: words(-1), ValueError, "n: expected an integer >= 0 and <= 999999, got -1"),
    ("peak flops of None", lambda: peak(None), TypeError, "device_name: expected a GPU's name"),
    ("clean review of None", lambda: clean(None), TypeError, "text: expected a review as a str, got NoneType"),
    ("imdb folder 5", lambda: imdb_dir(5), TypeError, "path: expected a folder (str or Path) with train.parquet"),
    ("collate an empty batch", lambda: collate([]), ValueError, "examples: expected a batch of at least one example"),
    ("collate without a pad id", lambda: collate([{"input_ids": [1, 2]}], None), ValueError,
     "pad_token_id: expected the tokenizer's padding id, got None"),
    ("batches of size 0", lambda: fixed(10, 0), ValueError, "batch_size: expected an integer >= 1, got 0"),
    ("batches of -1 examples", lambda: fixed(-1, 4), ValueError, "n: expected an integer >= 0, got -1"),
    ("tokenize a missing review", lambda: tokenize_none(), ValueError,
     "data: expected a review (text) in every row, got 1 rows without one (None)"),
    ("sampling temperature nan", lambda: sample_token(NAN), ValueError,
     "temperature: expected a number >= 0 (finite), got nan"),
    ("sampling temperature -1", lambda: sample_token(-1.0), ValueError, "temperature: expected a number >= 0, got -1"),
    ("train 1.5 epochs", lambda: train_for(1.5), TypeError, "epochs: expected an integer >= 1, got 1.5 (float)"),
    ("train at lr inf", lambda: train_for(1, lr=INF), ValueError, "lr: expected a number > 0 (finite), got inf"),
    ("beam width 0", lambda: beam(0), ValueError, "beam_width: expected an integer >= 1, got 0"),
    ("beam alpha nan", lambda: beam(2, alpha=NAN), ValueError, "alpha: expected a number >= 0 (finite), got nan"),
    ("distillation temperature nan", lambda: distil(temperature=NAN), ValueError,
     "temperature: expected a number > 0 (finite), got nan"),
    ("distillation alpha 2", lambda: distil(alpha=2.0), ValueError, "alpha: expected a number >= 0 and <= 1, got 2"),
    ("subsample threshold nan", lambda: keep(NAN), ValueError, "subsample: expected a number > 0 (finite), got nan"),
    ("masking rate nan", lambda: mask(NAN), ValueError, "rate: expected a number (finite), got nan"),
    ("masking share inf", lambda: mask(0.15, mask_share=INF), ValueError, "mask_share: expected a number >= 0 and "
     "<= 1 (finite), got inf"),
    ("multi-task weight nan", lambda: two_tasks(NAN), ValueError, "sentiment_weight: expected a number >= 0 "
     "(finite), got nan"),
    ("null windows per answer nan", lambda: balance(NAN), ValueError, "null_per_answer: expected a number >= 0 "
     "(finite), got nan"),
    ("scaled learning rate inf", lambda: scaled(INF), ValueError, "learning_rate: expected a number > 0 (finite), "
     "got inf"),
    ("padding of a batch outside lengths", lambda: padding([3, 4], [[0, 5]]), ValueError,
     "batches: expected indices of lengths in [0, 1], got [5]"),
]


def cosine(a, b):
    from lmtutorial.core.vectors import cosine_similarity

    return cosine_similarity(a, b)


def confusion(labels, predictions, num_labels):
    from lmtutorial.core.metrics import confusion_matrix

    return confusion_matrix(labels, predictions, num_labels)


def log_softmax(logits):
    from lmtutorial.core.losses import log_softmax as of

    return of(logits)


def embedding(rows, columns):
    from lmtutorial.core.layers import Embedding

    return Embedding(rows, columns)


def words(n):
    from lmtutorial.data.tasks import number_to_words

    return number_to_words(n)


def peak(name):
    from lmtutorial.costs import peak_flops

    return peak_flops(name)


def clean(text):
    from lmtutorial.data.text import clean_review

    return clean_review(text)


def imdb_dir(path):
    from lmtutorial.data.imdb import imdb_parquet_dir

    return imdb_parquet_dir(path)


def collate(examples, pad_token_id=0):
    from lmtutorial.hf.bert_data import PadCollator

    return PadCollator(pad_token_id)(examples)


def fixed(n, batch_size):
    from lmtutorial.hf.bert_data import fixed_size_batches

    return fixed_size_batches(n, batch_size)


def tokenize_none():
    import datasets
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    from lmtutorial.hf.bert_data import tokenize_reviews

    words = Tokenizer(models.WordLevel({"[UNK]": 0, "[CLS]": 1, "[SEP]": 2, "good": 3}, unk_token="[UNK]"))
    words.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=words, unk_token="[UNK]", cls_token="[CLS]",
                                        sep_token="[SEP]")
    reviews = datasets.Dataset.from_dict({"text": ["good", None], "label": [1, 0]})
    return tokenize_reviews(reviews, tokenizer, max_length=8, truncation="head")


def sample_token(temperature):
    from lmtutorial.training.sampling import next_token

    return next_token(torch.zeros(1, 4), temperature)


def train_for(epochs, lr=1e-3):
    from lmtutorial.training.loop import train

    model = torch.nn.Linear(2, 1)
    return train(model, [torch.zeros(1, 2)], lambda m, batch: m(batch).sum(), epochs=epochs, lr=lr, progress=False)


def beam(width, alpha=0.0):
    from lmtutorial.training.beam import beam_search

    return beam_search(lambda tokens, state: (torch.zeros(len(tokens), 3), state), None, lambda state, rows: state,
                       start_token=0, eos_id=1, beam_width=width, max_len=3, alpha=alpha)


def distil(**options):
    from lmtutorial.methods.distillation import distillation_loss

    return distillation_loss(torch.zeros(2, 2), torch.zeros(2, 2), torch.tensor([0, 1]), **options)


def keep(threshold):
    from lmtutorial.models.skipgram import keep_probability

    return keep_probability(torch.tensor([3, 1]), threshold)


def mask(rate, **options):
    from lmtutorial.methods.masked_lm import Masker, mask_tokens

    return mask_tokens(torch.tensor([[2, 5, 6, 3]]), Masker(mask_id=4, vocab_size=8, special_ids=(0, 2, 3)), rate,
                       **options)


def two_tasks(weight):
    from lmtutorial.methods.multitask import multitask_loss

    return multitask_loss(torch.zeros(2, 2), torch.zeros(2), torch.tensor([0, 1]), torch.zeros(2),
                          sentiment_weight=weight)


def balance(null_per_answer):
    from lmtutorial.data.qa import balance_windows

    return balance_windows({"start_positions": [1, 0], "end_positions": [1, 0], "input_ids": [[1], [2]]},
                           null_per_answer)


def scaled(rate):
    from lmtutorial.hf.trainer import scaled_learning_rate

    return scaled_learning_rate(rate, 32.0)


def padding(lengths, batches):
    from lmtutorial.hf.bert_data import padding_fraction

    return padding_fraction(lengths, batches)


@pytest.mark.parametrize(("call", "error", "line"), [row[1:] for row in ROWS], ids=[row[0] for row in ROWS])
def test_bad_input_gets_one_clear_line(call, error, line):
    with pytest.raises(error) as raised:
        call()
    message = str(raised.value)
    assert "\n" not in message, message
    if line is not None:
        assert message.startswith(line), message


def test_the_table_has_a_row_for_every_case():
    assert len({row[0] for row in ROWS}) == len(ROWS)


@pytest.mark.parametrize("value", [0.5, 1, np.float32(0.25), torch.tensor(0.75)])
def test_check_number_passes_good_numbers_through(value):
    from lmtutorial.core.checks import check_number

    assert math.isclose(check_number("x", value, above=0, maximum=1), float(value))


def test_check_number_takes_a_whole_float_as_an_integer():
    from lmtutorial.core.checks import check_number

    assert check_number("n", 3.0, integer=True) == 3 and isinstance(check_number("n", 3.0, integer=True), int)
