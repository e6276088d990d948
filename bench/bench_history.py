"""metrics.history over a long run: 1 000 000 steps of 8 metrics (plus a test_loss every 500 steps).

    .venv/bin/python bench/bench_history.py [--steps 1000000] [--rounds 50]

(a) filling the history as the trainer does, one record per step (µs per append);
(b) `bucket(0, 1000)` and `bucket(0, 4096)` on it: p50 / p99 in ms (the issue's goal: ≤ 50 ms);
(c) the same plus the reply's msgpack encoding, and the whole op round trip through an
    in-process server (paused, its live run's history replaced by the filled one) from the client;
(d) reading the run's metrics.jsonl back (what `run.load` and a saved run's first query cost).
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import zmq

from vaestudio import wire
from vaestudio.client import Client
from vaestudio.datasets import load_dataset
from vaestudio.history import MetricsHistory
from vaestudio.models import ModelSpec
from vaestudio.ops_runs import history_result
from vaestudio.runs import RunStore
from vaestudio.server import Server
from vaestudio.train_config import TrainConfig
from vaestudio.trainer import Trainer


def records(n: int):
    """Trainer-like records: 8 metrics every step, test_loss every 500 steps."""
    rng = np.random.default_rng(0)
    loss = 30.0 * np.exp(-np.arange(1, n + 1) / (n / 5)) + rng.normal(0, 1, n) + 20.0
    for s in range(1, n + 1):
        r = {"step": s, "epoch": s // 12, "loss": float(loss[s - 1]), "recon": float(loss[s - 1]) - 3.0, "kl": 3.0,
             "lr": 1e-3, "beta": 1.0, "batch_size": 128, "samples_per_s": 90_000.0}
        if s % 500 == 0:
            r["test_loss"] = float(loss[s - 1]) + 1.0
        yield r


def percentiles(fn, rounds: int) -> str:
    """Wall-clock p50 and p99, and the p50 of this process's CPU time (which other programs on a
    busy machine do not inflate), in ms."""
    wall, cpu = [], []
    for _ in range(rounds):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - t0) * 1e3)
        cpu.append((time.process_time() - c0) * 1e3)
    q = statistics.quantiles(wall, n=100, method="inclusive") if len(wall) > 1 else [wall[0]] * 99
    return f"p50 {q[49]:.2f} ms, p99 {q[98]:.2f} ms (CPU p50 {statistics.median(cpu):.2f} ms)"


def round_trips(history: MetricsHistory, points: tuple[int, ...], rounds: int) -> list[str]:
    """metrics.history through a real server and client on loopback, the live run answering."""
    with tempfile.TemporaryDirectory() as tmp:
        store = RunStore(Path(tmp) / "runs")
        trainer = Trainer(load_dataset("digits"), ModelSpec(latent_dim=2), TrainConfig(), store=store)
        trainer.history = history
        server = Server(trainer, "tcp://127.0.0.1:*", "tcp://127.0.0.1:*", store=store, context=zmq.Context())
        trainer.start_thread()
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            with Client(server.control_endpoint, timeout=30) as client:
                client.call("hello")
                return [percentiles(lambda m=m: client.call("metrics.history", {"max_points": m}), rounds) for m in points]
        finally:
            server.stop()
            thread.join(10)
            server.ctx.term()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=50)
    options = parser.parse_args()
    n = options.steps

    history = MetricsHistory()
    t0 = time.perf_counter()
    for r in records(n):
        history.append(r)
    fill_s = time.perf_counter() - t0
    print(f"history of {n:,} steps, {len(history.names)} metrics ({', '.join(history.names)})")
    print(f"(a) append: {fill_s / n * 1e6:.2f} µs per step (record building included)")
    for m in (1000, 4096):
        print(f"(b) bucket(0, {m}): {percentiles(lambda m=m: history.bucket(0, m), options.rounds)}")
    for m in (1000, 4096):
        size = len(wire.pack(history_result("r", history, 0, m)))
        figures = percentiles(lambda m=m: wire.pack(history_result("r", history, 0, m)), options.rounds)
        print(f"(c) bucket + msgpack reply ({size / 1024:.0f} KiB), max_points {m}: {figures}")
    for m, figures in zip((1000, 4096), round_trips(history, (1000, 4096), options.rounds)):
        print(f"(c) op round trip through a server, max_points {m}: {figures} (CPU: client and server, one process)")

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "metrics.jsonl"
        with open(path, "w") as f:
            for r in records(n):
                f.write(json.dumps(r, separators=(",", ":")) + "\n")
        t0 = time.perf_counter()
        loaded = MetricsHistory.load(path)
        load_s = time.perf_counter() - t0
        print(f"(d) load metrics.jsonl ({path.stat().st_size / 2**20:.0f} MiB, {len(loaded):,} steps): {load_s:.2f} s")


if __name__ == "__main__":
    main()
