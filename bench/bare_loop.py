"""A bare PyTorch training loop: what the studio's trainer is measured against.

The same model, optimiser (a run's default: Adam, lr 1e-3, fused where torch has the kernel),
batch and data as a run, nothing else: no server, no streams, no snapshots. It reads the loss back
every step, as the trainer does, and flushes denormals to zero as the trainer's thread does
(intra_op.py), and keeps the memory it frees as their processes do (allocator.py), so that a ratio
to it is the studio's overhead alone; --keep-denormals gives the plain PyTorch loop
(bench_step_overhead.py shows what flushing them gains).

Run it in its own process (bench_scale.py does) so that OpenMP's wait policy, which is fixed when
torch loads, can be chosen per measurement:

    OMP_WAIT_POLICY=PASSIVE .venv/bin/python bench/bare_loop.py '{"data": {"name": "digits"}, \
        "spec": {"latent_dim": 2}, "batch": 128}' --threads 2 --seconds 4

prints {"samples_per_s": ...} on one line. With --windows it stays up and trains one window per
line of stdin (seconds), idle in between.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

from vaestudio import allocator
from vaestudio.devices import autocast
from vaestudio.loading import load_data
from vaestudio.models import ModelSpec, build_model, fit_spec
from vaestudio.optimizers import make_optimizer
from vaestudio.train_config import TrainConfig


class BareLoop:
    """The loop, built once: run(seconds) trains for that long and returns samples/s."""

    def __init__(self, data_source: dict, spec: ModelSpec, batch: int, threads: int, device: str = "cpu",
                 warm: int = 3, flush_denormal: bool = True):
        self.flush_denormal = flush_denormal
        torch.set_flush_denormal(flush_denormal)  # before the first parallel op: its team inherits it
        allocator.keep_freed_memory()  # as `vaestudio train` and `serve` do: no page faults on reused buffers
        torch.set_num_threads(threads)
        self.device = torch.device(device)
        data = load_data(data_source, [Path(data_source.get("path", ".")).parent])
        self.x = data.x[data.train_idx].to(self.device)  # the whole set on the device, as the trainer keeps it
        torch.manual_seed(0)
        self.model = build_model(fit_spec(spec, data)).to(self.device)
        # a run's own optimiser (Adam, lr 1e-3, on the fused kernel where torch has one): the ratio is
        # the studio's overhead, not the kernel's gain (bench_optimizer.py measures that)
        self.opt = make_optimizer(TrainConfig(), self.model.parameters(), self.device)
        self.gen = torch.Generator(device=self.device).manual_seed(0)
        self.batch = min(batch, len(self.x))
        self._batches = self._order()
        for _ in range(warm):  # the first steps allocate
            self._step()

    def _order(self):
        while True:
            perm = torch.randperm(len(self.x), generator=self.gen, device=self.device)
            for i in range(0, len(self.x) - self.batch + 1, self.batch):
                yield perm[i : i + self.batch]

    def _step(self) -> None:
        with autocast(self.device, True):  # bf16 on a GPU, as a run's default; nothing on the CPU
            out = self.model(self.x[next(self._batches)], None, beta=1.0, generator=self.gen)
        self.opt.zero_grad(set_to_none=True)
        out.loss.backward()
        self.opt.step()
        float(out.loss.detach())

    def run(self, seconds: float) -> float:
        """Trains for `seconds` on the calling thread, in this loop's floating-point mode (a thread's
        own, so it is set again for each window: another loop may share the thread)."""
        torch.set_flush_denormal(self.flush_denormal)
        steps, t0 = 0, time.perf_counter()
        while True:
            self._step()
            steps += 1
            if time.perf_counter() - t0 >= seconds:
                return steps * self.batch / (time.perf_counter() - t0)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("case", help='JSON: {"data": run.new data, "spec": ModelSpec fields, "batch": N}')
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seconds", type=float, default=4.0)
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--keep-denormals", action="store_true",
                   help="compute with denormal floats, as a plain PyTorch loop does (default: flushed, as the trainer)")
    p.add_argument("--windows", action="store_true",
                   help="after building, read one number of seconds per line on stdin and answer each with a "
                        "window's samples/s (bench_scale.py alternates such windows with a live run's)")
    args = p.parse_args()
    case = json.loads(args.case)
    loop = BareLoop(case["data"], ModelSpec.from_dict(case["spec"]), int(case["batch"]), args.threads, args.device,
                     flush_denormal=not args.keep_denormals)
    if not args.windows:
        print(json.dumps({"samples_per_s": loop.run(args.seconds)}))
        return
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        print(json.dumps({"samples_per_s": loop.run(float(line))}), flush=True)


if __name__ == "__main__":
    main()
