import pytest
import torch

from lmtutorial import LSTMDecoder, LSTMEncoder, Seq2Seq, seq2seq_loss, train
from lmtutorial.data.tasks import TARGET_VOCAB, SOURCE_VOCAB, exact_match, number_batch


def make_model(seed=0, hidden=16):
    torch.manual_seed(seed)
    return Seq2Seq(LSTMEncoder(len(SOURCE_VOCAB), 8, hidden), LSTMDecoder(len(TARGET_VOCAB), 8, hidden))


def test_encoder_final_state_ignores_padding():
    model = make_model()
    src, lengths, _, _ = number_batch([42, 123456])
    _, (h, _) = model.encoder(src, lengths)
    _, (h_alone, _) = model.encoder(src[:1, :2], lengths[:1])
    torch.testing.assert_close(h[:, :1], h_alone)


def test_teacher_forcing_equals_step_by_step_decoding_of_the_same_tokens():
    model = make_model().double()
    src, lengths, previous, _ = number_batch([4052, 17])
    logits = model(src, lengths, previous)
    _, state = model.encoder(src, lengths)
    steps = []
    for t in range(previous.shape[1]):
        step_logits, state = model.decoder(previous[:, t:t + 1], state)
        steps.append(step_logits)
    torch.testing.assert_close(torch.cat(steps, 1), logits)


def test_greedy_decoding_is_argmax_fed_back_and_stops_at_eos():
    model = make_model()
    src, lengths, _, _ = number_batch([5, 81])
    eos = TARGET_VOCAB.eos_id
    _, state = model.encoder(src, lengths)
    ids = model.decoder.decode(state, TARGET_VOCAB.bos_id, eos, max_len=6)
    assert ids.shape[0] == 2 and ids.shape[1] <= 6
    for row in ids.tolist():
        if eos in row:
            assert all(t == TARGET_VOCAB.pad_id for t in row[row.index(eos) + 1:])
    translated = model.translate(src, lengths, TARGET_VOCAB.bos_id, eos, max_len=6)
    assert translated == [row[: row.index(eos)] if eos in row else row for row in ids.tolist()]
    sampled = model.translate(src, lengths, TARGET_VOCAB.bos_id, eos, max_len=6, temperature=1.0, seed=0)
    assert sampled == model.translate(src, lengths, TARGET_VOCAB.bos_id, eos, max_len=6, temperature=1.0, seed=0)


def test_learns_a_small_set_of_numbers():
    model = make_model(hidden=32)
    numbers = list(range(0, 100, 3))
    batch = number_batch(numbers)
    train(model, [batch], seq2seq_loss, epochs=150, lr=0.02, progress=False)
    src, lengths, _, target = batch
    predicted = model.translate(src, lengths, TARGET_VOCAB.bos_id, TARGET_VOCAB.eos_id, max_len=4)
    references = [row[: row.index(TARGET_VOCAB.eos_id)] for row in target.tolist()]
    assert exact_match(predicted, references) > 0.9


def test_mismatched_encoder_and_decoder():
    with pytest.raises(ValueError, match="decoder: expected hidden_size=16 and num_layers=1 like the encoder, got 8"):
        Seq2Seq(LSTMEncoder(12, 4, 16), LSTMDecoder(12, 4, 8))
