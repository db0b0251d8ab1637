import pytest
import torch

from lmtutorial.data.tasks import exact_match, number_batch, SOURCE_VOCAB, TARGET_VOCAB
from lmtutorial.models.seq2seq import (
    AttentionDecoder,
    LSTMDecoder,
    LSTMEncoder,
    Seq2Seq,
    seq2seq_loss,
)
from lmtutorial.training.loop import train


def make_model(seed=0, hidden=16, decoder=LSTMDecoder):
    """A toy digits-to-words translator, random weights from ``seed``; ``decoder``: fixed vector or attention."""
    torch.manual_seed(seed)
    return Seq2Seq(LSTMEncoder(len(SOURCE_VOCAB), 8, hidden), decoder(len(TARGET_VOCAB), 8, hidden))


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


def make_attention_model(seed=0, hidden=16):
    return make_model(seed, hidden, decoder=AttentionDecoder)


def test_attention_decoder_teacher_forcing_equals_step_by_step():
    model = make_attention_model().double()
    src, lengths, previous, _ = number_batch([4052, 17])
    logits = model(src, lengths, previous)
    state = model.encode(src, lengths)
    steps = []
    for t in range(previous.shape[1]):
        step_logits, state = model.decoder(previous[:, t:t + 1], state)
        steps.append(step_logits)
    torch.testing.assert_close(torch.cat(steps, 1), logits)


def test_attention_ignores_source_padding():
    model = make_attention_model().double()
    src, lengths, previous, _ = number_batch([42, 123456])
    weights = model.attention_weights(src, lengths, previous)
    assert weights.shape == (2, previous.shape[1], 6)
    assert (weights[0, :, 2:] == 0).all()  # 42 has two digits; the rest is padding
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, previous.shape[1], dtype=torch.float64))
    alone_src, alone_lengths, alone_previous, _ = number_batch([42])
    alone = model(alone_src, alone_lengths, alone_previous)
    torch.testing.assert_close(model(src, lengths, previous)[:1, : alone.shape[1]], alone)


def test_attention_context_is_the_weighted_sum_of_encoder_outputs():
    model = make_attention_model().double()
    src, lengths, previous, _ = number_batch([905, 31])
    outputs, _ = model.encoder(src, lengths)
    state = model.encode(src, lengths)
    hidden, _ = model.decoder.lstm(model.decoder.embedding(previous), (state.h, state.c))
    context, weights = model.decoder.attention(hidden, state.memory, state.memory_mask)
    torch.testing.assert_close(context, weights @ outputs)
    torch.testing.assert_close(weights, model.attention_weights(src, lengths, previous))


@pytest.mark.parametrize("make", [make_model, make_attention_model], ids=["fixed-vector", "attention"])
def test_beam_width_one_equals_greedy_translation(make):
    model = make()
    src, lengths, _, _ = number_batch([5, 81, 4052, 999_999])
    args = (src, lengths, TARGET_VOCAB.bos_id, TARGET_VOCAB.eos_id)
    assert model.beam_translate(*args, max_len=8, beam_width=1) == model.translate(*args, max_len=8)
    wide = model.beam_translate(*args, max_len=8, beam_width=3)
    assert len(wide) == 4 and all(TARGET_VOCAB.eos_id not in row for row in wide)


def test_attention_weights_need_an_attention_decoder():
    src, lengths, previous, _ = number_batch([7])
    with pytest.raises(TypeError, match="decoder: expected an AttentionDecoder, got LSTMDecoder"):
        make_model().attention_weights(src, lengths, previous)
