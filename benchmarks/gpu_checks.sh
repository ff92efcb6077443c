#!/usr/bin/env bash
# Everything a GPU machine should run for this project, in one go, from the project root:
#   bash benchmarks/gpu_checks.sh [ARCHIVE] [RESULTS_DIR]
# the GPU tests, the stacked-vs-one-at-a-time benchmarks, the full-study benchmark, and the full
# paper-configuration `meta` run. Each step's output goes to RESULTS_DIR (default gpu_results/).
set -uo pipefail
archive=${1:-../shared/data/20news-bydate.tar.gz}
results=${2:-gpu_results}
mkdir -p "$results"
python -c "import torch; assert torch.cuda.is_available(), 'no CUDA device visible to torch'" || exit 1
nvidia-smi -L | tee "$results/device.txt"

python -m pytest -q -p no:cacheprovider -m gpu tests/training 2>&1 | tee "$results/gpu_tests.txt"
# the durable-training path (shard store, local and Dask executors) with CUDA visible
python -m pytest -q -p no:cacheprovider tests/training/test_store_executor.py 2>&1 |
  tee "$results/executor_tests.txt"

bench="python benchmarks/train_speed.py --device cuda"
{
  $bench --models 512 --epochs 10 --baseline plain --baseline-models 16
  $bench --models 512 --epochs 10 --baseline stacked1 --baseline-models 16
  $bench --models 512 --epochs 10 --baseline none --input-mode dense
  $bench --full-study --full-study-tasks 153   # 153 distinct tasks x 5 seeds + 2,580 MTL models
} 2>&1 | tee "$results/bench.txt"

# shard-store overhead and Dask vs in-process on the GPU (one worker: one GPU)
python benchmarks/durable_training.py --device cuda --models 512 --epochs 10 --shard-size 128 \
  --workers 1 2>&1 | tee "$results/durable_training.txt"

# The paper's configuration end to end (all 568 pair rows, 5 seeds, 100 epochs), in a fresh
# shard store; then the same run again, which must report trained=0 for both training nodes.
store="$results/shard_store"
for attempt in first rerun; do
  time kedro run --pipelines=meta \
    --params="newsgroups.archive=$archive,newsgroups.training.progress=false,newsgroups.training.shard_store=$store" \
    2>&1 | tee "$results/meta_full_$attempt.log"
done
grep -h "models: trained=" "$results"/meta_full_*.log
# the Dask executor path end to end (a one-worker LocalCluster on the GPU, its own store)
time kedro run --pipelines=newsgroups --env quick \
  --params="newsgroups.archive=$archive,newsgroups.training.executor=dask,newsgroups.training.dask.n_workers=1,newsgroups.training.shard_store=$results/shard_store_dask" \
  2>&1 | tee "$results/newsgroups_quick_dask.log"
