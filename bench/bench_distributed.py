"""Data-parallel training: samples/s of `vaestudio train` in 1 process and in 2 (`--nproc 2`), the
same batch per process.

    .venv/bin/python bench/bench_distributed.py [--steps 400] [--rounds 2] [--only digits shapes]

Each row runs `vaestudio train` headless in fresh processes; samples/s is the trainer's own
1-second rate (rank 0's metrics records: every rank's rows counted), the median over the second
half of the steps, so start-up and the launcher are left out. For each data set:
- 1 process, 1 thread; 1 process with every core (`--threads auto`);
- `--nproc 2`: 2 processes (gloo on the CPU), `--threads auto` giving each half the cores, the same
  batch per process, so each step trains on twice the rows.
Rounds alternate the rows so machine noise hits all of them; medians are printed. Prints figures;
asserts nothing. Two processes only pay off where each has cores (or a GPU) of its own: on a
2-core machine they split the same two cores and add the gradient all-reduce.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CASES = {  # name -> (label, flags)
    "digits": ("digits MLP, batch 128 per process", ["--dataset", "digits", "--batch-size", "128"]),
    "shapes": ("default model on `shapes` (64×64), batch 128 per process", ["--dataset", "shapes", "--batch-size", "128"]),
}
SETUPS = [  # (processes, --threads, label)
    (1, "1", "1 process, 1 thread"),
    (1, "auto", "1 process, all cores"),
    (2, "auto", "2 processes (`--nproc 2`), cores split"),
]


def train_rate(flags: list[str], nproc: int, threads: str, steps: int) -> float:
    """Rank 0's samples/s over the second half of a `vaestudio train` run."""
    with tempfile.TemporaryDirectory(prefix="bench-ddp-") as runs:
        cmd = [sys.executable, "-m", "vaestudio", "--runs-dir", runs, "train", "-q", "--steps", str(steps),
               "--threads", threads, *flags] + (["--nproc", str(nproc)] if nproc > 1 else [])
        r = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=900)
        if r.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed:\n{r.stdout}{r.stderr}")
        folder = Path(json.loads(r.stdout.strip().splitlines()[-1])["folder"])
        records = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
    return statistics.median(m["samples_per_s"] for m in records[len(records) // 2:])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=400, help="steps per run")
    ap.add_argument("--rounds", type=int, default=2, help="alternating rounds; medians are printed")
    ap.add_argument("--only", nargs="+", choices=sorted(CASES), default=sorted(CASES), help="data sets to run")
    args = ap.parse_args()

    print(f"`vaestudio train --steps {args.steps}`, samples/s counted over every process, median of {args.rounds} "
          "round(s)\n")
    print("| data × model | processes × threads | samples/s | vs 1 process, 1 thread |")
    print("|---|---|---:|---:|")
    for name in args.only:
        label, flags = CASES[name]
        rates: dict[int, list[float]] = {i: [] for i in range(len(SETUPS))}
        for _ in range(args.rounds):
            for i, (nproc, threads, _) in enumerate(SETUPS):
                rates[i].append(train_rate(flags, nproc, threads, args.steps))
        base = statistics.median(rates[0])
        for i, (_, _, setup) in enumerate(SETUPS):
            rate = statistics.median(rates[i])
            print(f"| {label} | {setup} | {rate:,.0f} | {rate / base:.2f} |", flush=True)


if __name__ == "__main__":
    main()
