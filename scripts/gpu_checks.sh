#!/usr/bin/env bash
# The checks that need a CUDA GPU, in one go: the device tests (one synchronisation per step for
# every variant, bf16 autocast, data on the device), data-parallel training on the GPUs (NCCL)
# where there are two, the trainer's own cost per step, and live training against a bare loop.
#
#   scripts/gpu_checks.sh            # from the repository root, with vaestudio importable
#
# PYTHON picks the interpreter (default: .venv/bin/python, else python3). Prints what it measured;
# exits non-zero when a test fails.
set -u
cd "$(dirname "$0")/.."
PY=${PYTHON:-$([ -x .venv/bin/python ] && echo .venv/bin/python || echo python3)}
status=0
runs=$(mktemp -d)
trap 'rm -rf "$runs"' EXIT

echo "== the GPU"
nvidia-smi -L || true
$PY -c 'import torch; print("torch", torch.__version__, "sees", torch.cuda.device_count(), "GPU(s):",
        torch.cuda.get_device_name())' || exit 1

echo "== CUDA tests"
$PY -m pytest -q -p no:cacheprovider tests/test_step_sync.py -k cuda || status=1

echo "== data-parallel on the GPUs (NCCL)"
gpus=$($PY -c 'import torch; print(torch.cuda.device_count())')
if [ "$gpus" -ge 2 ]; then
    out=$(timeout 300 $PY -m vaestudio --runs-dir "$runs" train --nproc 2 --device cuda --steps 200 -q 2>&1)
    echo "$out" | tail -3
    echo "$out" | grep -q "all 2 processes hold the same weights" || { echo "FAILED: the ranks disagree"; status=1; }
else  # two ranks on one GPU is not a thing NCCL allows: the launcher must say so, not hang
    out=$(timeout 120 $PY -m vaestudio --runs-dir "$runs" train --nproc 2 --device cuda --steps 10 -q 2>&1)
    echo "exit $?"
    echo "$out" | grep -m1 "start at most one process per GPU" || { echo "$out" | tail -5; echo "FAILED: no clear refusal"; status=1; }
fi

echo "== the trainer's own cost per step on the GPU"
$PY bench/bench_step_overhead.py --device cuda --rounds 5 --seconds 0.5 ${PROFILE:+--profile} || status=1

echo "== live vs bare on the GPU"
$PY bench/bench_scale.py --device cuda --threads 1 --rounds "${ROUNDS:-3}" --only ${CASES:-mlp784 conv28 shapes} \
    --train-runs 2 --train-steps 3000 || status=1
exit $status
