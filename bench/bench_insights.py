"""What the dashboard's snapshots (dims, recons, layers and the watch) cost the live trainer.

    .venv/bin/python bench/bench_insights.py [--seconds 1] [--rounds 10] [--rows 10000]

Two models, 1 intra-op thread and batch 128, as `vaestudio serve` trains by default:
  digits MLP (64-256-128-2, the default model on digits 8x8) and a 784-400-20 MLP on `shapes`
  sprites area-resized to 28x28 (`--rows` of them).
(a) A/B: the live trainer's samples/s with the snapshots on and off, alternating within one run
    (the order flips every round, so machine noise hits both); medians of the rounds, and the
    median of each round's on/off ratio (its two windows are next to each other in time).
(b) Direct: one dims + recons refresh and one layers snapshot timed on their own (median of 50),
    times how often the trainer takes them (INSIGHTS_REFRESH_S, LAYERS_INTERVAL_S): their share
    of a second of training. (a) is noisy on a shared machine; (b) is the cost itself.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time

import numpy as np
import torch

from vaestudio import insights
from vaestudio.datasets import Dataset, load_dataset
from vaestudio.datasets.transforms import resize_images
from vaestudio.models import ModelSpec
from vaestudio.train_config import TrainConfig
from vaestudio.trainer import Trainer
from vaestudio.trainer_outputs import INSIGHTS_REFRESH_S, LAYERS_INTERVAL_S

BATCH = 128


def shapes_28(rows: int) -> Dataset:
    """`shapes` sprites (64x64) area-resized to 28x28: an MNIST-sized data set of `rows` rows."""
    ds = load_dataset("shapes", n=rows)
    x = resize_images(ds.x.numpy().reshape(-1, 64, 64, 1), (28, 28)).reshape(len(ds.x), 28 * 28)
    return dataclasses.replace(ds, x=torch.from_numpy(np.ascontiguousarray(x)), image_shape=(28, 28))


def a_b(dataset: Dataset, spec: ModelSpec, seconds: float, rounds: int) -> tuple[float, float, float]:
    """Median samples/s of the live trainer with the snapshots off, on, and the median on/off ratio."""
    trainer = Trainer(dataset, spec, TrainConfig(batch_size=BATCH))
    trainer.start_thread()
    trainer.start()
    rates: dict[bool, list[float]] = {False: [], True: []}
    try:
        time.sleep(min(1.0, seconds))  # warm-up
        for r in range(rounds):
            for on in ((False, True) if r % 2 == 0 else (True, False)):
                trainer.insights_on = on
                time.sleep(0.2)  # let a snapshot due from before the switch pass
                s0, t0 = trainer.step, time.perf_counter()
                time.sleep(seconds)
                rates[on].append((trainer.step - s0) * BATCH / (time.perf_counter() - t0))
    finally:
        trainer.stop()
    ratios = [on / off for on, off in zip(rates[True], rates[False])]
    return statistics.median(rates[False]), statistics.median(rates[True]), statistics.median(ratios)


def direct_ms(dataset: Dataset, spec: ModelSpec) -> tuple[float, float]:
    """Median ms of one dims + recons refresh and of one layers snapshot (grad norms + weight norms)."""
    trainer = Trainer(dataset, spec, TrainConfig(batch_size=BATCH))  # never started: timed here
    x, y = trainer._next_batch(BATCH)
    trainer.model(x, y).loss.backward()
    layers = insights.parameter_layers(trainer.model)

    def median_ms(fn) -> float:
        times = []
        for _ in range(50):
            t0 = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t0) * 1000)
        return statistics.median(times)

    views = median_ms(trainer._refresh_views)
    norms = median_ms(lambda: insights.layer_norms(layers, insights.grad_norms(layers)))
    trainer.stop()
    return views, norms


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seconds", type=float, default=1.0)
    p.add_argument("--rounds", type=int, default=10)
    p.add_argument("--rows", type=int, default=10_000)
    args = p.parse_args()
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, 1 intra-op thread, batch {BATCH}; dims + recons every {INSIGHTS_REFRESH_S} s, "
          f"layers every {LAYERS_INTERVAL_S} s")
    cases = [("digits MLP 64-256-128-2", load_dataset("digits"), ModelSpec(latent_dim=2)),
             (f"784-400-20 MLP, {args.rows} shapes 28x28", shapes_28(args.rows), ModelSpec(latent_dim=20, hidden=(400,)))]
    for name, dataset, spec in cases:
        off, on, ratio = a_b(dataset, spec, args.seconds, args.rounds)
        views, norms = direct_ms(dataset, spec)
        share = (views / INSIGHTS_REFRESH_S + norms / LAYERS_INTERVAL_S) / 1000
        print(f"{name}:")
        print(f"  live trainer, snapshots off : {off:,.0f} samples/s")
        print(f"  live trainer, snapshots on  : {on:,.0f} samples/s")
        print(f"  ratio on/off                : {ratio:.3f} (median of {args.rounds} rounds' ratios)")
        print(f"  direct cost                 : dims + recons {views:.2f} ms, layers {norms:.2f} ms "
              f"-> {100 * share:.2f} % of training time")


if __name__ == "__main__":
    main()
