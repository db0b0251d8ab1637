"""lmtutorial.LSTM (the sequence layer in lmtutorial/core/lstm.py) against torch.nn.LSTM, in float64."""

import pytest
import torch

from lmtutorial import LSTM, LSTMLayerFunction, lstm_cell_from_preactivation, lstm_gates


def pair(input_size=5, hidden_size=7, num_layers=1, batch_first=False, seed=0):
    torch.manual_seed(seed)
    reference = torch.nn.LSTM(input_size, hidden_size, num_layers, batch_first=batch_first).double()
    ours = LSTM(input_size, hidden_size, num_layers, batch_first=batch_first).double()
    ours.load_state_dict(reference.state_dict())
    return ours, reference


def test_parameter_names_and_shapes_follow_torch():
    ours, reference = pair(num_layers=2)
    assert [(n, p.shape) for n, p in ours.named_parameters()] == \
        [(n, p.shape) for n, p in reference.named_parameters()]


@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("batch_first", [False, True])
def test_outputs_and_gradients_match_torch(num_layers, batch_first):
    ours, reference = pair(num_layers=num_layers, batch_first=batch_first)
    x = torch.randn(*((3, 6) if batch_first else (6, 3)), 5, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(num_layers, 3, 7, dtype=torch.float64, requires_grad=True)
    c0 = torch.randn(num_layers, 3, 7, dtype=torch.float64, requires_grad=True)
    weights = torch.randn(*x.shape[:2], 7, dtype=torch.float64)
    results = []
    for module in (ours, reference):
        output, (h_n, c_n) = module(x, (h0, c0))
        loss = (output * weights).sum() + (h_n ** 2).sum() + c_n.sum()
        results.append((output, h_n, c_n, *torch.autograd.grad(loss, [x, h0, c0, *module.parameters()])))
    for mine, theirs in zip(*results):
        torch.testing.assert_close(mine, theirs, atol=1e-9, rtol=0)


@pytest.mark.parametrize("batch_first", [False, True])
def test_padding_matches_packed_sequences(batch_first):
    ours, reference = pair(num_layers=2, batch_first=batch_first)
    x = torch.randn(*((3, 6) if batch_first else (6, 3)), 5, dtype=torch.float64, requires_grad=True)
    lengths = torch.tensor([6, 2, 4])
    output, (h_n, c_n) = ours(x, lengths=lengths)
    packed = torch.nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=batch_first, enforce_sorted=False)
    packed_out, (ref_h, ref_c) = reference(packed)
    ref_out, _ = torch.nn.utils.rnn.pad_packed_sequence(packed_out, batch_first=batch_first, total_length=6)
    for mine, theirs in ((output, ref_out), (h_n, ref_h), (c_n, ref_c)):
        torch.testing.assert_close(mine, theirs, atol=1e-9, rtol=0)
    grads = [torch.autograd.grad((out ** 2).sum() + h.sum(), x)[0]
             for out, h in ((output, h_n), (ref_out, ref_h))]
    torch.testing.assert_close(grads[0], grads[1], atol=1e-9, rtol=0)


def test_mask_is_the_same_as_lengths():
    ours, _ = pair(batch_first=True)
    x = torch.randn(2, 5, 5, dtype=torch.float64)
    lengths = torch.tensor([5, 3])
    mask = torch.arange(5) < lengths.unsqueeze(1)
    by_lengths, by_mask = ours(x, lengths=lengths), ours(x, mask=mask)
    torch.testing.assert_close(by_lengths[0], by_mask[0])
    assert (by_mask[0][1, 3:] == 0).all()


def test_backward_through_time_passes_gradcheck():
    torch.manual_seed(3)
    x = torch.randn(4, 2, 3, dtype=torch.float64, requires_grad=True)
    h0, c0 = (torch.randn(2, 4, dtype=torch.float64, requires_grad=True) for _ in range(2))
    weights = [torch.randn(16, 3, dtype=torch.float64, requires_grad=True),
               torch.randn(16, 4, dtype=torch.float64, requires_grad=True),
               torch.randn(16, dtype=torch.float64, requires_grad=True),
               torch.randn(16, dtype=torch.float64, requires_grad=True)]
    mask = torch.tensor([[True, True], [True, False], [False, True], [True, False]]).unsqueeze(-1)
    for step_mask in (None, mask):
        assert torch.autograd.gradcheck(lambda *a: LSTMLayerFunction.apply(*a, step_mask), (x, h0, c0, *weights))


def test_gate_math_is_shared_with_lstm_gates():
    torch.manual_seed(4)
    pre, c = torch.randn(3, 8, dtype=torch.float64), torch.randn(3, 2, dtype=torch.float64)
    W_ih, W_hh = torch.zeros(8, 1, dtype=torch.float64), torch.zeros(8, 2, dtype=torch.float64)
    via_step = lstm_gates(torch.zeros(3, 1, dtype=torch.float64), torch.zeros(3, 2, dtype=torch.float64), c,
                          W_ih, W_hh, pre[0], None)
    direct = lstm_cell_from_preactivation(pre[0].expand(3, 8), c)
    for a, b in zip(via_step, direct):
        torch.testing.assert_close(a, b)


