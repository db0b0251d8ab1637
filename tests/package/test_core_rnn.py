import pytest
import torch

from lmtutorial.core.rnn import rnn_step


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("batched", [True, False])
def test_matches_torch_rnn_cell(nonlinearity, batched):
    torch.manual_seed(0)
    cell = torch.nn.RNNCell(5, 4, nonlinearity=nonlinearity).double()
    x = torch.randn(3, 5, dtype=torch.float64) if batched else torch.randn(5, dtype=torch.float64)
    h = torch.randn(3, 4, dtype=torch.float64) if batched else torch.randn(4, dtype=torch.float64)
    ours = rnn_step(x, h, cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh, nonlinearity)
    torch.testing.assert_close(ours, cell(x, h), atol=1e-6, rtol=0)


def test_sequence_matches_torch_rnn():
    torch.manual_seed(1)
    rnn = torch.nn.RNN(3, 6).double()
    xs = torch.randn(10, 2, 3, dtype=torch.float64)
    h = torch.zeros(2, 6, dtype=torch.float64)
    outputs = []
    for x in xs:
        h = rnn_step(x, h, rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0, rnn.bias_hh_l0)
        outputs.append(h)
    expected, _ = rnn(xs)
    torch.testing.assert_close(torch.stack(outputs), expected, atol=1e-6, rtol=0)


def test_scalar_worked_example_with_sigmoid():
    # h_t = σ(w_h h_{t-1} + w_x x_t + b) with w_h = w_x = b = 1, h_0 = 0, x = 1, 2, 3.
    one = torch.ones(1, 1, dtype=torch.float64)
    h = torch.zeros(1, dtype=torch.float64)
    values = []
    for x in (1.0, 2.0, 3.0):
        h = rnn_step(torch.tensor([x], dtype=torch.float64), h, one, one, torch.ones(1, dtype=torch.float64), None,
                     nonlinearity="sigmoid")
        values.append(round(h.item(), 4))
    assert values == [0.8808, 0.9798, 0.9932]


def test_wrong_shapes_name_what_was_expected():
    W_ih, W_hh = torch.zeros(4, 5), torch.zeros(4, 4)
    with pytest.raises(ValueError, match=r"x: expected shape \(batch, input_size\) = \(\*, 5\), got \(3, 6\)"):
        rnn_step(torch.zeros(3, 6), torch.zeros(3, 4), W_ih, W_hh)
    with pytest.raises(ValueError, match=r"h: expected shape \(batch, hidden_size\) = \(3, 4\), got \(2, 4\)"):
        rnn_step(torch.zeros(3, 5), torch.zeros(2, 4), W_ih, W_hh)
    with pytest.raises(ValueError, match=r"W_hh: expected shape"):
        rnn_step(torch.zeros(5), torch.zeros(4), W_ih, torch.zeros(4, 3))
    with pytest.raises(ValueError, match=r"b_ih: expected shape \(1\*hidden_size,\) = \(4,\), got \(3,\)"):
        rnn_step(torch.zeros(5), torch.zeros(4), W_ih, W_hh, torch.zeros(3))


def test_unknown_nonlinearity():
    with pytest.raises(ValueError, match="nonlinearity: expected one of"):
        rnn_step(torch.zeros(1), torch.zeros(1), torch.zeros(1, 1), torch.zeros(1, 1), nonlinearity="gelu")
