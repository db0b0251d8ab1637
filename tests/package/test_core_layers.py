import pytest
import torch

from lmtutorial.core.layers import (
    Embedding,
    OutputLayer,
    read_word_vectors,
    write_word_vectors,
)


def test_embedding_matches_torch_including_padding():
    torch.manual_seed(0)
    ours = Embedding(6, 3, padding_idx=0).double()
    reference = torch.nn.Embedding(6, 3, padding_idx=0).double()
    reference.load_state_dict(ours.state_dict())
    ids = torch.tensor([[1, 0, 5], [5, 5, 0]])
    torch.testing.assert_close(ours(ids), reference(ids))
    for module in (ours, reference):
        (module(ids) ** 2).sum().backward()
    torch.testing.assert_close(ours.weight.grad, reference.weight.grad)
    assert (ours.weight.grad[0] == 0).all()


def test_embedding_is_one_hot_times_table():
    embedding = Embedding(5, 2).double()
    ids = torch.tensor([4, 0, 2])
    torch.testing.assert_close(embedding(ids), torch.nn.functional.one_hot(ids, 5).double() @ embedding.weight)


def test_from_pretrained_copies_and_freezes():
    vectors = torch.arange(12.0).view(4, 3)
    frozen = Embedding.from_pretrained(vectors)
    trainable = Embedding.from_pretrained(vectors, freeze=False)
    torch.testing.assert_close(frozen(torch.tensor([2])), vectors[2:3])
    assert not frozen.weight.requires_grad and trainable.weight.requires_grad
    vectors[0] = -1  # a copy, not a view
    assert frozen.weight[0, 0] == 0


@pytest.mark.parametrize("header", [True, False])
def test_word_vector_file_round_trip(tmp_path, header):
    words, vectors = ["the", "movie", "good"], torch.tensor([[0.5, -1.0], [2.0, 0.25], [1.5, 3.0]])
    path = tmp_path / "vectors.txt"
    write_word_vectors(path, words, vectors, header=header)
    assert (path.read_text().splitlines()[0] == "3 2") is header
    read_words, read = read_word_vectors(path)
    assert read_words == words
    torch.testing.assert_close(read, vectors)

    vocab = ["<pad>", "<unk>", "movie", "unseen", "the"]
    embedding = Embedding.from_word_vectors(path, vocab, freeze=True)
    torch.testing.assert_close(embedding.weight[2], vectors[1])
    torch.testing.assert_close(embedding.weight[4], vectors[0])
    assert embedding.found.tolist() == [False, False, True, False, True]
    assert (embedding.weight[0] == 0).all() and not embedding.weight.requires_grad


def test_bad_word_vector_files_are_clear(tmp_path):
    path = tmp_path / "bad.txt"
    for text, message in [
        ("the 0.1 0.2\nmovie 0.3\n", r"line 2: expected 2 numbers after the word \(as on the first line\), got 1"),
        ("3 2\nthe 0.1 0.2\n", "the header promises 3 vectors of 2 numbers, got 1 of 2"),
        ("the 0.1 abc\n", "line 1: expected numbers after the word"),
        ("", "expected word vectors, got an empty file"),
    ]:
        path.write_text(text)
        with pytest.raises(ValueError, match=message):
            read_word_vectors(path)
    path.write_text("zebra 0.1 0.2\n")
    with pytest.raises(ValueError, match="none of the 3 vocabulary words has a vector in this file"):
        Embedding.from_word_vectors(path, ["<pad>", "<unk>", "movie"])


def test_embedding_rejects_bad_ids():
    embedding = Embedding(4, 2)
    with pytest.raises(ValueError, match=r"ids: expected token ids in \[0, 3\] \(the vocabulary\), got values from 0 to 4"):
        embedding(torch.tensor([0, 4]))
    with pytest.raises(ValueError, match="ids: expected integer token ids, got dtype torch.float32"):
        embedding(torch.tensor([0.0]))


def test_output_layer_matches_linear():
    torch.manual_seed(1)
    ours = OutputLayer(4, 9).double()
    reference = torch.nn.Linear(4, 9).double()
    reference.load_state_dict(ours.state_dict())
    hidden = torch.randn(2, 3, 4, dtype=torch.float64)
    torch.testing.assert_close(ours(hidden), reference(hidden))
    assert ours.weight.abs().max() <= 0.5  # ±1/√H
    with pytest.raises(ValueError, match=r"hidden: expected shape \(..., hidden_size\) = \(\*, 4\), got \(2, 5\)"):
        ours(torch.zeros(2, 5, dtype=torch.float64))
