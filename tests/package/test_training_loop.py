import errno
import io
import os
import re
from pathlib import Path

import pytest
import torch

from lmtutorial.core.optim import Adam
from lmtutorial.data.batching import lm_batches
from lmtutorial.data.text import Vocabulary
from lmtutorial.models.language_model import lm_loss, LSTMLanguageModel
from lmtutorial.training.evaluate import stream_loss
from lmtutorial.training.loop import (
    check_model_vocabulary,
    clip_grad_norm,
    load_checkpoint,
    plot_history,
    save_checkpoint,
    train,
)


def test_clip_grad_norm_matches_torch():
    torch.manual_seed(0)
    params = [torch.randn(3, 4, requires_grad=True), torch.randn(5, requires_grad=True)]
    copies = [p.detach().clone().requires_grad_() for p in params]
    for group in (params, copies):
        (sum((p ** 3).sum() for p in group)).backward()
    ours = clip_grad_norm(params, 1.0)
    theirs = torch.nn.utils.clip_grad_norm_(copies, 1.0).item()
    assert ours == pytest.approx(theirs)
    for p, q in zip(params, copies):
        torch.testing.assert_close(p.grad, q.grad)


def repeating_stream():
    return torch.tensor([4, 5, 6, 7] * 60)


def test_training_lowers_the_loss_and_records_history():
    torch.manual_seed(0)
    model = LSTMLanguageModel(8, 8, 16)
    stream = repeating_stream()
    history = train(model, lambda epoch: lm_batches(stream, 4, 8, seed=epoch), lm_loss, epochs=3, lr=0.02,
                    validate=lambda m: stream_loss(m, stream, 2, 8), val_every=5, progress=False)
    assert len(history.step_loss) == 3 * 8  # 29 windows of 8 tokens in 240, 8 batches of at most 4
    assert history.val_step == [5, 8, 10, 15, 16, 20, 24]
    assert history.val_loss[-1] < 0.1 < history.val_loss[0] and history.seconds > 0
    assert plot_history({"lstm": history}).get_xlabel() == "training step"


def test_training_changes_the_given_model_in_place():
    torch.manual_seed(1)
    model = LSTMLanguageModel(8, 4, 4)
    before = model.output.weight.detach().clone()
    returned = train(model, lm_batches(repeating_stream(), 4, 8), lm_loss, progress=False)
    assert not torch.equal(model.output.weight, before) and not isinstance(returned, torch.nn.Module)


def test_non_finite_loss_stops_training():
    model = LSTMLanguageModel(8, 4, 4)
    with pytest.raises(FloatingPointError, match="loss: expected a finite value, got nan at step 1"):
        train(model, [None], lambda m, b: torch.tensor(float("nan"), requires_grad=True), progress=False)


def test_checkpoint_round_trip_and_vocabulary_check(tmp_path):
    vocab = Vocabulary.build(["a good film", "a bad film"])
    torch.manual_seed(2)
    model = LSTMLanguageModel(len(vocab), 4, 4)
    optimizer = Adam(model.parameters(), lr=0.01)
    path = tmp_path / "lm.pt"
    history = train(model, lm_batches(repeating_stream() % len(vocab), 4, 8), lm_loss, optimizer=optimizer,
                    checkpoint=path, vocab=vocab, progress=False)
    fresh = LSTMLanguageModel(len(vocab), 4, 4)
    fresh_optimizer = Adam(fresh.parameters(), lr=0.01)
    loaded = load_checkpoint(path, fresh, fresh_optimizer, vocab=vocab)
    assert loaded.step_loss == history.step_loss
    for a, b in zip(model.state_dict().values(), fresh.state_dict().values()):
        torch.testing.assert_close(a, b)
    assert fresh_optimizer.state_dict()["state"][0]["step"] == len(history.step_loss)

    other = Vocabulary([*vocab.itos[:4], *reversed(vocab.itos[4:])])
    with pytest.raises(ValueError, match=r"the checkpoint's vocabulary \(8 tokens\) does not match the given one "
                                         r"\(8 tokens\); first difference at id 4: 'a' vs 'good'"):
        load_checkpoint(path, fresh, vocab=other)
    save_checkpoint(tmp_path / "plain.pt", model)
    with pytest.raises(ValueError, match="expected a vocabulary of 8 tokens in the checkpoint, got none"):
        load_checkpoint(tmp_path / "plain.pt", fresh, vocab=vocab)


