"""The latent explorer's figures from Python: the `latent` stream's size and rate at latent_dim 2,
32 and 256, and the round trip of a 16×16 manifold grid (256 decodes in one request) while training.

    .venv/bin/python bench/bench_latent.py [--seconds 5] [--points 10000]

Each setting runs `vaestudio serve` in its own process (training, one thread), with `--points` rows
of the moons data set in the latent subset (10 000 by default, the most the stream carries); the
grid is decoded by the digits MLP at latent_dim 2, as the issue's goal names it (≤ 50 ms).
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import zmq

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from support.backends import start_backend_process, stop_backend_process  # noqa: E402


def stream_figures(latent_dim: int, points: int, seconds: float) -> tuple[float, float, int]:
    """(messages per second, mean KiB per message, N) of the latent stream while training."""
    b = start_backend_process("--latent-dim", str(latent_dim), "--dataset", "moons", "--data-opt", f"n={points}")
    sub = zmq.Context.instance().socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    sub.setsockopt(zmq.SUBSCRIBE, b"latent")
    sub.connect(b.stream)
    try:
        sub.poll(10_000)  # the first message: the subscription is live
        sub.recv_multipart()
        sizes, t0 = [], time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            if sub.poll(1000):
                sizes.append(len(sub.recv_multipart()[1]))
        elapsed = time.perf_counter() - t0
        return len(sizes) / elapsed, statistics.mean(sizes) / 1024 if sizes else 0.0, points
    finally:
        sub.close(0)
        stop_backend_process(b)


def grid_round_trip(n: int = 16, rounds: int = 60) -> tuple[float, float]:
    """p50 / p99 ms of one decode of an n×n grid over [-3, 3]², from Python, while training."""
    b = start_backend_process()
    try:
        axis = np.linspace(-3, 3, n, dtype=np.float32)
        grid = np.stack(np.meshgrid(axis, axis), -1).reshape(-1, 2)  # (n*n, 2)
        times = []
        with b.client(timeout=10) as c:
            c.decode(grid)  # warm
            for _ in range(rounds):
                t0 = time.perf_counter()
                images = c.decode(grid)
                times.append((time.perf_counter() - t0) * 1000)
        assert images.shape == (n * n, 8, 8)
        times.sort()
        return times[len(times) // 2], times[int(len(times) * 0.99) - 1]
    finally:
        stop_backend_process(b)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--points", type=int, default=10_000)
    parser.add_argument("--dims", type=int, nargs="+", default=[2, 32, 256])
    options = parser.parse_args()
    print(f"latent stream while training (moons, {options.points} points, {options.seconds:g} s each)")
    for dim in options.dims:
        rate, kib, n = stream_figures(dim, options.points, options.seconds)
        print(f"  latent_dim {dim:>3}: {rate:5.1f} messages/s, {kib:7.1f} KiB each (N = {n})")
    p50, p99 = grid_round_trip()
    print(f"16x16 grid decode (256 z, digits MLP) while training: p50 {p50:.2f} ms, p99 {p99:.2f} ms")


if __name__ == "__main__":
    main()
