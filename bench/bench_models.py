"""The model table: every model of the zoo on digits and shapes with a fixed budget of steps.

    .venv/bin/python bench/bench_models.py [--digits-steps 3000] [--shapes-steps 1000] [--iw 100]

For each model: test ELBO, importance-sampled NLL (k = --iw), recon, KL, active units and training
samples/s, all on the held-out split. Digits are binarised at 0.5 (the published reference
numbers are on binarised MNIST); shapes (64x64) use the MLP networks too (--shapes-arch conv for the
convolutional ones, about 20x slower per step on a CPU). Prints a Markdown table; asserts
nothing. Same seed for every model, one torch thread, as `vaestudio serve` runs.
"""

from __future__ import annotations

import argparse
import time

import torch

from vaestudio.train_config import TrainConfig
from vaestudio.datasets import load_dataset
from vaestudio.evaluate import evaluate
from vaestudio.models import MODELS, ModelSpec
from vaestudio.trainer import Trainer


def train(dataset, model: str, arch: str, steps: int, batch: int) -> tuple[Trainer, float]:
    spec = ModelSpec(name=model, latent_dim=2 if dataset.name == "digits" else 10, arch=arch)
    t = Trainer(dataset, spec, TrainConfig(batch_size=batch, seed=0))
    cfg = t.config
    t0 = time.perf_counter()
    for _ in range(steps):
        t._train_step(cfg)
    rate = steps * batch / (time.perf_counter() - t0)
    return t, rate


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--digits-steps", type=int, default=3000)
    p.add_argument("--shapes-steps", type=int, default=1000)
    p.add_argument("--shapes-arch", default="mlp", choices=["mlp", "conv"])
    p.add_argument("--iw", type=int, default=100)
    p.add_argument("--models", nargs="+", default=list(MODELS))
    args = p.parse_args()
    torch.set_num_threads(1)
    setups = [
        (load_dataset("digits", binarize=0.5), "mlp", args.digits_steps, 128),
        (load_dataset("shapes", n=4000), args.shapes_arch, args.shapes_steps, 64),
    ]
    print(f"torch {torch.__version__}, 1 thread; digits (binarised): latent 2, MLP, {args.digits_steps} steps x 128; "
          f"shapes: latent 10, {args.shapes_arch}, {args.shapes_steps} steps x 64; IS-NLL k={args.iw}; test split")
    print()
    print("| data | model | test ELBO | IS-NLL | recon | KL | active units | samples/s |")
    print("|---|---|---|---|---|---|---|---|")
    for dataset, arch, steps, batch in setups:
        for model in args.models:
            t, rate = train(dataset, model, arch, steps, batch)
            r = evaluate(t.model, dataset, "test", 0 if model == "vq_vae" else args.iw)
            nll = f"{r['nll']:.2f}" if "nll" in r else "—"
            print(f"| {dataset.name} | {model} | {r['elbo']:.2f} | {nll} | {r['recon']:.2f} | {r['kl']:.2f} | "
                  f"{r['active_units']} | {rate:,.0f} |", flush=True)


if __name__ == "__main__":
    main()