def test_dropout_between_layers_only_in_training():
    torch.manual_seed(5)
    lstm = LSTM(3, 4, num_layers=2, dropout=0.5)
    x = torch.randn(5, 2, 3)
    lstm.eval()
    torch.testing.assert_close(lstm(x)[0], lstm(x)[0])
    lstm.train()
    assert not torch.equal(lstm(x)[0], lstm(x)[0])


def test_bad_inputs_are_clear():
    lstm = LSTM(3, 4)
    with pytest.raises(ValueError, match=r"input: expected shape \(seq_len, batch, input_size\) = \(\*, \*, 3\), "
                                         r"got \(5, 2\)"):
        lstm(torch.zeros(5, 2))
    with pytest.raises(ValueError, match=r"input: expected dtype torch.float32 like the weights, got torch.float64"):
        lstm(torch.zeros(5, 2, 3, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"lengths: expected integers in \[1, 5\] \(the padded length\), got values "
                                         r"from 0 to 5"):
        lstm(torch.zeros(5, 2, 3), lengths=torch.tensor([5, 0]))
    with pytest.raises(ValueError, match=r"h_0: expected shape \(num_layers, batch, hidden_size\) = \(1, 2, 4\)"):
        lstm(torch.zeros(5, 2, 3), (torch.zeros(2, 4), torch.zeros(2, 4)))
    with pytest.raises(ValueError, match=r"lengths: expected integers, got dtype torch.float32"):
        lstm(torch.zeros(5, 2, 3), lengths=torch.tensor([5.0, 2.0]))
    with pytest.raises(ValueError, match="mask: expected dtype torch.bool"):
        lstm(torch.zeros(5, 2, 3), mask=torch.ones(5, 2))
    with pytest.raises(ValueError, match="dropout: expected a probability in"):
        LSTM(3, 4, dropout=1.0)


@pytest.mark.parametrize("batch_first", [False, True])
def test_empty_batch_gives_empty_outputs_like_torch(batch_first):
    ours, reference = pair(num_layers=2, batch_first=batch_first)
    x = torch.zeros(*((0, 6) if batch_first else (6, 0)), 5, dtype=torch.float64, requires_grad=True)
    output, (h_n, c_n) = ours(x)
    ref_output, (ref_h, ref_c) = reference(x)
    assert [t.shape for t in (output, h_n, c_n)] == [t.shape for t in (ref_output, ref_h, ref_c)]
    grads = torch.autograd.grad(output.sum() + h_n.sum() + c_n.sum(), [x, *ours.parameters()])
    assert grads[0].shape == x.shape
    assert all(torch.equal(g, torch.zeros_like(g)) for g in grads[1:])
    assert ours(x, lengths=torch.zeros(0, dtype=torch.long))[0].shape == output.shape


@pytest.mark.parametrize("batch_first", [False, True])
def test_empty_sequence_is_one_clear_error(batch_first):
    lstm = LSTM(3, 4, batch_first=batch_first)
    shape = (2, 0, 3) if batch_first else (0, 2, 3)
    with pytest.raises(ValueError, match=r"input: expected at least one time step \(seq_len >= 1\), "
                                         rf"got shape \({shape[0]}, {shape[1]}, 3\)"):
        lstm(torch.zeros(shape))
    with pytest.raises(RuntimeError):  # torch.nn.LSTM refuses it too
        torch.nn.LSTM(3, 4, batch_first=batch_first)(torch.zeros(shape))


@pytest.mark.parametrize(("args", "error", "message"), [
    (("2", 3), TypeError, "input_size: expected a positive int, got str '2'"),
    ((2.0, 3), TypeError, "input_size: expected a positive int, got float 2.0"),
    ((True, 3), TypeError, "input_size: expected a positive int, got bool True"),
    ((3, 0), ValueError, "hidden_size: expected a positive int, got 0"),
    ((3, 4, -1), ValueError, "num_layers: expected a positive int, got -1"),
    ((3, 4, 2, False, "0.5"), TypeError, "dropout: expected a probability in \\[0, 1\\), got str '0.5'"),
])
def test_sizes_must_be_positive_ints(args, error, message):
    with pytest.raises(error, match=f"^{message}$"):
        LSTM(*args)


def test_outputs_may_be_changed_in_place():
    ours, reference = pair()
    x = torch.randn(6, 3, 5, dtype=torch.float64, requires_grad=True)
    grads = []
    for module in (ours, reference):
        output, (h_n, c_n) = module(x)
        for result in (output, h_n, c_n):
            result.mul_(2)
        grads.append(torch.autograd.grad((output ** 2).sum() + h_n.sum() + c_n.sum(), x)[0])
    torch.testing.assert_close(grads[0], grads[1], atol=1e-9, rtol=0)
