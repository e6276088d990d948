"""Live training against a bare loop at realistic sizes: model x data x threads.

    .venv/bin/python bench/bench_scale.py [--seconds 2] [--rounds 8] [--only digits mlp784 ...]

For each case and thread count (1, and every core this process may use), four processes are built
once and then train in short windows in turn, round after round, each idle while the others train,
so that the machine's drift (more than 5 % from one minute to the next on a shared 2-core machine)
hits all of them alike:
- bare: a plain PyTorch loop of the same model, optimiser, batch and data (bare_loop.py --windows),
  with the same intra-op thread count, reading the loss back every step and flushing denormals to
  zero as the trainer does (so the ratio is the studio's overhead, not that gain); one
  process under OpenMP's default wait policy (idle threads spin) and one under PASSIVE (they
  sleep). (Spinning is 3x faster with 2 threads on 2 idle cores and collapses as soon as anything
  else wants a core; PASSIVE is the reverse.)
- live, twice: `vaestudio serve --threads N`, streaming every topic to one subscriber, started for
  each window and paused after it; samples/s from the `status` step counts over the window; the
  latent rate is the `latent` frames with a new step the subscribers received per second of
  windows; peak RSS is the larger server's; page faults per step are both servers' within windows
  (near 0 where freed memory is reused: allocator.py). Two servers, because a process is faster or
  slower than an identical one by itself (with 1 thread the two bare processes are the same loop,
  and their medians differ by 0.4-4 % in a row), so one process per side would hand its luck to the row;
- headless (the shapes case only): whole `vaestudio train --threads N` runs, each between two bare
  windows; samples/s is the trainer's own 1-second rate (the metrics records' samples_per_s) over
  the second half of its steps.
A live window's ratio is to its round's bare baseline: with 1 thread, where the wait policy changes
nothing, the mean of the round's two bare windows (two draws of the same loop: taking the faster
would favour the bare side by its luck); with more, the window of the wait policy that is faster
over the whole row (by its median: the spinning one, by 3x). The median ratio and the lowest and
highest are printed. Prints figures; asserts nothing.
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
    device: str = "cpu"  # --device of every process

    def flags(self) -> list[str]:
        out = ["--latent-dim", str(self.spec.latent_dim), "--arch", self.spec.arch, "--batch-size", str(self.batch),
               "--device", self.device]
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


class BareProcess:
    """bare_loop.py --windows in its own process, under OpenMP's default wait policy (None) or the
    one named: built once, then one training window per window() call, idle in between."""

    def __init__(self, case: Case, threads: int, wait_policy: str | None):
        env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
        if wait_policy:
            env["OMP_WAIT_POLICY"] = wait_policy
        spec = {"latent_dim": case.spec.latent_dim, "arch": case.spec.arch, "hidden": list(case.spec.hidden)}
        job = json.dumps({"data": case.data, "spec": spec, "batch": case.batch})
        self.proc = subprocess.Popen([sys.executable, str(REPO / "bench" / "bare_loop.py"), job, "--threads",
                                      str(threads), "--device", case.device, "--windows"], cwd=REPO, env=env, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self._answer()  # {"ready": true} once built and warm

    def _answer(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"bare_loop.py exited with {self.proc.wait()}")
        return json.loads(line)

    def window(self, seconds: float) -> float:
        self.proc.stdin.write(f"{seconds}\n")
        self.proc.stdin.flush()
        return self._answer()["samples_per_s"]

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(30)


def subscriber(client, stop: threading.Event, latent_steps: set) -> None:
    client.subscribe()
    while not stop.is_set():
        try:
            topic, body = client.next_stream(timeout=0.5)
        except TimeoutError:
            continue
        if topic == "latent":
            latent_steps.add((body["run"], body["step"]))


class LiveProcess:
    """`vaestudio serve --threads N` in its own process, streaming every topic to one subscriber;
    paused between windows."""

    def __init__(self, case: Case, threads: int, warmup: float):
        self.case = case
        self.backend = start_backend_process("--paused", "--threads", str(threads), "--autosave", "0",
                                             *case.flags(), timeout=120)
        self.sub, self.ctl = self.backend.client(), self.backend.client(timeout=60)
        self.stop, self.latent_steps = threading.Event(), set()
        self.thread = threading.Thread(target=subscriber, args=(self.sub, self.stop, self.latent_steps), daemon=True)
        self.thread.start()
        self.frames = 0  # latent frames with a new step received within windows
        self.faults = self.steps = 0  # page faults and steps within windows
        self.window(warmup)
        self.faults = self.steps = 0

    def window(self, seconds: float, settle: float = 0.3) -> float:
        """Trains for `settle` + `seconds`, then pauses; samples/s over the `seconds`, from `status`."""
        self.ctl.call("train.start")
        time.sleep(settle)
        s0, t0, n0 = self.ctl.call("status")["step"], time.perf_counter(), len(self.latent_steps)
        f0 = minor_faults(self.backend.process.pid)
        time.sleep(seconds)
        s1, t1 = self.ctl.call("status")["step"], time.perf_counter()
        self.faults += minor_faults(self.backend.process.pid) - f0
        self.steps += s1 - s0
        self.frames += len(self.latent_steps) - n0
        self.ctl.call("train.pause")
        return (s1 - s0) * self.case.batch / (t1 - t0)

    def close(self) -> float:
        """Stops it; returns its peak RSS in MiB."""
        rss = peak_rss_mib(self.backend.process.pid)
        self.stop.set()
        self.thread.join()
        self.sub.close()
        self.ctl.close()
        stop_backend_process(self.backend)
        return rss


def minor_faults(pid: int) -> float:
    """The page faults the process has taken so far, all its threads (/proc/PID/stat's minflt);
    NaN where /proc does not tell."""
    try:
        return float(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[7])
    except (OSError, IndexError, ValueError):
        return float("nan")


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
    p.add_argument("--seconds", type=float, default=2.0, help="measured seconds of each bare and live window")
    p.add_argument("--warmup", type=float, default=1.5, help="seconds of live training before the first window")
    p.add_argument("--rounds", type=int, default=8, help="rounds of windows per row (medians)")
    p.add_argument("--live-processes", type=int, default=2,
                   help="live servers per row, each with a window in every round (a process's own luck averages out)")
    p.add_argument("--train-runs", type=int, default=3, help="headless `vaestudio train` runs of the shapes rows")
    p.add_argument("--train-steps", type=int, default=400, help="steps of each headless `vaestudio train` run")
    p.add_argument("--only", nargs="+", metavar="CASE", help="a subset of: digits mlp784 conv28 shapes")
    p.add_argument("--threads", nargs="+", type=int, metavar="N",
                   help="thread counts to measure (default: 1 and every core)")
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"],
                   help="where every process trains (cuda: bf16 autocast in both, as a run's default)")
    args = p.parse_args()
    cores = available_cores()
    thread_counts = args.threads or sorted({1, cores})
    where = torch.cuda.get_device_name() if args.device == "cuda" else "CPU"
    print(f"torch {torch.__version__} on {where}, {cores} cores available; {args.rounds} rounds of {args.seconds:g} s windows "
          f"(bare spin, live 1, bare passive, live 2..{args.live_processes}), medians; serve --threads N, bare loop "
          "with torch.set_num_threads(N) under OpenMP's default wait policy and under PASSIVE")
    print()
    print("| model x data | threads | bare samples/s (OMP default / passive) | live samples/s | live/bare "
          "(median of the live windows' ratios to their round's bare baseline; lowest-highest) | latent Hz | peak RSS MiB "
          "| live page faults per step |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        npy = make_images(Path(tmp))
        for case in cases(npy):
            if args.only and case.name not in args.only:
                continue
            case.device = args.device
            for threads in thread_counts:
                measure(case, threads, args)


def measure(case: Case, threads: int, args: argparse.Namespace) -> None:
    """One case at one thread count: the processes built once, then short windows in turn, so that
    the machine's drift (more than 5 % from one minute to the next here) hits all of them alike."""
    spin_proc, passive_proc = BareProcess(case, threads, None), BareProcess(case, threads, "PASSIVE")
    lives = [LiveProcess(case, threads, args.warmup) for _ in range(args.live_processes)]
    spin, passive, live = [], [], []  # live: (round, samples/s) of every live window
    try:
        for r in range(args.rounds):
            spin.append(spin_proc.window(args.seconds))
            for i, proc in enumerate(lives):
                live.append((r, proc.window(args.seconds)))
                if i == 0:  # the bare windows between and around the live ones
                    passive.append(passive_proc.window(args.seconds))
        faster = statistics.median(spin) >= statistics.median(passive)
        bare_proc = spin_proc if faster else passive_proc  # for the headless runs' windows
        if threads == 1:  # the wait policy changes nothing: both are the same loop, pooled
            baseline = [(a + b) / 2 for a, b in zip(spin, passive)]
        else:
            baseline = spin if faster else passive
        train = []
        if case.headless:  # a whole `vaestudio train` run between two bare windows
            for _ in range(args.train_runs):
                before = bare_proc.window(args.seconds)
                rate = headless(case, threads, args.train_steps)
                after = bare_proc.window(args.seconds)
                train.append((rate, (before + after) / 2))
    finally:
        rss = max(proc.close() for proc in lives)
        spin_proc.close()
        passive_proc.close()
    hz = sum(proc.frames for proc in lives) / (args.seconds * args.rounds * len(lives))
    faults = sum(proc.faults for proc in lives) / max(1, sum(proc.steps for proc in lives))
    bs, bp = statistics.median(spin), statistics.median(passive)
    ratios = [rate / baseline[r] for r, rate in live]
    print(f"| {case.label}, serve | {threads} | {bs:,.0f} / {bp:,.0f} | {statistics.median(s for _, s in live):,.0f} | "
          f"{statistics.median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f}) | {hz:.1f} | {rss:,.0f} | {faults:,.1f} |",
          flush=True)
    if train:
        ratios = [rate / bare for rate, bare in train]
        print(f"| {case.label}, train (headless) | {threads} | {bs:,.0f} / {bp:,.0f} | "
              f"{statistics.median(r for r, _ in train):,.0f} | {statistics.median(ratios):.2f} "
              f"({min(ratios):.2f}-{max(ratios):.2f}) | - | - | - |", flush=True)


if __name__ == "__main__":
    main()
