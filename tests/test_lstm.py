import math

import pytest
import torch

from lmtutorial import lstm_gates, lstm_step, lstm_step_article


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
