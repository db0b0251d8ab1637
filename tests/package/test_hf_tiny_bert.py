import numpy as np
import pytest
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from lmtutorial.hf.tiny_bert import main, tiny_bert, toy_reviews


def test_toy_reviews_are_balanced_and_vary_in_length():
    data = toy_reviews(40, seed=1)
    assert data.column_names == ["text", "label"] and sum(data["label"]) == 20
    words = [len(t.split()) for t in data["text"]]
    assert min(words) >= 6 and max(words) <= 120 and np.std(words) > 10
    with pytest.raises(ValueError, match="n: expected at least one review, got 0"):
        toy_reviews(0)


def test_tiny_bert_loads_back_like_any_checkpoint(tmp_path):
    folder = tiny_bert(tmp_path / "tiny", toy_reviews(100)["text"], vocab_size=200, num_labels=3)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForSequenceClassification.from_pretrained(folder)
    ids = tokenizer("The FILM was great")["input_ids"]
    assert ids[0] == tokenizer.cls_token_id and ids[-1] == tokenizer.sep_token_id
    assert tokenizer.convert_ids_to_tokens(ids[1:-1]) == ["the", "film", "was", "great"]
    assert model.config.num_labels == 3 and model.config.vocab_size == len(tokenizer)
    assert model.config.hidden_size == 32 and model.config.max_position_embeddings == 512


def test_command_line_writes_a_folder(tmp_path, capsys):
    folder = main([str(tmp_path / "cli"), "--reviews", "50"])
    assert (folder / "config.json").is_file() and (folder / "tokenizer.json").is_file()
    assert "tiny random BERT written to" in capsys.readouterr().out
