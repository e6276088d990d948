"""pythae's trainer beside vaestudio's on the same model and data: samples/s, side by side.

    .venv/bin/python -m pip install -e '.[bench]'     # pythae, an optional extra (never a test dependency)
    .venv/bin/python bench/bench_pythae.py [--seconds 6] [--threads 1 2]

The model is the pytorch/examples VAE: a 784-400-20 MLP (ReLU) with a Bernoulli likelihood (binary
cross-entropy summed over pixels, mean over the batch), Adam at lr 1e-3, batch 128, on 10 000 sparse
binary 28x28 rows (bench_scale.make_images). For each thread count:
- pythae: pythae.trainers.BaseTrainer training pythae.models.VAE (encoder and decoder of that shape,
  sigmoid output as its BCE loss wants) as a user runs it: its DataLoader, progress bar and epoch
  bookkeeping, in a process of its own under torch.set_num_threads(N), once under OpenMP's default
  wait policy and once under PASSIVE (vaestudio's default); samples/s from the steps a callback sees
  after a warm-up;
- vaestudio: `vaestudio train --threads N` (headless) on the same rows saved as .npy; samples/s is
  its own 1-second rate (the metrics records' samples_per_s) over the second half of its steps.
Rounds alternate so machine noise hits both; medians are printed. Prints figures; asserts nothing.
Without pythae it says how to install it and exits 0.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parent.parent
PYTHAE_CHILD = "--pythae-child"  # argv[1] of the process that trains pythae (see pythae_process)
BATCH = 128
LATENT, HIDDEN = 20, 400


class _WindowDone(Exception):
    """Raised by the step callback to end pythae's training once the measured window is over."""


def pythae_samples_per_s(images: np.ndarray, threads: int, seconds: float, warmup: float) -> float:
    """pythae's BaseTrainer on the 784-400-20 VAE: samples/s over `seconds` after `warmup` seconds."""
    from pythae.data.datasets import BaseDataset
    from pythae.models import VAE, VAEConfig
    from pythae.models.base.base_utils import ModelOutput
    from pythae.models.nn import BaseDecoder, BaseEncoder
    from pythae.trainers import BaseTrainer, BaseTrainerConfig
    from pythae.trainers.training_callbacks import TrainingCallback

    class Encoder(BaseEncoder):
        def __init__(self):
            super().__init__()
            self.body = torch.nn.Sequential(torch.nn.Flatten(1), torch.nn.Linear(784, HIDDEN), torch.nn.ReLU())
            self.mu, self.log_var = torch.nn.Linear(HIDDEN, LATENT), torch.nn.Linear(HIDDEN, LATENT)

        def forward(self, x):
            h = self.body(x)  # (B, 400)
            return ModelOutput(embedding=self.mu(h), log_covariance=self.log_var(h))

    class Decoder(BaseDecoder):
        def __init__(self):
            super().__init__()
            self.body = torch.nn.Sequential(torch.nn.Linear(LATENT, HIDDEN), torch.nn.ReLU(), torch.nn.Linear(HIDDEN, 784),
                                            torch.nn.Sigmoid())

        def forward(self, z):
            return ModelOutput(reconstruction=self.body(z).reshape(-1, 1, 28, 28))

    class Clock(TrainingCallback):
        def __init__(self):
            self.start = time.perf_counter()
            self.window: list[float] = []  # times of the steps after the warm-up

        def on_train_step_end(self, training_config, **kwargs):
            now = time.perf_counter()
            if now - self.start >= warmup:
                self.window.append(now)
                if now - self.window[0] >= seconds:
                    raise _WindowDone

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    data = torch.from_numpy(images).float().div(255).reshape(-1, 1, 28, 28)  # (N, 1, 28, 28) in {0, 1}
    model = VAE(VAEConfig(input_dim=(1, 28, 28), latent_dim=LATENT, reconstruction_loss="bce"),
                encoder=Encoder(), decoder=Decoder())
    clock = Clock()
    with tempfile.TemporaryDirectory(prefix="bench-pythae-") as out:
        config = BaseTrainerConfig(output_dir=out, per_device_train_batch_size=BATCH, num_epochs=10_000,
                                   learning_rate=1e-3, optimizer_cls="Adam", no_cuda=True, keep_best_on_train=True)
        trainer = BaseTrainer(model, BaseDataset(data, torch.zeros(len(data))), training_config=config,
                              callbacks=[clock])
        try:
            trainer.train()
        except _WindowDone:
            pass
    steps = len(clock.window) - 1  # steps finished between the window's first and last stamp
    return steps * BATCH / (clock.window[-1] - clock.window[0])


