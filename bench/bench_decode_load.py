"""Decode latency, idle and under load, and what eight hammering clients cost live training.

    .venv/bin/python bench/bench_decode_load.py [--seconds 4] [--rounds 3] [--threads 1] [--only digits mlp784]

For each case, one `vaestudio serve --threads N` process (N intra-op threads for training):
- idle: decode round trips (one 1-row z each) from one client while the run is paused;
- training: the same while it trains, a pointer's pace (about 100 Hz, one request in flight);
- unloaded: training samples/s from the `status` step counts over a window;
- loaded: the same over a window while 8 clients (DEALER sockets, each with one 1-row decode in
  flight and the next sent as soon as its reply arrives, as fast as they can) hammer decode; their
  round trips give p50 / p99, decodes/s answered, and every request sent must be answered once (at
  the end the load stops and the replies in flight are awaited).
Short unloaded and loaded windows alternate `--rounds` times, so noise from other processes hits
both; the ratio is the median over the pairs (its range beside it), the rates are medians. Prints
figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import zmq

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scale import make_images  # noqa: E402
from support.backends import start_backend_process, stop_backend_process  # noqa: E402

from vaestudio import wire  # noqa: E402

STRAGGLER_WAIT_S = 10.0  # how long the load waits for the replies still in flight after it stops sending


@dataclass
class Case:
    name: str
    label: str
    flags: list[str]
    latent_dim: int


def cases(npy: str) -> list[Case]:
    return [
        Case("digits", "digits 8x8, MLP 64-256-128-2", ["--dataset", "digits", "--latent-dim", "2"], 2),
        Case("mlp784", "10k 28x28, MLP 784-400-20", ["--data-path", npy, "--hidden", "400", "--latent-dim", "20"], 20),
    ]


def percentiles(ms: list[float]) -> tuple[float, float]:
    if not ms:
        return float("nan"), float("nan")
    p50, p99 = np.percentile(ms, [50, 99])
    return float(p50), float(p99)


def probe(client, latent_dim: int, seconds: float, gap_s: float) -> list[float]:
    """One client's decode round trips (ms), one request in flight, `gap_s` between them."""
    rng = np.random.default_rng(1)
    out: list[float] = []
    t_end = time.perf_counter() + seconds
    while time.perf_counter() < t_end:
        z = rng.uniform(-3, 3, (1, latent_dim)).astype(np.float32)
        a = time.perf_counter()
        client.decode(z)
        out.append((time.perf_counter() - a) * 1000)
        if gap_s:
            time.sleep(gap_s)
    return out


@dataclass
class Load:
    """`clients` DEALER sockets, each keeping one 1-row decode in flight while `active` is set (the
    next sent as soon as its reply arrives), until `stop`; then it waits for the replies in flight."""

    endpoint: str
    latent_dim: int
    clients: int
    active: threading.Event = field(default_factory=threading.Event)
    stop: threading.Event = field(default_factory=threading.Event)
    sent: int = 0
    answered: int = 0
    errors: int = 0
    duplicates: int = 0
    latencies_ms: list[float] = field(default_factory=list)

    def run(self) -> None:
        ctx = zmq.Context()
        socks = [ctx.socket(zmq.DEALER) for _ in range(self.clients)]
        poller = zmq.Poller()
        for s in socks:
            s.setsockopt(zmq.LINGER, 0)
            s.connect(self.endpoint)
            poller.register(s, zmq.POLLIN)
        rng = np.random.default_rng(2)
        pending: dict[zmq.Socket, tuple[int, float]] = {}
        idle = list(socks)
        next_id = 0

        def send(s: zmq.Socket) -> None:
            nonlocal next_id
            next_id += 1
            z = rng.uniform(-3, 3, (1, self.latent_dim)).astype(np.float32)
            body = wire.pack({"v": 1, "id": next_id, "op": "decode", "args": {"z": wire.array(z, "f32")}})
            pending[s] = (next_id, time.perf_counter())
            s.send(body)
            self.sent += 1

        try:
            deadline = None
            while not self.stop.is_set() or pending:
                if self.stop.is_set():
                    deadline = deadline or time.perf_counter() + STRAGGLER_WAIT_S
                    if time.perf_counter() > deadline:
                        break
                elif self.active.is_set():
                    while idle:
                        send(idle.pop())
                for s, _ in poller.poll(10):
                    reply = wire.unpack(s.recv())
                    rid, t0 = pending.get(s, (None, 0.0))
                    if reply.get("id") != rid:
                        self.duplicates += 1  # a reply to nothing in flight: answered twice
                        continue
                    del pending[s]
                    self.latencies_ms.append((time.perf_counter() - t0) * 1000)
                    self.answered += 1
                    self.errors += not reply.get("ok")
                    if self.active.is_set() and not self.stop.is_set():
                        send(s)
                    else:
                        idle.append(s)
        finally:
            for s in socks:
                s.close(0)
            ctx.term()