class Killed(BaseException):
    """Stands for a kill that arrives while the checkpoint is being written."""


def trained_checkpoint(tmp_path):
    vocab = Vocabulary.build(["a good film", "a bad film"])
    torch.manual_seed(3)
    model = LSTMLanguageModel(len(vocab), 4, 4)
    path = tmp_path / "lm.pt"
    train(model, lm_batches(repeating_stream() % len(vocab), 4, 8), lm_loss, checkpoint=path, vocab=vocab,
          progress=False)
    return model, vocab, path


def saving_part_then(error, real_save=torch.save):
    def save(obj, file):
        buffer = io.BytesIO()
        real_save(obj, buffer)
        if isinstance(file, (str, os.PathLike)):
            Path(file).write_bytes(buffer.getvalue()[:1000])
        else:
            file.write(buffer.getvalue()[:1000])
        raise error
    return save


@pytest.mark.parametrize("error", [Killed(), OSError(errno.ENOSPC, "No space left on device")])
def test_an_interrupted_save_leaves_the_previous_checkpoint_intact(tmp_path, monkeypatch, error):
    model, vocab, path = trained_checkpoint(tmp_path)
    before = path.read_bytes()
    monkeypatch.setattr(torch, "save", saving_part_then(error))
    expected = pytest.raises(Killed) if isinstance(error, Killed) else pytest.raises(
        OSError, match=rf"no space left on the disk of {re.escape(str(tmp_path))} to save lm.pt; the previous")
    with expected:
        train(model, lm_batches(repeating_stream() % len(vocab), 4, 8), lm_loss, checkpoint=path, vocab=vocab,
              progress=False)
    monkeypatch.undo()
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["lm.pt"]
    restored = LSTMLanguageModel(len(vocab), 4, 4)
    load_checkpoint(path, restored, vocab=vocab)
    saved = torch.load(io.BytesIO(before), weights_only=True)["model"]
    for name, value in restored.state_dict().items():
        torch.testing.assert_close(value, saved[name], rtol=0, atol=0)


def test_saving_into_a_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"checkpoint: expected an existing folder to save lm.pt in, got "):
        save_checkpoint(tmp_path / "missing" / "lm.pt", LSTMLanguageModel(8, 4, 4))


def test_a_checkpoint_binds_the_model_to_its_vocabulary(tmp_path):
    _, vocab, path = trained_checkpoint(tmp_path)
    same_size = Vocabulary([*vocab.itos[:4], *reversed(vocab.itos[4:])])
    restored = LSTMLanguageModel(len(vocab), 4, 4)
    load_checkpoint(path, restored)  # no vocab given: the model still learns which one it belongs to
    assert restored.vocab_fingerprint == vocab.fingerprint != same_size.fingerprint
    check_model_vocabulary(restored, vocab)
    with pytest.raises(ValueError, match=rf"vocab: expected the vocabulary the model was trained with "
                                         rf"\(fingerprint {vocab.fingerprint}\), got another one of 8 tokens"):
        check_model_vocabulary(restored, same_size)
    with pytest.raises(ValueError, match="vocab: expected the vocabulary the model was trained with"):
        save_checkpoint(tmp_path / "other.pt", restored, vocab=same_size)
    with pytest.raises(ValueError, match=r"vocab: expected 8 tokens \(the model's vocab_size\), got 9"):
        train(LSTMLanguageModel(8, 4, 4), [], lm_loss, vocab=Vocabulary([*vocab.itos, "extra"]), progress=False)
