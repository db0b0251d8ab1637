"""The Hugging Face side: BERT data and token-budget batches, the fine-tune (``python -m lmtutorial.hf.finetune``),
its report and the tiny offline BERT. Importing this package imports neither ``transformers`` nor ``datasets``."""
