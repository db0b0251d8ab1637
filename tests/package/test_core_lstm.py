"""lmtutorial/core/lstm.py: the LSTM cell against torch.nn.LSTMCell, and the sequence layer lmtutorial.core.lstm.LSTM against
torch.nn.LSTM, in float64."""

import math

import pytest
import torch

from lmtutorial.core.lstm import (
    LSTM,
    lstm_cell_from_preactivation,
    lstm_gates,
    lstm_step,
    lstm_step_article,
    LSTMLayerFunction,
)


@pytest.mark.parametrize("batched", [True, False])
def test_matches_torch_lstm_cell(batched):
    torch.manual_seed(0)
    cell = torch.nn.LSTMCell(5, 4).double()
    shape = (3,) if batched else ()
    x = torch.randn(*shape, 5, dtype=torch.float64)
    h = torch.randn(*shape, 4, dtype=torch.float64)
    c = torch.randn(*shape, 4, dtype=torch.float64)
    ours_h, ours_c = lstm_step(x, h, c, cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)
    ref_h, ref_c = cell(x, (h, c))
    torch.testing.assert_close(ours_h, ref_h, atol=1e-6, rtol=0)
    torch.testing.assert_close(ours_c, ref_c, atol=1e-6, rtol=0)


def test_sequence_matches_torch_lstm():
    torch.manual_seed(1)
    lstm = torch.nn.LSTM(3, 6).double()
    xs = torch.randn(12, 2, 3, dtype=torch.float64)
    h = c = torch.zeros(2, 6, dtype=torch.float64)
    outputs = []
    for x in xs:
        h, c = lstm_step(x, h, c, lstm.weight_ih_l0, lstm.weight_hh_l0, lstm.bias_ih_l0, lstm.bias_hh_l0)
        outputs.append(h)
    expected, (h_n, c_n) = lstm(xs)
    torch.testing.assert_close(torch.stack(outputs), expected, atol=1e-6, rtol=0)
    torch.testing.assert_close(c, c_n[0], atol=1e-6, rtol=0)


def test_gates_are_torch_order_i_f_g_o():
    # Make only the candidate block (third) non-zero: g must be tanh of it, the others σ(0) = 0.5.
    b = torch.zeros(8, dtype=torch.float64)
    b[4:6] = torch.tensor([1.0, -2.0])
    zeros = torch.zeros(2, dtype=torch.float64)
    gates = lstm_gates(zeros, zeros, zeros, torch.zeros(8, 2, dtype=torch.float64),
                       torch.zeros(8, 2, dtype=torch.float64), b, None)
    torch.testing.assert_close(gates.g, torch.tanh(torch.tensor([1.0, -2.0], dtype=torch.float64)))
    for gate in (gates.i, gates.f, gates.o):
        torch.testing.assert_close(gate, torch.full((2,), 0.5, dtype=torch.float64))
    torch.testing.assert_close(gates.c, 0.5 * gates.g)


def test_article_variant_sigma_candidate_only_adds_to_the_cell():
    """C_t - f_t C_{t-1} = i_t C̄_t: positive at every step with the σ candidate, so from C_0 = 0 the cell is never
    negative; the standard cell, with the same weights and a tanh candidate, also writes negative values."""
    torch.manual_seed(2)
    H, I = 3, 2
    W_ih, W_hh, b = (torch.randn(3 * H, I, dtype=torch.float64), torch.randn(3 * H, H, dtype=torch.float64),
                     torch.randn(3 * H, dtype=torch.float64))
    W_oc, W_oh = torch.randn(H, H, dtype=torch.float64), torch.randn(H, H, dtype=torch.float64)
    W_ih_o, W_hh_o = torch.randn(H, I, dtype=torch.float64), torch.randn(H, H, dtype=torch.float64)
    h = c = h_std = c_std = torch.zeros(H, dtype=torch.float64)
    standard_writes = []
    for x in torch.randn(30, I, dtype=torch.float64):
        step = lstm_step_article(x, h, c, W_ih, W_hh, b, None, W_oc, W_oh)
        assert (step.c - step.f * c > 0).all() and (step.c > 0).all()
        h, c = step.h, step.c
        std = lstm_gates(x, h_std, c_std, torch.cat((W_ih, W_ih_o)), torch.cat((W_hh, W_hh_o)),
                         torch.cat((b, torch.zeros(H, dtype=torch.float64))), None)
        standard_writes.append(std.c - std.f * c_std)
        h_std, c_std = std.h, std.c
    assert (torch.stack(standard_writes) < 0).any()


def test_article_variant_output_gate_reads_new_cell_state():
    H = 2
    zero3 = torch.zeros(3 * H, 1, dtype=torch.float64)
    W_oc = torch.eye(H, dtype=torch.float64)
    c_prev = torch.tensor([1.0, -1.0], dtype=torch.float64)
    step = lstm_step_article(torch.zeros(1, dtype=torch.float64), torch.zeros(H, dtype=torch.float64), c_prev,
                             zero3, torch.zeros(3 * H, H, dtype=torch.float64), None, None,
                             W_oc, torch.zeros(H, H, dtype=torch.float64))
    # i = f = C̄ = σ(0) = 0.5, so C_1 = 0.5 C_0 + 0.25 and o = σ(C_1).
    expected_c = 0.5 * c_prev + 0.25
    torch.testing.assert_close(step.c, expected_c)
    torch.testing.assert_close(step.o, torch.sigmoid(expected_c))


