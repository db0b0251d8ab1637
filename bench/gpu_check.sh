#!/usr/bin/env bash
# Chapter 5's GPU measurements in one command: the MiniLM fine-tune on all of IMDb (accuracy and end-to-end time),
# the bert-base speed benchmark (article's recipe vs lmtutorial's), the fine-tune again with a larger token budget,
# and last the goals against what was measured (bench/gpu_goals.py). Result JSONs and plots go to $RESULTS.
#
#   bash bench/gpu_check.sh             # on a machine with a CUDA GPU, the Python packages and the data folder
#   bash bench/gpu_check.sh --smoke     # anywhere, a CPU is fine: tiny model and data, every step end to end
#   bash bench/gpu_check.sh --prepare   # pack the data folder for a GPU machine that has no copy of it (see below)
#
# Where things are (environment variables, each with a default):
#   LMTUTORIAL_SHARED  the data folder: data/imdb/{train,test}.parquet and models/all-MiniLM-L6-v2-bf16/
#                      (default: ../shared beside the repository)
#   MODEL              the model fine-tuned in steps 1 and 3 (default: $LMTUTORIAL_SHARED/models/all-MiniLM-L6-v2-bf16)
#   RESULTS            where results are written (default: lmtutorial/results; with --smoke, $SMOKE_RESULTS or
#                      /tmp/lmtutorial-gpu-check-smoke)
#   PYTHON             the interpreter (default: .venv/bin/python if there is one, else python3)
#   PACK               the folder --prepare writes and the GPU machine reads (default: .gpu_data, git-ignored)
#
# A GPU machine that has the repository but not the data folder: run --prepare where the data folder is, copy the
# repository with $PACK inside it to the GPU machine, and run the plain command there. It unpacks the data and the
# model (gzipped in $PACK) to /tmp and, if that machine's Python cannot import `datasets`, installs the wheels packed
# beside them (for $PACK_PYTHON, default: this Python's version).
#
# Each step has its own time limit. A step that fails or runs out of time is reported and the next one runs; the
# summary is always written (a result a step never wrote is listed as missing), and the script then exits with
# status 1 if any step failed. Commit the results in lmtutorial/results/ (copy them there first if RESULTS pointed
# elsewhere): chapter 5 shows them.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
REPO=$PWD
MODE=${1:-gpu}
export PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1
if [ -n "${PYTHON:-}" ]; then PY=$PYTHON; elif [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python3; fi
MODEL_NAME=all-MiniLM-L6-v2-bf16
PACK=$(realpath -m "${PACK:-.gpu_data}")

if [ "$MODE" = "--prepare" ]; then
  set -e
  SRC=${LMTUTORIAL_SHARED:-$(cd .. && pwd)/shared}
  PACK_PYTHON=${PACK_PYTHON:-$($PY -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')}
  mkdir -p "$PACK/shared/data/imdb" "$PACK/shared/models/$MODEL_NAME" "$PACK/wheels"
  cp -f "$SRC"/data/imdb/{train,test}.parquet "$PACK/shared/data/imdb/"
  (cd "$SRC/models/$MODEL_NAME" && cp -f config.json special_tokens_map.json tokenizer.json tokenizer_config.json \
     vocab.txt "$PACK/shared/models/$MODEL_NAME/")
  if [ -f "$SRC/models/$MODEL_NAME/model.safetensors.gz" ]; then
    cp -f "$SRC/models/$MODEL_NAME/model.safetensors.gz" "$PACK/shared/models/$MODEL_NAME/"
  else
    gzip -c "$SRC/models/$MODEL_NAME/model.safetensors" > "$PACK/shared/models/$MODEL_NAME/model.safetensors.gz"
  fi
  # `datasets` and the two dependencies that a Python with torch and transformers usually lacks, as installed here.
  WHEELS=$($PY -c 'from importlib.metadata import version as v; print(*(f"{p}=={v(p)}" for p in
                   ("datasets", "dill", "multiprocess")))')
  $PY -m pip download --quiet --no-deps --only-binary=:all: --python-version "$PACK_PYTHON" --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 -d "$PACK/wheels" $WHEELS
  if [ "${PACK#"$REPO"/}" != "$PACK" ]; then  # inside the repository: keep it out of git
    EXCLUDE=$(git rev-parse --git-path info/exclude)
    mkdir -p "$(dirname "$EXCLUDE")"
    grep -qx "/${PACK#"$REPO"/}/" "$EXCLUDE" 2>/dev/null || echo "/${PACK#"$REPO"/}/" >> "$EXCLUDE"
  fi
  du -sh "$PACK"
  echo "prepared: copy the repository and $PACK/ to the GPU machine and run 'bash bench/gpu_check.sh' there"
  exit 0
fi

# The data folder: LMTUTORIAL_SHARED, else ../shared, else the packed copy (the model gunzipped beside its tokenizer).
if [ -d "$PACK/shared" ] && [ -z "${LMTUTORIAL_SHARED:-}" ] && [ ! -d ../shared/data/imdb ]; then
  SHARED=/tmp/lmtutorial-shared
  mkdir -p "$SHARED/data" "$SHARED/models/$MODEL_NAME"
  ln -sfn "$PACK/shared/data/imdb" "$SHARED/data/imdb"
  cp -f "$PACK/shared/models/$MODEL_NAME"/*.json "$PACK/shared/models/$MODEL_NAME/vocab.txt" \
    "$SHARED/models/$MODEL_NAME/"
  [ -f "$SHARED/models/$MODEL_NAME/model.safetensors" ] || \
    gunzip -c "$PACK/shared/models/$MODEL_NAME/model.safetensors.gz" > "$SHARED/models/$MODEL_NAME/model.safetensors"
  export LMTUTORIAL_SHARED=$SHARED
fi
export LMTUTORIAL_SHARED=${LMTUTORIAL_SHARED:-$(cd .. && pwd)/shared}
MODEL=${MODEL:-$LMTUTORIAL_SHARED/models/$MODEL_NAME}
if ! $PY -c "import datasets" 2>/dev/null && compgen -G "$PACK/wheels/*.whl" >/dev/null; then
  $PY -m pip install --quiet --no-index --no-deps --no-compile --target /tmp/site "$PACK"/wheels/*.whl
  export PYTHONPATH="$PYTHONPATH:/tmp/site"
fi

FAILED=()
# step NAME SECONDS COMMAND...: run COMMAND for at most SECONDS (0: no limit); a failure is recorded, not fatal.
step() {
  local name=$1 limit=$2 status
  shift 2
  echo "=== $name"
  timeout "$limit" "$@"
  status=$?
  if [ "$status" -eq 124 ]; then echo "=== $name: stopped after $limit s"; FAILED+=("$name")
  elif [ "$status" -ne 0 ]; then echo "=== $name: failed (exit status $status)"; FAILED+=("$name"); fi
}
finish() {
  if [ ${#FAILED[@]} -gt 0 ]; then echo "steps that failed: ${FAILED[*]} (results in $RESULTS)"; exit 1; fi
  echo "$1: results in $RESULTS"
}

if [ "$MODE" = "--smoke" ]; then
  export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}  # tiny models: one thread is fastest on a CPU
  RESULTS=${SMOKE_RESULTS:-/tmp/lmtutorial-gpu-check-smoke}
  mkdir -p "$RESULTS"
  TINY="$RESULTS/tiny-bert"
  step "tiny model" 0 $PY -m lmtutorial.hf.tiny_bert "$TINY" --reviews 500
  step "fine-tune" 0 $PY -m lmtutorial.hf.finetune --model "$TINY" --train-size 160 --test-size 64 \
    --validation-fraction 0.2 --epochs 1 --max-length 64 --head 16 --max-tokens 1024 --lr 1e-3 \
    --output-dir "$RESULTS/finetune" --overwrite --results "$RESULTS/finetune_smoke.json"
  step "speed benchmark" 0 $PY bench/bert_speed.py --smoke --out "$RESULTS/bert_speed_smoke.json"
  step "summary" 0 $PY bench/gpu_goals.py "$RESULTS/gpu_check_summary_smoke.json" "$RESULTS/finetune_smoke.json" \
    "$RESULTS/bert_speed_smoke.json" "$RESULTS/not_run.json"
  finish "smoke check passed"
  exit 0
fi

$PY - <<'EOF' || exit 1
import torch
assert torch.cuda.is_available(), "gpu_check.sh: no CUDA GPU visible (use --smoke to check the script on a CPU)"
print("GPU:", torch.cuda.get_device_name(), "| torch", torch.__version__)
EOF
GPU=$($PY -c "import re, torch; print(re.sub('[^a-z0-9]+', '-', torch.cuda.get_device_name().lower()).strip('-'))")
RESULTS=${RESULTS:-lmtutorial/results}
mkdir -p "$RESULTS"

# 1. The accuracy and end-to-end goal: MiniLM, full IMDb, 3 epochs, test once. A budget of 8,192 tokens gives about
#    as many updates per epoch as the reference run's batches of 32.
RUN=/tmp/finetune-minilm
step "fine-tune, budget 8k" 150 $PY -m lmtutorial.hf.finetune --model "$MODEL" --lr 1e-4 --epochs 3 --max-tokens 8192 \
  --output-dir "$RUN" --overwrite --results "$RESULTS/finetune_minilm_imdb_$GPU.json"
for plot in loss_curve confusion_matrix; do
  if [ -f "$RUN/$plot.png" ]; then cp "$RUN/$plot.png" "$RESULTS/finetune_minilm_imdb_${GPU}_$plot.png"; fi
done

# 2. The speed goal: bert-base shape, one IMDb epoch, article's recipe and lmtutorial's side by side.
step "speed benchmark" 300 $PY bench/bert_speed.py --out "$RESULTS/bert_speed_$GPU.json"

# 3. For comparison, the same fine-tune with twice the token budget: half the steps, bigger matrix products.
step "fine-tune, budget 16k" 120 $PY -m lmtutorial.hf.finetune --model "$MODEL" --lr 1e-4 --epochs 3 --max-tokens 16384 \
  --no-plots --output-dir /tmp/finetune-minilm-16k --overwrite \
  --results "$RESULTS/finetune_minilm_imdb_${GPU}_budget16k.json"

# The goals against what was measured, in one file, whatever the steps above left.
step "summary" 60 $PY bench/gpu_goals.py "$RESULTS/gpu_check_summary_$GPU.json" \
  "$RESULTS/finetune_minilm_imdb_$GPU.json" "$RESULTS/bert_speed_$GPU.json" \
  "$RESULTS/finetune_minilm_imdb_${GPU}_budget16k.json"
finish "done"
