#!/usr/bin/env bash
# The GPU proof of this project in one short, resumable run (<= 8 minutes on one H200), from the
# project root:
#   bash benchmarks/gpu_checks.sh [ARCHIVE] [RESULTS_DIR]
#   GPU_CHECKS_DRY_RUN=1 bash benchmarks/gpu_checks.sh ARCHIVE DIR   # the same steps on the CPU,
#                                                                     # tiny sizes (CI runs this)
# Every step runs under its own `timeout` and writes its log and a one-line result
# (RESULTS_DIR/<step>.result: status, seconds, key figure) the moment it ends, so a run cut off
# by the machine's time limit still returns what it measured; one summary table at the end.
# Planned from CPU figures and the size of the work (benchmarks/README.md, "gpu_checks.sh"):
#   gpu_tests 60 s | stacked_vs_alone 75 s | study 210 s | study_rerun 60 s | sequence 60 s
# = 465 s of limits, the planned sum well under it.
set -uo pipefail
archive=${1:-../shared/data/20news-bydate.tar.gz}
results=${2:-gpu_results}
dry=${GPU_CHECKS_DRY_RUN:-0}
# The limits are the GPU window's budget; a CPU rehearsal on a loaded machine gets 3x as long
# (GPU_CHECKS_TIME_SCALE overrides), since there they only guard against a hang.
if [ "$dry" = 1 ]; then scale=${GPU_CHECKS_TIME_SCALE:-3}; else scale=${GPU_CHECKS_TIME_SCALE:-1}; fi
mkdir -p "$results"
results=$(cd "$results" && pwd)
rm -f "$results"/*.result
py=${PYTHON:-python}
kedro=${KEDRO:-kedro}
export PYTHONUNBUFFERED=1 KEDRO_DISABLE_TELEMETRY=true DO_NOT_TRACK=1

if [ "$dry" = 1 ]; then
  device=cpu
  echo "dry run: CPU, tiny sizes" | tee "$results/device.txt"
else
  device=cuda
  $py -c "import torch; assert torch.cuda.is_available(), 'no CUDA device visible to torch'" || exit 1
  nvidia-smi -L | tee "$results/device.txt"
  # peak GPU memory over the whole run, sampled twice a second
  nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 500 \
    > "$results/gpu_memory_mib.csv" 2>/dev/null &
  sampler=$!
  trap 'kill "$sampler" 2>/dev/null' EXIT
fi

# step NAME LIMIT_S FIGURE_REGEX CMD...: run CMD under `timeout`, log to NAME.log, then write
# NAME.result = "status<TAB>seconds<TAB>the log's last two matches of FIGURE_REGEX".
step() {
  local name=$1 limit=$(($2 * scale)) figure=$3
  shift 3
  local t0=$SECONDS status
  timeout --kill-after=10 "$limit" "$@" > "$results/$name.log" 2>&1
  local rc=$?
  case $rc in
    0) status=ok ;;
    124 | 137) status="timeout(${limit}s)" ;;
    *) status="failed(rc=$rc)" ;;
  esac
  local found
  found=$(grep -oE -- "$figure" "$results/$name.log" | tail -2 | paste -sd ';' | cut -c1-120)
  printf '%s\t%s\t%s\n' "$status" "$((SECONDS - t0))" "$found" > "$results/$name.result"
  echo "[$name] $status in $((SECONDS - t0)) s: $found"
}

skip() {  # skip NAME REASON
  printf 'skipped\t0\t%s\n' "$2" > "$results/$1.result"
  echo "[$1] skipped: $2"
}

if [ "$dry" = 1 ]; then
  speed_args=(--device cpu --models 4 --epochs 1 --n-docs 2000 --vocab 500 --docs-per-task 20
              --baseline stacked1 --baseline-models 2)
  study_env=(--env gpu_dry_run)
else
  speed_args=(--device cuda --models 512 --epochs 5 --baseline stacked1 --baseline-models 8)
  study_env=()
fi

# 1. the GPU tests (CUDA vs CPU curves, stacked vs alone, a real CUDA out-of-memory)
step gpu_tests 60 "[0-9]+ (passed|failed|skipped|error).*" \
  $py -m pytest -q -p no:cacheprovider -m gpu tests/training

# 2. stacked vs one at a time: the same models, same run (synthetic 20NG shape)
step stacked_vs_alone 75 "speedup=[0-9.]+" $py benchmarks/train_speed.py "${speed_args[@]}"

# 3. the whole 20NG study, paper configuration (2,580 MTL + 765 STL models x 100 epochs),
#    end to end through kedro, in a fresh shard store; 4. again: it must train nothing
store="$results/shard_store"
rm -rf "$store"
study_params="newsgroups.archive=$archive,newsgroups.training.progress=false,newsgroups.training.device=$device,newsgroups.training.shard_store=$store"
trained="models: trained=[0-9]+ reused=[0-9]+"
step study 210 "$trained" \
  $kedro run --pipelines=newsgroups "${study_env[@]}" --params="$study_params"
step study_rerun 60 "$trained" \
  $kedro run --pipelines=newsgroups "${study_env[@]}" --params="$study_params"
if grep -q "models: trained=" "$results/study_rerun.log" &&
  ! grep "models: trained=" "$results/study_rerun.log" | grep -vq "models: trained=0 "; then
  printf 'ok\t0\tthe rerun trained nothing\n' > "$results/rerun_trains_nothing.result"
else
  printf 'FAILED\t0\tthe rerun trained models (or did not finish)\n' \
    > "$results/rerun_trains_nothing.result"
fi

# 5. the sequence encoders at the Joshi protocol's sizes (the lead's benchmark, when present)
if [ -f benchmarks/sequence_speed.py ]; then
  # shellcheck disable=SC2206
  if [ "$dry" = 1 ]; then
    default_seq="--device cpu --encoders bilstm --models 2 --steps 1 --repeats 1"
  else  # GPU: the stacked sizes a GPU runs (a shard holds 512 models there) and a CPU-sized one
    default_seq="--device cuda --models 32 512 --steps 5 --repeats 2 --plain-models 16"
  fi
  seq_args=(${SEQUENCE_SPEED_ARGS:-$default_seq})
  step sequence 60 ".+" $py benchmarks/sequence_speed.py "${seq_args[@]}"
else
  skip sequence "benchmarks/sequence_speed.py not present"
fi

# 6. peak GPU memory
if [ "$dry" = 1 ]; then
  skip peak_gpu_memory "dry run (no GPU)"
else
  kill "$sampler" 2>/dev/null
  peak=$(sort -n "$results/gpu_memory_mib.csv" | tail -1)
  printf 'ok\t0\t%s MiB (nvidia-smi, sampled every 0.5 s)\n' "${peak:-?}" \
    > "$results/peak_gpu_memory.result"
fi

{
  printf '\n| step | status | seconds | result |\n|---|---|---|---|\n'
  for name in gpu_tests stacked_vs_alone study study_rerun rerun_trains_nothing sequence \
    peak_gpu_memory; do
    if [ -f "$results/$name.result" ]; then
      IFS=$'\t' read -r status seconds found < "$results/$name.result"
      printf '| %s | %s | %s | %s |\n' "$name" "$status" "$seconds" "$found"
    else
      printf '| %s | not run | | |\n' "$name"
    fi
  done
  printf '\ntotal %s s (%s)\n' "$SECONDS" "$(date -u +%Y-%m-%dT%H:%MZ)"
} | tee "$results/summary.md"
