"""Live training against a bare loop at realistic sizes: model x data x threads.

    .venv/bin/python bench/bench_scale.py [--seconds 4] [--rounds 1] [--only digits mlp784 ...]

For each case and thread count (1, and every core this process may use):
- bare: a plain PyTorch loop of the same model, optimiser, batch and data (bare_loop.py), in its own
  process with the same intra-op thread count, reading the loss back every step as the trainer does;
  once under OpenMP's default wait policy (idle threads spin) and once under PASSIVE (they sleep);
  the ratio is taken against the faster of the two. (Spinning is 3x faster with 2 threads on 2 idle
  cores and collapses as soon as anything else wants a core; PASSIVE is the reverse. A live run
  always has its server and latent encodes beside training, which is why `--threads auto` leaves a
  core free for `serve`.)
- live: `vaestudio serve --threads N` in its own process, training and streaming every topic to one
  subscriber; samples/s from the `status` step counts over the same wall time; the latent rate is the
  `latent` frames with a new step the subscriber received per second; peak RSS is the server's;
- headless (the shapes case only): `vaestudio train --threads N`; samples/s is the trainer's own
  1-second rate (the metrics records' samples_per_s) over the second half of its steps.
Bare and live rounds alternate so machine noise hits both; medians are printed. Prints figures;
asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from support.backends import REPO, start_backend_process, stop_backend_process  # noqa: E402

from bench_startup import peak_rss_mib  # noqa: E402  (this folder: the script's own)

from vaestudio.latent_refresh import available_cores  # noqa: E402
from vaestudio.models import ModelSpec  # noqa: E402


@dataclass
class Case:
    name: str
    label: str  # what the table shows
    data: dict  # as run.new's `data` (a file path is filled in at run time)
    spec: ModelSpec
    batch: int
    headless: bool = False  # also run `vaestudio train`

    def flags(self) -> list[str]:
        out = ["--latent-dim", str(self.spec.latent_dim), "--arch", self.spec.arch, "--batch-size", str(self.batch)]
        if self.spec.arch == "mlp":
            out += ["--hidden", *map(str, self.spec.hidden)]
        if self.data["name"] == "file":
            return out + ["--data-path", self.data["path"]]
        return out + ["--dataset", self.data["name"]]


def cases(npy: str) -> list[Case]:
    return [
        Case("digits", "digits 8x8, MLP 64-256-128-2, batch 128", {"name": "digits"}, ModelSpec(latent_dim=2), 128),
        Case("mlp784", "10k 28x28, MLP 784-400-20, batch 128", {"name": "file", "path": npy},
             ModelSpec(latent_dim=20, hidden=(400,)), 128),
        Case("conv28", "10k 28x28, conv (default), z 20, batch 64", {"name": "file", "path": npy},
             ModelSpec(latent_dim=20, arch="conv"), 64),
        Case("shapes", "shapes 64x64, default MLP, batch 128", {"name": "shapes"}, ModelSpec(latent_dim=2), 128,
             headless=True),
    ]


def make_images(folder: Path) -> str:
    """10 000 sparse binary 28x28 images (uint8 0/255) in a .npy: the throughput does not depend on
    what they show."""
    rng = np.random.default_rng(0)
    images = ((rng.random((10_000, 28, 28)) < 0.15) * 255).astype(np.uint8)
    path = folder / "images28.npy"
    np.save(path, images)
    return str(path)


def bare_loop(case: Case, threads: int, seconds: float, wait_policy: str | None) -> float:
    """bare_loop.py in its own process, under OpenMP's default wait policy (None) or the one named."""
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    if wait_policy:
        env["OMP_WAIT_POLICY"] = wait_policy
    spec = {"latent_dim": case.spec.latent_dim, "arch": case.spec.arch, "hidden": list(case.spec.hidden)}
    job = json.dumps({"data": case.data, "spec": spec, "batch": case.batch})
    r = subprocess.run([sys.executable, str(REPO / "bench" / "bare_loop.py"), job, "--threads", str(threads),
                        "--seconds", str(seconds)], cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise RuntimeError(r.stdout + r.stderr)
    return json.loads(r.stdout.splitlines()[-1])["samples_per_s"]


def subscriber(client, stop: threading.Event, latent_steps: set) -> None:
    client.subscribe()
    while not stop.is_set():
        try:
            topic, body = client.next_stream(timeout=0.5)
        except TimeoutError:
            continue
        if topic == "latent":
            latent_steps.add((body["run"], body["step"]))


def live_loop(case: Case, threads: int, seconds: float, warmup: float) -> tuple[float, float, float]:
    """(samples/s, latent frames/s, peak RSS MiB) of `vaestudio serve` training and streaming to one
    subscriber."""
    b = start_backend_process("--paused", "--threads", str(threads), "--autosave", "0", *case.flags(), timeout=120)
    try:
        sub, ctl = b.client(), b.client(timeout=30)
        stop, latent_steps = threading.Event(), set()
        t = threading.Thread(target=subscriber, args=(sub, stop, latent_steps), daemon=True)
        t.start()
        ctl.call("train.start")
        time.sleep(warmup)
        s0, t0 = ctl.call("status")["step"], time.perf_counter()
        n0 = len(latent_steps)
        time.sleep(seconds)
        s1, t1 = ctl.call("status")["step"], time.perf_counter()
        frames = len(latent_steps) - n0
        rss = peak_rss_mib(b.process.pid)
        stop.set()
        t.join()
        sub.close()
        ctl.close()
        return (s1 - s0) * case.batch / (t1 - t0), frames / (t1 - t0), rss
    finally:
        stop_backend_process(b)


def headless(case: Case, threads: int, steps: int) -> float:
    """`vaestudio train`'s own samples/s over the second half of its steps."""
    with tempfile.TemporaryDirectory(prefix="bench-scale-runs-") as runs:
        cmd = [sys.executable, "-m", "vaestudio", "--runs-dir", runs, "train", "-q", "--steps", str(steps),
               "--threads", str(threads), *case.flags()]
        r = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=900)
        if r.returncode != 0:
            raise RuntimeError(r.stdout + r.stderr)
        folder = Path(json.loads(r.stdout.splitlines()[-1])["folder"])
        rates = [json.loads(line)["samples_per_s"] for line in (folder / "metrics.jsonl").read_text().splitlines()]
        return statistics.median(rates[len(rates) // 2:])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seconds", type=float, default=4.0, help="measured seconds of each bare and live round")
    p.add_argument("--warmup", type=float, default=1.5, help="seconds of live training before measuring")
    p.add_argument("--rounds", type=int, default=1, help="alternating bare/live rounds per row (medians)")
    p.add_argument("--train-steps", type=int, default=400, help="steps of the headless `vaestudio train` rows")
    p.add_argument("--only", nargs="+", metavar="CASE", help="a subset of: digits mlp784 conv28 shapes")
    p.add_argument("--threads", nargs="+", type=int, metavar="N",
                   help="thread counts to measure (default: 1 and every core)")
    args = p.parse_args()
    cores = available_cores()
    thread_counts = args.threads or sorted({1, cores})
    print(f"torch {torch.__version__}, {cores} cores available; rounds of {args.seconds:g} s, medians of "
          f"{args.rounds}; serve --threads N, bare loop with "
          "torch.set_num_threads(N) under OpenMP's default wait policy and under PASSIVE")
    print()
    print("| model x data | threads | bare samples/s (OMP default / passive) | live samples/s | live/bare "
          "(the faster bare) | latent Hz | peak RSS MiB |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        npy = make_images(Path(tmp))
        for case in cases(npy):
            if args.only and case.name not in args.only:
                continue
            for threads in thread_counts:
                spin, passive, live, hz, rss, train = [], [], [], [], [], []
                for _ in range(args.rounds):
                    spin.append(bare_loop(case, threads, args.seconds, None))
                    rate, frames, peak = live_loop(case, threads, args.seconds, args.warmup)
                    live.append(rate)
                    hz.append(frames)
                    rss.append(peak)
                    passive.append(bare_loop(case, threads, args.seconds, "PASSIVE"))
                    if case.headless:
                        train.append(headless(case, threads, args.train_steps))
                bs, bp = statistics.median(spin), statistics.median(passive)
                b, lv = max(bs, bp), statistics.median(live)
                print(f"| {case.label}, serve | {threads} | {bs:,.0f} / {bp:,.0f} | {lv:,.0f} | {lv / b:.2f} | "
                      f"{statistics.median(hz):.1f} | {max(rss):,.0f} |", flush=True)
                if train:
                    tr = statistics.median(train)
                    print(f"| {case.label}, train (headless) | {threads} | {bs:,.0f} / {bp:,.0f} | {tr:,.0f} | "
                          f"{tr / b:.2f} | - | - |", flush=True)


if __name__ == "__main__":
    main()
