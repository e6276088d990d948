"""Training throughput with and without the studio around it, and decode latency while training.

    .venv/bin/python bench/bench_trainer.py [--seconds 8] [--rounds 2]

(a) a bare PyTorch loop: the same VAE, optimiser and batch size on the same data, nothing else;
(b) `vaestudio serve` in its own process, training, streaming to one subscriber that reads every
    topic; samples/s is read from the server's step counter over the same wall time;
(c) decode round trips from the Python client while (b) trains: p50 / p99 in milliseconds.
Rounds alternate (a) and (b) so machine noise hits both; the figures printed are medians.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from support.backends import start_backend_process, stop_backend_process  # noqa: E402

from vaestudio.datasets import load_dataset  # noqa: E402
from vaestudio.models import ModelSpec, build_model  # noqa: E402

BATCH = 128


def bare_loop(seconds: float) -> float:
    torch.set_num_threads(1)  # as the live side is started (bench_scale.py measures more threads)
    data = load_dataset("digits")
    x = data.x[data.train_idx]
    torch.manual_seed(0)
    model = build_model(ModelSpec(input_dim=64, image_shape=(8, 8), latent_dim=2))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(0)
    steps, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        perm = torch.randperm(len(x), generator=gen)
        for i in range(0, len(x) - BATCH + 1, BATCH):
            out = model(x[perm[i : i + BATCH]], None, beta=1.0, generator=gen)
            opt.zero_grad(set_to_none=True)
            out.loss.backward()
            opt.step()
            float(out.loss.detach())  # the trainer reads the loss every step too
            steps += 1
    return steps * BATCH / (time.perf_counter() - t0)


def subscriber(client, stop: threading.Event, counts: dict) -> None:
    client.subscribe()
    while not stop.is_set():
        try:
            topic, _ = client.next_stream(timeout=0.5)
            counts[topic] = counts.get(topic, 0) + 1
        except TimeoutError:
            pass


def live_loop(seconds: float, decode_calls: bool) -> tuple[float, list[float], dict]:
    b = start_backend_process("--paused", "--batch-size", str(BATCH), "--threads", "1")  # as the bare loop
    try:
        sub_client, ctl = b.client(), b.client()
        stop, counts = threading.Event(), {}
        t = threading.Thread(target=subscriber, args=(sub_client, stop, counts), daemon=True)
        t.start()
        ctl.call("train.start")
        time.sleep(1.0)  # warm-up, as the bare loop's first epoch is
        s0, t0 = ctl.call("status")["step"], time.perf_counter()
        latencies: list[float] = []
        z = np.zeros((1, 2), np.float32)
        while time.perf_counter() - t0 < seconds:
            if decode_calls:
                z[0] = np.random.uniform(-3, 3, 2)
                a = time.perf_counter()
                ctl.decode(z)
                latencies.append((time.perf_counter() - a) * 1000)
                time.sleep(0.01)  # a pointer moving at ~60-100 Hz, not a flood
            else:
                time.sleep(0.05)
        s1, t1 = ctl.call("status")["step"], time.perf_counter()
        stop.set()
        t.join()
        sub_client.close()
        ctl.close()
        return (s1 - s0) * BATCH / (t1 - t0), latencies, counts
    finally:
        stop_backend_process(b)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seconds", type=float, default=8.0)
    p.add_argument("--rounds", type=int, default=2)
    args = p.parse_args()
    print(f"torch {torch.__version__}, 1 intra-op thread, batch {BATCH}, digits 8x8, latent 2")
    bare, live, lat_all = [], [], []
    for r in range(args.rounds):
        bare.append(bare_loop(args.seconds))
        rate, _, counts = live_loop(args.seconds, decode_calls=False)
        live.append(rate)
        print(f"round {r + 1}: bare {bare[-1]:,.0f} samples/s, live {live[-1]:,.0f} samples/s, streams received {counts}")
    _, lat_all, _ = live_loop(args.seconds, decode_calls=True)
    b, lv = statistics.median(bare), statistics.median(live)
    print(f"bare PyTorch loop        : {b:,.0f} samples/s")
    print(f"live trainer + streaming : {lv:,.0f} samples/s")
    print(f"ratio live/bare          : {lv / b:.3f}")
    q = np.percentile(lat_all, [50, 99])
    print(f"decode round trip while training ({len(lat_all)} calls): p50 {q[0]:.2f} ms, p99 {q[1]:.2f} ms")


if __name__ == "__main__":
    main()
