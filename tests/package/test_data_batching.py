import pytest
import torch

from lmtutorial.data.batching import batchify, lm_batches, lm_stream, pad_sequences
from lmtutorial.data.text import Vocabulary


def test_stream_ends_every_text_with_eos():
    vocab = Vocabulary.build(["a good film", "a bad film"])
    stream = lm_stream(["good film", "bad"], vocab)
    assert vocab.decode(stream, skip_specials=False) == "good film <eos> bad <eos>"


def test_empty_text_is_a_clear_error():
    vocab = Vocabulary.build(["a good film"])
    with pytest.raises(ValueError, match=r"texts\[1\]: text: expected at least one word, got ' '"):
        lm_stream(["good", " "], vocab)
    with pytest.raises(ValueError, match="texts: expected at least one text, got none"):
        lm_stream([], vocab)


def test_batches_are_targets_shifted_by_one():
    stream = torch.arange(23)
    batches = lm_batches(stream, batch_size=2, bptt=5)
    assert [tuple(x.shape) for x, _ in batches] == [(2, 5), (2, 5)]
    for x, y in batches:
        torch.testing.assert_close(y, x + 1)
    assert batches[0][0][0].tolist() == [0, 1, 2, 3, 4] and batches[1][0][1].tolist() == [15, 16, 17, 18, 19]


def test_seeded_batches_shuffle_and_shift():
    stream = torch.arange(200)
    first, again, other = (lm_batches(stream, 4, 7, seed=s) for s in (1, 1, 2))
    assert all(torch.equal(a[0], b[0]) for a, b in zip(first, again))
    assert not all(torch.equal(a[0], b[0]) for a, b in zip(first, other))
    for x, y in first:
        torch.testing.assert_close(y, x + 1)


def test_too_short_streams_are_clear():
    with pytest.raises(ValueError, match="stream: expected more than 5 tokens for one window, got 5"):
        lm_batches(torch.arange(5), 2, 5)
    with pytest.raises(ValueError, match="stream: expected at least 8 tokens for batch_size=4, got 7"):
        batchify(torch.arange(7), 4)


def test_batchify_keeps_rows_contiguous():
    rows = batchify(torch.arange(10), 3)
    assert rows.tolist() == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]


def test_pad_sequences():
    ids, lengths = pad_sequences([[5, 6, 7], [8]], pad_id=0)
    assert ids.tolist() == [[5, 6, 7], [8, 0, 0]] and lengths.tolist() == [3, 1]
    with pytest.raises(ValueError, match="expected a non-empty list of non-empty sequences"):
        pad_sequences([[1], []], 0)


@pytest.mark.parametrize("batch_size", [0, -2, 2.5])
def test_batchify_rejects_a_batch_size_below_one(batch_size):
    with pytest.raises(ValueError, match=rf"batch_size: expected an integer >= 1, got {batch_size}"):
        batchify(torch.arange(10), batch_size)
