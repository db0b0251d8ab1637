import pytest
import torch
from transformers import BertConfig, BertModel, LlamaConfig, LlamaForCausalLM
from transformers.models.llama.modeling_llama import LlamaRotaryEmbedding

from lmtutorial.core.masks import causal_mask, padding_mask
from lmtutorial.models import decoder, encoder

pytestmark = pytest.mark.usefixtures("one_thread")


def test_post_norm_block_equals_a_transformers_bert_layer():
    torch.manual_seed(0)
    bert = BertModel(BertConfig(vocab_size=50, hidden_size=32, num_hidden_layers=1, num_attention_heads=4,
                                intermediate_size=64, attn_implementation="eager")).eval()
    block = encoder.encoder_block(encoder.config_from_hf(bert.config))
    encoder.load_block(block, bert.encoder.layer[0])
    x = torch.randn(2, 6, 32)
    real = torch.tensor([[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0]])
    additive = torch.zeros(2, 1, 1, 6).masked_fill(real[:, None, None, :] == 0, torch.finfo(torch.float32).min)
    with torch.no_grad():
        expected = bert.encoder.layer[0](x, attention_mask=additive)
        torch.testing.assert_close(block(x, padding_mask(real)), expected, rtol=1e-5, atol=1e-5)


def test_pre_norm_block_equals_a_transformers_llama_layer():
    torch.manual_seed(1)
    config = LlamaConfig(vocab_size=50, hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                         num_attention_heads=4, num_key_value_heads=2)
    llama = LlamaForCausalLM(config).eval()
    ours = decoder.config_from_hf(config)
    block = decoder.decoder_block(ours)
    decoder.load_block(block, llama.model.layers[0])
    x = torch.randn(2, 6, 32)
    cos, sin = LlamaRotaryEmbedding(config)(x, torch.arange(6)[None])
    with torch.no_grad():
        expected = llama.model.layers[0](x, attention_mask=None, position_embeddings=(cos, sin))  # None: causal
        torch.testing.assert_close(block(x, causal_mask(6), (cos[0], sin[0])), expected, rtol=1e-5, atol=1e-5)


def test_the_two_orders_differ_only_in_where_the_norm_sits():
    torch.manual_seed(2)
    config = encoder.EncoderConfig(vocab_size=10, dim=16, n_layers=1, n_heads=2, ffn_dim=32)
    post = encoder.encoder_block(config)
    x = torch.randn(1, 4, 16)
    with torch.no_grad():
        y = post(x)
        torch.testing.assert_close(y.mean(-1), torch.zeros(1, 4), atol=1e-5, rtol=0)  # ends with a LayerNorm
        h = post.norm1(x + post.attention(x))
        torch.testing.assert_close(y, post.norm2(h + post.feedforward(h)))