def pythae_process(npy: str, threads: int, seconds: float, warmup: float, wait_policy: str | None) -> float:
    """pythae_samples_per_s in a process of its own, under OpenMP's default wait policy (None) or the one named."""
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    if wait_policy:
        env["OMP_WAIT_POLICY"] = wait_policy
    job = json.dumps({"npy": npy, "threads": threads, "seconds": seconds, "warmup": warmup})
    r = subprocess.run([sys.executable, __file__, PYTHAE_CHILD, job], cwd=REPO, env=env, capture_output=True, text=True,
                       timeout=600)
    if r.returncode != 0:
        raise RuntimeError(r.stdout + r.stderr)
    return float(r.stdout.splitlines()[-1])


def vaestudio_samples_per_s(npy: str, threads: int, steps: int) -> float:
    """`vaestudio train` of the same model on the same rows: its own samples/s, second half of the steps."""
    with tempfile.TemporaryDirectory(prefix="bench-pythae-runs-") as runs:
        cmd = [sys.executable, "-m", "vaestudio", "--runs-dir", runs, "train", "--steps", str(steps),
               "--threads", str(threads), "--data-path", npy, "--hidden", str(HIDDEN), "--latent-dim", str(LATENT),
               "--batch-size", str(BATCH), "--lr", "1e-3"]
        r = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=900)
        if r.returncode != 0:
            raise RuntimeError(r.stdout + r.stderr)
        folder = Path(json.loads(r.stdout.splitlines()[-1])["folder"])
        rates = [json.loads(line)["samples_per_s"] for line in (folder / "metrics.jsonl").read_text().splitlines()]
        return statistics.median(rates[len(rates) // 2:])


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seconds", type=float, default=6.0, help="measured seconds of each pythae round")
    p.add_argument("--warmup", type=float, default=1.0, help="seconds of pythae training before measuring")
    p.add_argument("--steps", type=int, default=0,
                   help="steps of each `vaestudio train` round (default: about --seconds at pythae's rate, at least 100)")
    p.add_argument("--rounds", type=int, default=1, help="alternating rounds per thread count (medians)")
    p.add_argument("--threads", nargs="+", type=int, metavar="N", help="thread counts (default: 1 and every core)")
    args = p.parse_args()
    if importlib.util.find_spec("pythae") is None:
        print("pythae not installed: pip install -e .[bench]")
        return 0
    from importlib.metadata import version
    sys.path.insert(0, str(REPO / "bench"))
    from bench_scale import make_images

    from vaestudio.latent_refresh import available_cores

    cores = available_cores()
    print(f"pythae {version('pythae')}, torch {torch.__version__}, "
          f"{cores} cores; 784-400-20 MLP VAE, Bernoulli, Adam 1e-3, batch {BATCH}, 10 000 28x28 rows; "
          f"medians of {args.rounds}")
    print()
    print("| trainer, 784-400-20 on 10k 28x28 | threads | pythae samples/s (OMP default / passive) | "
          "vaestudio train samples/s | vaestudio/pythae (the faster) |")
    print("|---|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory(prefix="bench-pythae-") as tmp:
        npy = make_images(Path(tmp))
        for threads in args.threads or sorted({1, cores}):
            spin, passive, ours = [], [], []
            for _ in range(args.rounds):
                spin.append(pythae_process(npy, threads, args.seconds, args.warmup, None))
                steps = args.steps or max(100, int(spin[-1] * args.seconds / BATCH))
                ours.append(vaestudio_samples_per_s(npy, threads, steps))
                passive.append(pythae_process(npy, threads, args.seconds, args.warmup, "PASSIVE"))
            a, b, ours_rate = statistics.median(spin), statistics.median(passive), statistics.median(ours)
            print(f"| pythae BaseTrainer vs vaestudio train | {threads} | {a:,.0f} / {b:,.0f} | {ours_rate:,.0f} | "
                  f"{ours_rate / max(a, b):.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == PYTHAE_CHILD:
        logging.getLogger("pythae").setLevel(logging.WARNING)  # its per-epoch info lines, not the figures
        job = json.loads(sys.argv[2])
        print(pythae_samples_per_s(np.load(job["npy"]), job["threads"], job["seconds"], job["warmup"]))
        sys.exit(0)
    sys.exit(main())
