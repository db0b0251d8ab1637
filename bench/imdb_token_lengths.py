"""Token lengths of all 25,000 IMDb training reviews and the padding each batching scheme wastes on them.

    python bench/imdb_token_lengths.py        # writes lmtutorial/results/imdb_token_lengths.json (about a minute on 2 cores)

Chapter 5 computes the same statistics on a sample while it runs (CI has no minute to spare) and quotes this file
for the full training split. Lengths are WordPiece tokens of the uncased BERT vocabulary (the MiniLM tokenizer in
``shared/`` has the same 30,522 entries), ``[CLS]`` and ``[SEP]`` included, on the raw text exactly as the article
feeds it to the tokenizer, and on the text with ``<br />`` tags removed as lmtutorial does.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

import numpy as np
from transformers import BertConfig

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from lmtutorial.hf.bert_data import (  # noqa: E402
    TokenBudgetBatchSampler,
    fixed_size_batches,
    padding_fraction,
    token_lengths,
)
from lmtutorial.data.imdb import load_imdb  # noqa: E402
from lmtutorial.provenance import hardware, library_versions, write_json  # noqa: E402
from lmtutorial.book.resources import shared_path  # noqa: E402
from lmtutorial.costs import encoder_training_flops  # noqa: E402

BINS = list(range(0, 1537, 32))


def summary(lengths: np.ndarray, batch_size: int, max_tokens: int) -> dict:
    """Length statistics, bert-base training FLOPs of one epoch (real tokens, at most 512 per review), and padding with
    fixed 512, random batches padded to their longest, and token-budget buckets."""
    capped = np.minimum(lengths, 512)
    random_batches = fixed_size_batches(len(capped), batch_size, seed=0)
    return {
        "reviews": int(len(lengths)),
        "mean": float(lengths.mean()),
        "median": float(np.median(lengths)),
        "p90": float(np.percentile(lengths, 90)),
        "max": int(lengths.max()),
        "share_over_512": float((lengths > 512).mean()),
        "real_tokens_capped_512": int(capped.sum()),
        "training_flops_bert_base": encoder_training_flops(capped, BertConfig()),
        "padding_fraction": {
            "fixed_512": padding_fraction(capped, random_batches, pad_to=512),
            "dynamic_random_batches": padding_fraction(capped, random_batches),
            "token_budget_buckets": padding_fraction(capped, TokenBudgetBatchSampler(capped, max_tokens).batches(),
                                                     multiple_of=8),
        },
        "histogram": {"bin_edges": BINS + [int(lengths.max()) + 1],
                      "counts": np.histogram(lengths, bins=BINS + [int(lengths.max()) + 1])[0].tolist()},
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tokenizer", default=None,
                        help="BERT WordPiece tokenizer folder (default: MiniLM in shared/)")
    parser.add_argument("--batch-size", type=int, default=16, help="the article's per_device_train_batch_size")
    parser.add_argument("--max-tokens", type=int, default=16384, help="lmtutorial's token budget per batch")
    parser.add_argument("--out", default=str(REPO / "lmtutorial" / "results" / "imdb_token_lengths.json"))
    args = parser.parse_args(argv)
    from transformers import AutoTokenizer

    folder = args.tokenizer or shared_path("models/all-MiniLM-L6-v2-bf16")
    if folder is None:
        raise SystemExit("no tokenizer: pass --tokenizer FOLDER (or set LMTUTORIAL_SHARED)")
    tokenizer = AutoTokenizer.from_pretrained(folder)
    texts = list(load_imdb("train")["text"])
    results = {
        "what": "WordPiece token lengths of the IMDb training split (Maas et al. 2011), [CLS] and [SEP] included",
        "produced_by": "python bench/imdb_token_lengths.py",
        "date": date.today().isoformat(),
        "tokenizer": f"{Path(folder).name} (uncased BERT WordPiece, {len(tokenizer):,} entries)",
        "batch_size": args.batch_size,
        "max_tokens": args.max_tokens,
        "raw_text": summary(token_lengths(texts, tokenizer), args.batch_size, args.max_tokens),
        "clean_text": summary(token_lengths(texts, tokenizer, clean=True), args.batch_size, args.max_tokens),
        "hardware": hardware(),
        "versions": library_versions(),
    }
    write_json(args.out, results)
    raw = results["raw_text"]
    print(f"mean {raw['mean']:.1f}, median {raw['median']:.0f}, over 512 {raw['share_over_512']:.1%}, "
          f"padding fixed-512 {raw['padding_fraction']['fixed_512']:.1%} -> {args.out}")
    return results


if __name__ == "__main__":
    main()
