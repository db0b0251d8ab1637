import pytest
import torch
from conftest import require_shared
from transformers import BertConfig, BertForSequenceClassification, BertModel, LlamaConfig, LlamaForCausalLM

from lmtutorial.models.encoder import Encoder, EncoderConfig, from_hf

TINY = dict(vocab_size=80, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
            max_position_embeddings=16)


@pytest.fixture(scope="module")
def tiny_bert() -> BertModel:
    torch.manual_seed(0)
    return BertModel(BertConfig(**TINY)).eval()


def padded_batch() -> tuple[torch.Tensor, torch.Tensor]:
    ids = torch.randint(1, 80, (3, 9), generator=torch.Generator().manual_seed(1))
    mask = torch.ones(3, 9, dtype=torch.long)
    mask[1, 5:], mask[2, 2:] = 0, 0
    return ids.masked_fill(mask == 0, 0), mask


def test_tiny_bert_equals_transformers(tiny_bert):
    ids, mask = padded_batch()
    types = torch.zeros_like(ids)
    types[0, 4:] = 1
    ours = from_hf(tiny_bert)
    with torch.no_grad():
        expected = tiny_bert(ids, attention_mask=mask, token_type_ids=types).last_hidden_state
        torch.testing.assert_close(ours(ids, mask, types), expected, rtol=0, atol=1e-5)
        torch.testing.assert_close(ours(ids), tiny_bert(ids).last_hidden_state, rtol=0, atol=1e-5)
        # In float64 every position agrees, padding included: the same function, not just close numbers.
        expected = tiny_bert.double()(ids, attention_mask=mask).last_hidden_state
        torch.testing.assert_close(ours.double()(ids, mask), expected, rtol=0, atol=1e-12)
    tiny_bert.float()


def test_a_classifier_gives_its_bert_body():
    torch.manual_seed(2)
    classifier = BertForSequenceClassification(BertConfig(**TINY)).eval()
    ids, mask = padded_batch()
    with torch.no_grad():
        torch.testing.assert_close(from_hf(classifier)(ids, mask), classifier.bert(ids, attention_mask=mask)[0],
                                   rtol=0, atol=1e-5)


def test_all_minilm_equals_bert_model_on_real_sentences_with_padding():
    path = require_shared("models/all-MiniLM-L6-v2-bf16")
    from transformers import AutoTokenizer

    bert = BertModel.from_pretrained(path, dtype=torch.float32).eval()
    tokenizer = AutoTokenizer.from_pretrained(path)
    sentences = ["A grey heron stood motionless in the estuary while the tide crept in at dawn.",
                 "The ferry left late.",
                 "Quantum dots glow in vivid colours under ultraviolet light, which makes them useful in displays."]
    batch = tokenizer(sentences, padding=True, return_tensors="pt")
    real = batch["attention_mask"].bool()
    assert not real.all()  # the batch holds padding
    ours = from_hf(bert)
    with torch.no_grad():
        expected = bert(**batch).last_hidden_state
        got = ours(batch["input_ids"], batch["attention_mask"], batch["token_type_ids"])
        assert (got - expected)[real].abs().max() <= 1e-5
        # At padding positions (which nobody reads) float32 rounding is amplified: BertModel's own sdpa and eager
        # attention differ there by ~1e-4. In float64 the two models agree at every position.
        got64 = ours.double()(batch["input_ids"], batch["attention_mask"], batch["token_type_ids"])
        expected64 = bert.double()(**batch).last_hidden_state
        assert (got64 - expected64).abs().max() <= 1e-10


@pytest.mark.parametrize("model, error, message", [
    (lambda: LlamaForCausalLM(LlamaConfig(vocab_size=10, hidden_size=8, intermediate_size=8, num_hidden_layers=1,
                                          num_attention_heads=2)), ValueError,
     r"model: expected a 'bert' checkpoint \(a BertModel\), got LlamaForCausalLM of model_type 'llama'"),
    (lambda: BertModel(BertConfig(**TINY, hidden_act="relu")), ValueError,
     r"model: expected config.hidden_act = 'gelu' \(what this model implements\), got 'relu'"),
    (lambda: "bert-base-uncased", TypeError, r"model: expected a loaded transformers model \(a BertModel\), got str"),
])
def test_from_hf_refuses_other_architectures(model, error, message):
    with pytest.raises(error, match=message):
        from_hf(model())


def test_bad_input():
    ours = Encoder(EncoderConfig(vocab_size=20, dim=8, n_layers=1, n_heads=2, ffn_dim=16, max_positions=6))
    with pytest.raises(ValueError, match=r"input_ids: expected shape \(batch, length\) = \(\*, \*\), got \(4,\)"):
        ours(torch.ones(4, dtype=torch.long))
    with pytest.raises(ValueError, match=r"input_ids: expected token ids in \[0, 19\] \(the vocabulary\), got values "
                                         r"from 1 to 20"):
        ours(torch.tensor([[1, 20]]))
    with pytest.raises(ValueError, match=r"input_ids: expected at most 6 tokens \(max_positions\), got 7"):
        ours(torch.ones(1, 7, dtype=torch.long))
    with pytest.raises(ValueError, match=r"attention_mask: expected shape \(batch, length\) as input_ids = \(1, 3\), "
                                         r"got \(1, 2\)"):
        ours(torch.ones(1, 3, dtype=torch.long), torch.ones(1, 2, dtype=torch.long))
    with pytest.raises(ValueError, match=r"attention_mask: expected at least one real token per sequence"):
        ours(torch.ones(1, 3, dtype=torch.long), torch.zeros(1, 3, dtype=torch.long))
