import itertools
import math

import pytest
import torch

from lmtutorial.training.beam import beam_search, Hypothesis

V, EOS, MAX_LEN = 4, 3, 4


class PrefixModel:
    """A toy model whose next-token logits depend on the whole prefix: the state is a unique code of the
    prefix (digits in base V + 1), and a random table maps each code to logits."""

    def __init__(self, seed: int, spread: float = 2.0) -> None:
        g = torch.Generator().manual_seed(seed)
        self.table = spread * torch.randn((V + 1) ** (MAX_LEN + 1), V, generator=g, dtype=torch.float64)

    def step(self, tokens, state):
        code = state * (V + 1) + tokens + 1
        return self.table[code], code

    @staticmethod
    def reorder(state, index):
        return state.index_select(0, index)

    def log_prob(self, sequence, start=0):
        state, tokens, total = torch.tensor([0]), torch.tensor([start]), 0.0
        for token in sequence:
            logits, state = self.step(tokens, state)
            total += torch.log_softmax(logits[0], -1)[token].item()
            tokens = torch.tensor([token])
        return total

    def search(self, beam_width, alpha=0.0, max_len=MAX_LEN):
        return beam_search(self.step, torch.tensor([0]), self.reorder, start_token=0, eos_id=EOS,
                           beam_width=beam_width, max_len=max_len, alpha=alpha)

    def greedy(self):
        state, tokens, out = torch.tensor([0]), torch.tensor([0]), []
        while len(out) < MAX_LEN:
            logits, state = self.step(tokens, state)
            tokens = logits.argmax(-1)
            out.append(tokens.item())
            if out[-1] == EOS:
                break
        return out


def every_output():
    """All outputs of at most MAX_LEN tokens: ended by <eos>, or MAX_LEN tokens without it."""
    words = [t for t in range(V) if t != EOS]
    for n in range(MAX_LEN):
        for body in itertools.product(words, repeat=n):
            yield [*body, EOS]
    yield from (list(body) for body in itertools.product(words, repeat=MAX_LEN))


@pytest.mark.parametrize("seed", range(20))
def test_width_one_is_greedy(seed):
    model = PrefixModel(seed)
    (best,) = model.search(beam_width=1)
    assert best.tokens == model.greedy()
    assert best.log_prob == pytest.approx(model.log_prob(best.tokens))


@pytest.mark.parametrize("alpha", [0.0, 1.0])
@pytest.mark.parametrize("seed", range(10))
def test_a_beam_wide_enough_finds_the_exhaustive_best(seed, alpha):
    model = PrefixModel(seed)
    scored = sorted(((model.log_prob(y) / len(y) ** alpha, y) for y in every_output()), reverse=True)
    found = model.search(beam_width=len(scored), alpha=alpha)
    assert [h.tokens for h in found[:5]] == [y for _, y in scored[:5]]
    assert [h.score for h in found[:5]] == pytest.approx([s for s, _ in scored[:5]])


def test_a_narrow_beam_finds_likelier_outputs_than_greedy_on_average():
    # Not always: a beam can drop the greedy prefix and then finish worse.
    gains = []
    for seed in range(30):
        model = PrefixModel(seed)
        greedy = model.log_prob(model.greedy())
        gains.append(model.search(beam_width=3)[0].log_prob - greedy)
    assert sum(gains) / len(gains) > 0.1


def test_beam_prefers_a_likelier_whole_over_a_likelier_first_token():
    # First token 0 (p = 0.6) or 1 (p = 0.4). After 0: 0, 1 or 2 (p = 0.3, 0.2, 0.5); after 1 or 2: <eos>.
    # Greedy: 0 2 <eos>, p = 0.6 · 0.5 = 0.3. Best: 1 <eos>, p = 0.4.
    def step(tokens, state):
        logits = torch.full((len(tokens), V), -1e9)
        for row, (token, depth) in enumerate(zip(tokens.tolist(), state.tolist())):
            if depth == 0:
                logits[row, :2] = torch.tensor([0.6, 0.4]).log()
            elif token == 0:
                logits[row, :3] = torch.tensor([0.3, 0.2, 0.5]).log()
            else:
                logits[row, EOS] = 0.0
        return logits, state + 1

    def search(width):
        return beam_search(step, torch.tensor([0]), lambda s, i: s[i], start_token=2, eos_id=EOS,
                           beam_width=width, max_len=3)

    assert search(1)[0].tokens == [0, 2, EOS]
    best = search(2)[0]
    assert best.tokens == [1, EOS] and best.log_prob == pytest.approx(math.log(0.4))


def test_returns_at_most_beam_width_outputs_best_first_and_unfinished_ones_at_max_len():
    found = PrefixModel(0, spread=0.0).search(beam_width=3, max_len=2)  # uniform: every output as likely
    assert len(found) == 3 and all(isinstance(h, Hypothesis) for h in found)
    assert [h.score for h in found] == sorted((h.score for h in found), reverse=True)
    assert all(len(h.tokens) <= 2 for h in found)


def test_bad_arguments():
    model = PrefixModel(0)
    with pytest.raises(ValueError, match="beam_width: expected an integer >= 1, got 0"):
        model.search(beam_width=0)
    with pytest.raises(ValueError, match="max_len: expected an integer >= 1, got 0"):
        model.search(beam_width=2, max_len=0)
    with pytest.raises(ValueError, match="alpha: expected a number >= 0, got -1"):
        model.search(beam_width=2, alpha=-1)
    with pytest.raises(ValueError, match=r"step: expected logits of shape \(live prefixes, vocab\) = \(1, vocab\), "
                                         r"got \(4,\)"):
        beam_search(lambda t, s: (torch.zeros(4), s), None, lambda s, i: s, start_token=0, eos_id=EOS,
                    beam_width=2, max_len=3)
