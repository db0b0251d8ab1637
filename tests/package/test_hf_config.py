"""lmtutorial.hf.config: precision, the article's TrainingArguments, and one clear error for an option no run can
use."""

import pytest
import torch
from transformers import TrainingArguments

from conftest import FAST
from lmtutorial.hf.config import ARTICLE_TRAINING_ARGUMENTS, resolve_precision
from lmtutorial.hf.finetune import finetune

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.mark.skipif(torch.cuda.is_available() and torch.cuda.get_device_capability()[0] >= 8,
                    reason="this GPU supports bf16")
def test_bf16_where_unsupported(tiny, toy, tmp_path):
    with pytest.raises(ValueError, match="precision='bf16': expected a GPU with bfloat16 tensor cores"):
        finetune(tiny, toy, tmp_path, precision="bf16", **FAST)
    with pytest.raises(ValueError, match="precision: expected one of"):
        resolve_precision("int8")
    assert resolve_precision("auto", use_cpu=True) == "fp32"


@pytest.mark.parametrize("option, value, message", [
    ("epochs", 0, "epochs: expected a number > 0 and <= 1000000, got 0"),
    ("validation_fraction", 0.0, "validation_fraction: expected a number > 0 and <= 1, got 0"),
    ("validation_fraction", 1.0, "validation_fraction: expected a share of train strictly between 0 and 1, got 1"),
    ("validation_fraction", 0.999, "validation_fraction: expected a share of the 240 training reviews that leaves "
                                   "at least one for validation and one for training, got 0.999 \\(240 for"),
    ("train_size", 1, "train_size: expected an integer >= 2, got 1"),
    ("learning_rate", 0.0, "learning_rate: expected a number > 0 and <= 1, got 0"),
])
def test_options_no_run_can_use(tiny, toy, tmp_path, option, value, message):
    with pytest.raises(ValueError, match=message):
        finetune(tiny, toy, tmp_path, **{**FAST, option: value})


def test_output_dir_that_is_a_file_and_resume_with_overwrite(tiny, toy, tmp_path):
    (tmp_path / "taken").write_text("not a folder")
    with pytest.raises(FileExistsError, match=f"output_dir: expected a folder for the run, got the file "
                                              f"{tmp_path / 'taken'}"):
        finetune(tiny, toy, tmp_path / "taken", **FAST)
    with pytest.raises(ValueError, match="resume=True and overwrite=True: expected at most one of them, got both"):
        finetune(tiny, toy, tmp_path, resume=True, overwrite=True, **FAST)


def test_the_articles_training_arguments_no_longer_construct():
    with pytest.raises(TypeError, match="logging_dir"):
        TrainingArguments(**ARTICLE_TRAINING_ARGUMENTS)
    modern = TrainingArguments(**{k: v for k, v in ARTICLE_TRAINING_ARGUMENTS.items() if k != "logging_dir"})
    assert modern.eval_strategy == "no" and not modern.bf16 and not modern.fp16
