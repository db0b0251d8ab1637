import hashlib

import pytest
import torch
from transformers.utils import logging

from conftest import require_shared
from lmtutorial.llm.model import (ChatModelUnavailable, file_sha256, forget_gguf_origin, load_chat_model,
                                  quiet_loading)



def test_file_sha256_reads_the_whole_file(tmp_path):
    data = bytes(range(256)) * 10_000
    (tmp_path / "f").write_bytes(data)
    assert file_sha256(tmp_path / "f") == hashlib.sha256(data).hexdigest()


def test_quiet_loading_restores_the_progress_bars():
    logging.enable_progress_bar()
    with quiet_loading():
        assert not logging.is_progress_bar_enabled()
    assert logging.is_progress_bar_enabled()


@pytest.mark.parametrize("quantized", [False, True], ids=["transformers 5.15", "a GGUF quantizer's config"])
def test_a_de_quantised_model_saves_as_a_plain_one(tmp_path, quantized):
    """transformers 5.15 de-quantises GGUF without a quantization_config (issue 26: deleting it raised
    AttributeError there); later versions set one, which must go before the model saves as plain float32."""
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(vocab_size=32, hidden_size=8, intermediate_size=16, num_hidden_layers=1,
                         num_attention_heads=2, num_key_value_heads=1)
    model = LlamaForCausalLM(config)
    if quantized:
        model.config.quantization_config = {"quant_method": "gguf"}
    forget_gguf_origin(model)
    assert model.hf_quantizer is None and getattr(model.config, "quantization_config", None) is None
    model.save_pretrained(tmp_path)
    assert "quantization_config" not in (tmp_path / "config.json").read_text()


def test_an_unreachable_model_is_one_clear_error(tmp_path):
    with pytest.raises(ChatModelUnavailable, match=r"chat model not found: '.*missing' is neither a local model "
                                                   r"folder nor reachable on the Hugging Face Hub \(OSError: .*\); "
                                                   r"offline, expected models/SmolLM2-135M-Instruct-Q4_1/"):
        load_chat_model(tmp_path / "missing")


def test_the_offline_gguf_loads_once_de_quantised_then_from_the_cache(monkeypatch, tmp_path, capfd):
    require_shared("models/SmolLM2-135M-Instruct-Q4_1/SmolLM2-135M-Instruct.Q4_1.gguf")
    pytest.importorskip("gguf", reason="reading the GGUF file needs the llm extra (pip install 'lmtutorial[llm]')")
    monkeypatch.setenv("LMTUTORIAL_CACHE", str(tmp_path))
    model, tokenizer = load_chat_model()
    assert "de-quantizing" not in capfd.readouterr().err
    assert len(list((tmp_path / "models").glob("SmolLM2-135M-Instruct.Q4_1-*/model.safetensors"))) == 1
    cached, cached_tokenizer = load_chat_model()
    assert not model.training and not cached.training
    messages = [{"role": "user", "content": "What is the capital of France?"}]
    ids = cached_tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt",
                                               return_dict=True)["input_ids"]
    assert ids.tolist() == tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt",
                                                         return_dict=True)["input_ids"].tolist()
    with torch.no_grad():
        torch.testing.assert_close(cached(ids).logits, model(ids).logits, atol=0, rtol=0)
        answer = cached.generate(ids, max_new_tokens=12, do_sample=False)[0, ids.shape[1]:]
    assert "Paris" in cached_tokenizer.decode(answer)
