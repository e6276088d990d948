"""`trace` latency from a Python client while the server trains: the digits MLP and a 28x28 conv.

    .venv/bin/python bench/bench_trace.py [--rounds 200]

Each setting runs `vaestudio serve` in its own process (training, one thread). The 28x28 images
are the `shapes` data set resampled to 28x28 (a .npy file read with `--data-opt resize=28`), on
`--arch conv`. One round = one `trace` request of a data-set row (a new row each time, seed 0)
answered over the loopback socket. The issue's goal is p99 <= 20 ms on the MLP.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from support.backends import start_backend_process, stop_backend_process  # noqa: E402

from vaestudio.datasets import load_dataset  # noqa: E402


def trace_latency(rounds: int, *serve_args: str) -> tuple[float, float, int, list[list[int]]]:
    """(p50 ms, p99 ms, the step the last reply came from, the layer shapes) of `trace` while training."""
    b = start_backend_process(*serve_args)
    try:
        times = []
        with b.client(timeout=30) as c:
            n = c.call("status")["dataset"]["n"]
            deadline = time.monotonic() + 60
            while c.call("status")["step"] < 1 and time.monotonic() < deadline:  # training has begun
                time.sleep(0.05)
            c.call("trace", index=0)  # warm
            for i in range(rounds):
                t0 = time.perf_counter()
                r = c.call("trace", index=(i * 7919) % n)
                times.append((time.perf_counter() - t0) * 1000)
        times.sort()
        return times[len(times) // 2], times[max(0, int(len(times) * 0.99) - 1)], r["step"], [layer["shape"] for layer in r["layers"]]
    finally:
        stop_backend_process(b)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    options = parser.parse_args()
    print(f"trace round trip while training ({options.rounds} requests each, one row per request)")
    p50, p99, step, shapes = trace_latency(options.rounds)
    print(f"  digits MLP (64 -> 256 -> 128 -> z 2 -> 128 -> 256 -> 64): p50 {p50:.2f} ms, p99 {p99:.2f} ms "
          f"(goal p99 <= 20 ms; step {step} at the end)")
    with tempfile.TemporaryDirectory(prefix="bench-trace-") as tmp:
        shapes_data = load_dataset("shapes", n=2000)
        path = Path(tmp) / "shapes64.npy"
        np.save(path, shapes_data.x.numpy().reshape(-1, 64, 64))
        p50, p99, step, shapes = trace_latency(options.rounds, "--data-path", str(path), "--data-opt", "resize=28",
                                               "--arch", "conv", "--data-dir", tmp)
    print(f"  28x28 conv (layers {' '.join('x'.join(map(str, s)) for s in shapes)}): p50 {p50:.2f} ms, "
          f"p99 {p99:.2f} ms (step {step} at the end)")


if __name__ == "__main__":
    main()