def test_wrong_shapes_are_clear():
    W_ih, W_hh = torch.zeros(16, 3), torch.zeros(16, 4)
    with pytest.raises(ValueError, match=r"W_hh: expected shape \(4\*hidden_size, hidden_size\), got \(16, 5\)"):
        lstm_step(torch.zeros(3), torch.zeros(4), torch.zeros(4), W_ih, torch.zeros(16, 5))
    with pytest.raises(ValueError, match=r"c: expected shape like h = \(2, 4\), got \(4,\)"):
        lstm_step(torch.zeros(2, 3), torch.zeros(2, 4), torch.zeros(4), W_ih, W_hh)
    with pytest.raises(ValueError, match=r"x: expected shape \(input_size,\) = \(3,\), got \(2,\)"):
        lstm_step(torch.zeros(2), torch.zeros(4), torch.zeros(4), W_ih, W_hh)


def scalar_sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def test_worked_example_of_chapter_4():
    """One unit, every weight 1 and one bias of 1 per gate, h₀ = c₀ = 0, inputs 1, 2, 3 (the chapter's table)."""
    ones = torch.ones(4, 1, dtype=torch.float64)
    h = c = torch.zeros(1, dtype=torch.float64)
    h_ref = c_ref = 0.0
    for x in (1.0, 2.0, 3.0):
        gates = lstm_gates(torch.tensor([x], dtype=torch.float64), h, c, ones, ones,
                           torch.ones(4, dtype=torch.float64), None)
        pre = h_ref + x + 1.0  # the same pre-activation for all four blocks
        c_ref = scalar_sigmoid(pre) * c_ref + scalar_sigmoid(pre) * math.tanh(pre)
        h_ref = scalar_sigmoid(pre) * math.tanh(c_ref)
        assert gates.i.item() == pytest.approx(scalar_sigmoid(pre), abs=1e-12)
        assert gates.g.item() == pytest.approx(math.tanh(pre), abs=1e-12)
        assert (gates.c.item(), gates.h.item()) == pytest.approx((c_ref, h_ref), abs=1e-12)
        if x == 1.0:  # step 1: σ(2) = 0.8808 and tanh(2) = 0.9640, so c₁ = i₁ g₁ (c₀ = 0)
            assert (round(gates.i.item(), 4), round(gates.g.item(), 4)) == (0.8808, 0.964)
            assert round(gates.c.item(), 4) == 0.8491
        h, c = gates.h, gates.c
    assert (round(c.item(), 4), round(h.item(), 4)) == (2.7785, 0.9851)  # the values chapter 4 prints


def test_article_variant_worked_example_writes_the_cell_at_step_one():
    """The article's cell with all weights and biases 1: C₁ = f₁ C₀ + i₁ C̄₁ = σ(2)² = 0.7758, not the article's 0."""
    ones3 = torch.ones(3, 1, dtype=torch.float64)
    one = torch.ones(1, 1, dtype=torch.float64)
    h = c = torch.zeros(1, dtype=torch.float64)
    bias, b_o = torch.ones(3, dtype=torch.float64), torch.ones(1, dtype=torch.float64)
    h_ref = c_ref = 0.0
    for x in (1.0, 2.0, 3.0):
        step = lstm_step_article(torch.tensor([x], dtype=torch.float64), h, c, ones3, ones3, bias, None, one, one, b_o)
        gate = scalar_sigmoid(h_ref + x + 1.0)  # i, f and the σ candidate share one pre-activation
        c_ref = gate * c_ref + gate * gate
        h_ref = scalar_sigmoid(c_ref + h_ref + 1.0) * math.tanh(c_ref)
        assert (step.c.item(), step.h.item()) == pytest.approx((c_ref, h_ref), abs=1e-12)
        if x == 1.0:
            assert round(step.c.item(), 4) == 0.7758
        h, c = step.h, step.c


def test_article_variant_wrong_shapes_are_clear():
    W_ih, W_hh = torch.zeros(12, 3), torch.zeros(12, 4)
    x, h = torch.zeros(3), torch.zeros(4)
    with pytest.raises(ValueError, match=r"W_oc: expected shape \(hidden_size, hidden_size\) = \(4, 4\), got \(4, 3\)"):
        lstm_step_article(x, h, h, W_ih, W_hh, None, None, torch.zeros(4, 3), torch.zeros(4, 4))
    with pytest.raises(ValueError, match=r"W_oh: expected shape \(hidden_size, hidden_size\) = \(4, 4\), got \(3, 4\)"):
        lstm_step_article(x, h, h, W_ih, W_hh, None, None, torch.zeros(4, 4), torch.zeros(3, 4))
    with pytest.raises(ValueError, match=r"b_o: expected shape \(hidden_size,\) = \(4,\), got \(5,\)"):
        lstm_step_article(x, h, h, W_ih, W_hh, None, None, torch.zeros(4, 4), torch.zeros(4, 4), torch.zeros(5))
    with pytest.raises(ValueError, match=r"W_ih: expected shape \(3\*hidden_size, input_size\)"):
        lstm_step_article(x, h, h, torch.zeros(16, 3), W_hh, None, None, torch.zeros(4, 4), torch.zeros(4, 4))


# The sequence layer (lmtutorial.core.lstm.LSTM).


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
