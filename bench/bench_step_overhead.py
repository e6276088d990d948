"""The trainer's own cost per step, against a bare loop, in one process: what every run pays.

    .venv/bin/python bench/bench_step_overhead.py [--device cpu|cuda] [--only tiny digits ...] [--profile]

A tiny model's CPU step (an 8-unit MLP at batch 8: about half a millisecond of Python) and a GPU
step of any small model are mostly interpreter time, so this is where the trainer's bookkeeping
(the one read of the step's scalars, the batch order, the metrics records) shows most. For each
case, in one process, windows of each in turn (medians of --rounds), microseconds per step:
- bare: bench/bare_loop.py's loop (the same model, Adam, batch, data on the device, bf16 autocast
  on a GPU, the loss read every step, denormals flushed to zero as on the trainer's thread);
- plain: the same loop keeping denormals, as a plain PyTorch loop does (the last column is what
  flushing them gains a run: after a few thousand steps a VAE's dead units and collapsed
  dimensions leave much of Adam's state denormal, intra_op.py; the line under each row counts
  them in the plain loop's exp_avg);
- step: Trainer._train_step called in a loop (headless, no dashboard snapshots);
- headless: the trainer's own thread running `vaestudio train`'s one request for N steps, with
  everything a headless run does between steps.
--profile adds cProfile's largest differences, step minus bare, per step. Prints figures; asserts
nothing.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import queue
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bare_loop import BareLoop  # noqa: E402
from bench_scale import make_images  # noqa: E402

from vaestudio.loading import load_data  # noqa: E402
from vaestudio.models import ModelSpec  # noqa: E402
from vaestudio.train_config import TrainConfig  # noqa: E402
from vaestudio.trainer import Trainer  # noqa: E402


def cases(npy: str) -> dict[str, tuple[str, dict, ModelSpec, int]]:
    return {
        "tiny": ("digits, MLP 64-8-2, batch 8", {"name": "digits"}, ModelSpec(latent_dim=2, hidden=(8,)), 8),
        "digits": ("digits, MLP 64-256-128-2, batch 128", {"name": "digits"}, ModelSpec(latent_dim=2), 128),
        "mlp784": ("10k 28x28, MLP 784-400-20, batch 128", {"name": "file", "path": npy},
                   ModelSpec(latent_dim=20, hidden=(400,)), 128),
        "shapes": ("shapes 64x64, default MLP, batch 128", {"name": "shapes"}, ModelSpec(latent_dim=2), 128),
    }


def per_step_us(fn, n: int, sync) -> float:
    sync()
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    sync()
    return (time.perf_counter() - t0) / n * 1e6


def denormal_share(loop: BareLoop) -> str:
    """How many of the loop's Adam exp_avg values are denormal (the running means of dead units'
    zero gradients, stuck where 0.9 x the value rounds back to itself)."""
    tiny = torch.finfo(torch.float32).tiny
    found = total = steps = 0
    for state in loop.opt.state.values():
        avg = state["exp_avg"].detach().abs()
        found += int(((avg > 0) & (avg < tiny)).sum())
        total += avg.numel()
        steps = int(state["step"])
    return f"{found:,} of {total:,} ({found / max(total, 1):.0%}) after {steps:,} steps"


def keeping_denormals(fn):
    """fn() with denormals kept on this thread, which otherwise flushes them as the trainer's does
    (the bare loop set that up, and the stepped trainer's windows run here too)."""
    torch.set_flush_denormal(False)
    try:
        return fn()
    finally:
        torch.set_flush_denormal(True)


def headless_us(trainer: Trainer, n: int, sync) -> float:
    """As `vaestudio train` runs: one request for n steps on the trainer's thread."""
    done: queue.Queue = queue.Queue()
    sync()
    t0 = time.perf_counter()
    trainer.request_steps(n, done.put)
    done.get()
    sync()
    return (time.perf_counter() - t0) / n * 1e6


def profile_per_step(fn, n: int, sync) -> dict[str, float]:
    p = cProfile.Profile()
    sync()
    p.enable()
    for _ in range(n):
        fn()
    sync()
    p.disable()
    return {f"{k[0].split('/')[-1]}:{k[2]}": v[2] / n * 1e6 for k, v in pstats.Stats(p).stats.items()}


def measure(label: str, data: dict, spec: ModelSpec, batch: int, args: argparse.Namespace) -> None:
    sync = torch.cuda.synchronize if args.device == "cuda" else (lambda: None)
    plain = BareLoop(data, spec, batch, args.threads, args.device, flush_denormal=False)
    bare = BareLoop(data, spec, batch, args.threads, args.device)  # built last: this thread flushes, as the trainer's
    dataset = load_data(data, [Path(data.get("path", ".")).parent])

    def trainer() -> Trainer:
        t = Trainer(dataset, spec, TrainConfig(batch_size=batch, device=args.device), threads=args.threads)
        t.streaming = False  # as `vaestudio train`
        return t

    stepped, threaded = trainer(), trainer()
    stepped.insights_on = False
    threaded.start_thread()
    n = max(50, int(args.seconds * 1e6 / per_step_us(bare._step, 20, sync)))  # steps per window
    headless_us(threaded, 20, sync)
    for _ in range(20):
        stepped._train_step(stepped.config)
    rows = {"bare": [], "plain": [], "step": [], "headless": []}
    try:
        for _ in range(args.rounds):
            rows["bare"].append(per_step_us(bare._step, n, sync))
            rows["plain"].append(keeping_denormals(lambda: per_step_us(plain._step, n, sync)))
            rows["step"].append(per_step_us(lambda: stepped._train_step(stepped.config), n, sync))
            rows["headless"].append(headless_us(threaded, n, sync))
    finally:
        threaded.stop()
    bare_us = statistics.median(rows["bare"])
    cells = [f"{statistics.median(v):,.0f}" for v in rows.values()]
    ratios = [bare_us / statistics.median(rows[k]) for k in ("step", "headless")]
    gain = statistics.median(rows["plain"]) / statistics.median(rows["headless"])
    print(f"| {label} | {' | '.join(cells)} | {ratios[0]:.3f} | {ratios[1]:.3f} | {gain:.2f}x |", flush=True)
    # counted keeping them: on this thread, flushing, a denormal compares equal to 0
    print(f"    the plain loop's Adam exp_avg values that are denormal: {keeping_denormals(lambda: denormal_share(plain))}",
          flush=True)
    if args.profile:
        b = profile_per_step(bare._step, n, sync)
        s = profile_per_step(lambda: stepped._train_step(stepped.config), n, sync)
        order = sorted(set(b) | set(s), key=lambda k: -(s.get(k, 0.0) - b.get(k, 0.0)))
        for k in order[:12]:
            print(f"    {s.get(k, 0.0) - b.get(k, 0.0):+7.1f} us  (bare {b.get(k, 0.0):6.1f}, step {s.get(k, 0.0):6.1f})  {k}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--threads", type=int, default=1, help="intra-op threads of every loop")
    p.add_argument("--seconds", type=float, default=1.0, help="length of each window")
    p.add_argument("--rounds", type=int, default=7, help="windows of each (medians)")
    p.add_argument("--only", nargs="+", metavar="CASE", help="a subset of: tiny digits mlp784 shapes")
    p.add_argument("--profile", action="store_true", help="also print cProfile's largest step-minus-bare differences")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    where = torch.cuda.get_device_name() if args.device == "cuda" else "CPU"
    print(f"torch {torch.__version__} on {where}, {args.threads} thread(s); microseconds per step, medians of "
          f"{args.rounds} windows of {args.seconds:g} s; ratio = bare / trainer; "
          "headless vs plain = plain / headless, the speed-up a run has over a plain PyTorch loop")
    print()
    print("| model x data | bare | plain (denormals kept) | trainer step | headless train | step ratio | headless ratio "
          "| headless vs plain |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory(prefix="bench-step-") as tmp:
        npy = make_images(Path(tmp))
        for name, (label, data, spec, batch) in cases(npy).items():
            if not args.only or name in args.only:
                measure(label, data, spec, batch, args)


if __name__ == "__main__":
    main()