def training_rate(ctl, batch: int, seconds: float) -> float:
    s0, t0 = ctl.call("status")["step"], time.perf_counter()
    time.sleep(seconds)
    s1, t1 = ctl.call("status")["step"], time.perf_counter()
    return (s1 - s0) * batch / (t1 - t0)


def measure(case: Case, args: argparse.Namespace) -> dict:
    batch = 128
    b = start_backend_process("--paused", "--threads", str(args.threads), "--autosave", "0", "--batch-size", str(batch),
                              *case.flags, timeout=120)
    try:
        ctl = b.client(timeout=30)
        idle = probe(ctl, case.latent_dim, args.probe_seconds, 0.0)
        ctl.call("train.start")
        time.sleep(args.warmup)
        training = probe(ctl, case.latent_dim, args.probe_seconds, 0.01)
        load = Load(b.control, case.latent_dim, args.clients)
        hammer = threading.Thread(target=load.run, daemon=True)
        hammer.start()
        unloaded, loaded, rates = [], [], []
        for _ in range(args.rounds):  # short windows, alternating, each loaded one paired with the one before
            unloaded.append(training_rate(ctl, batch, args.seconds))
            load.active.set()
            time.sleep(0.2)  # the load reaches its pace before the window opens
            n0, t0 = load.answered, time.perf_counter()
            loaded.append(training_rate(ctl, batch, args.seconds))
            rates.append((load.answered - n0) / (time.perf_counter() - t0))
            load.active.clear()
            time.sleep(0.1)  # the requests in flight come back
        load.stop.set()
        hammer.join()
        ctl.close()
    finally:
        stop_backend_process(b)
    ratios = [x / y for x, y in zip(loaded, unloaded)]
    return {"idle": percentiles(idle), "training": percentiles(training), "unloaded": statistics.median(unloaded),
            "loaded": statistics.median(loaded), "ratio": statistics.median(ratios), "ratios": ratios,
            "load": percentiles(load.latencies_ms), "rate": statistics.median(rates), "sent": load.sent,
            "answered": load.answered, "errors": load.errors, "duplicates": load.duplicates}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seconds", type=float, default=1.5, help="measured seconds of each unloaded and loaded window")
    p.add_argument("--warmup", type=float, default=1.5, help="seconds of training before the first window")
    p.add_argument("--rounds", type=int, default=8, help="alternating unloaded/loaded window pairs per case (medians)")
    p.add_argument("--probe-seconds", type=float, default=2.0, help="seconds of the one-client idle and training probes")
    p.add_argument("--clients", type=int, default=8, help="hammering clients of the loaded windows")
    p.add_argument("--threads", type=int, default=1, help="`serve --threads`: the training's intra-op threads")
    p.add_argument("--only", nargs="+", metavar="CASE", help="a subset of: digits mlp784")
    args = p.parse_args()
    print(f"`vaestudio serve --threads {args.threads}`, batch 128; 1-row decodes; windows of {args.seconds:g} s, "
          f"{args.rounds} pairs; {args.clients} hammering clients, one request in flight each")
    print()
    print("| model x data | decode p50/p99 idle ms | p50/p99 training ms | unloaded samples/s | "
          "loaded samples/s | loaded/unloaded (range) | p50/p99 under load ms | decodes/s | answered/sent |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory(prefix="bench-decode-") as tmp:
        npy = make_images(Path(tmp))
        for case in cases(npy):
            if args.only and case.name not in args.only:
                continue
            r = measure(case, args)
            answered = f"{r['answered']:,}/{r['sent']:,}"
            if r["errors"] or r["duplicates"]:
                answered += f" ({r['errors']} errors, {r['duplicates']} duplicates)"
            print(f"| {case.label} | {r['idle'][0]:.2f} / {r['idle'][1]:.2f} | {r['training'][0]:.2f} / "
                  f"{r['training'][1]:.2f} | {r['unloaded']:,.0f} | {r['loaded']:,.0f} | {r['ratio']:.2f} "
                  f"({min(r['ratios']):.2f}-{max(r['ratios']):.2f}) | {r['load'][0]:.2f} / {r['load'][1]:.2f} | "
                  f"{r['rate']:,.0f} | {answered} |", flush=True)


if __name__ == "__main__":
    main()
