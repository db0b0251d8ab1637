"""Thin entry point kept for ``python -m lmtutorial.finetune``: the fine-tune lives in :mod:`lmtutorial.hf.finetune`."""

if __name__ == "__main__":
    from lmtutorial.hf.finetune import main

    main()
