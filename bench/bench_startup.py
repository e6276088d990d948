"""Start-up and memory: from `vaestudio serve` to the first `latent` frame, where that time goes,
and the serve process's peak resident memory once it has trained for a few seconds.

    .venv/bin/python bench/bench_startup.py [--runs 3] [--train-seconds 2] [--only digits shapes mlp784]

For each case, `--runs` times: a SUB socket subscribed to `latent` waits on the stream endpoint, the
clock starts, `vaestudio serve` (default flags but the data and model) is spawned, and the clock
stops at the first `latent` frame received; the process then trains `--train-seconds` more and its
peak RSS (VmHWM) is read before it is stopped. Medians and minima are printed (the machine may be
shared: the minimum is the least disturbed run).

The phases of the digits start-up come from the same command run through this file's
`--timed-serve` mode, which stamps the moments it imports torch and vaestudio and enters the
functions that load the data, build the model and the optimizer and start the server loop (a
function that is not found is left out: its time joins the next phase). The import table is
`python -X importtime -m vaestudio serve` on digits: the imports made at the top level, their
cumulative time (inflated by the measuring) and the largest import inside each.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import functools
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

# Nothing else is imported at the top: this file is also the stamped serve process (--timed-serve),
# whose clock starts before torch and vaestudio are imported.
REPO = Path(__file__).resolve().parent.parent
TIMED_SERVE = "--timed-serve"  # argv[1] of the child that stamps its phases (see timed_serve)
MARK = "STARTUP-MARK"
# Packages a start-up need not import: each is loaded by the code that uses it (evaluation, export,
# use cases, --tensorboard)
OPTIONAL = ("sklearn", "scipy", "onnx", "tensorboard", "PIL", "pandas", "matplotlib")
# (mark, phase that ends at that mark), in the order a start-up passes them
PHASES = [
    ("python", "interpreter start"),
    ("torch", "import torch"),
    ("vaestudio", "import vaestudio (cli, server), pyzmq, msgpack"),
    ("load_data>", "parse flags, bind the sockets"),
    ("load_data<", "load the data"),
    ("build_model>", "trainer set-up (data to the device, latent subset)"),
    ("build_model<", "build the model"),
    ("optimizer>", "(between model and optimizer)"),
    ("optimizer<", "optimizer: the first torch.optim use imports torch._dynamo"),
    ("serve>", "run folder, first snapshot and latent encode, server set-up"),
    ("latent", "server loop to the first `latent` frame received"),
]


@dataclass
class Case:
    name: str
    label: str
    flags: list[str]
    runs: list[StartUp] = field(default_factory=list)


def cases(npy: str) -> list[Case]:
    return [
        Case("digits", "digits 8x8, MLP 64-256-128-2 (the default)", ["--dataset", "digits"]),
        Case("shapes", "shapes 64x64, 10 000 rows, default MLP", ["--dataset", "shapes"]),
        Case("mlp784", "10k 28x28 rows (.npy), MLP 784-400-20", ["--data-path", npy, "--hidden", "400",
                                                                  "--latent-dim", "20"]),
    ]


# ---------------------------------------------------------------- the serve process, stamped

def timed_serve(t0: float, argv: list[str]) -> int:
    """`vaestudio <argv>` in this process, printing `MARK seconds-since-t0 name` lines on stderr."""

    def mark(name: str) -> None:
        print(f"{MARK} {time.time() - t0:.4f} {name}", file=sys.stderr, flush=True)

    mark("python")
    import torch  # noqa: F401

    mark("torch")
    import vaestudio.server
    from vaestudio import cli, listener, loading, trainer

    mark("vaestudio")

    def stamp(owner: object, attr: str, name: str) -> None:
        inner = getattr(owner, attr, None)
        if inner is None:
            return  # moved or renamed: its time joins the next phase

        @functools.wraps(inner)
        def stamped(*args, **kwargs):
            mark(f"{name}>")
            try:
                return inner(*args, **kwargs)
            finally:
                mark(f"{name}<")

        setattr(owner, attr, stamped)

    stamp(listener, "Listener", "bind")
    stamp(loading, "load_data", "load_data")
    stamp(trainer, "build_model", "build_model")
    stamp(trainer, "make_optimizer", "optimizer")
    stamp(vaestudio.server.Server, "serve_forever", "serve")
    return cli.main(argv)


# ---------------------------------------------------------------- measuring from outside

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def peak_rss_mib(pid: int) -> float:
    """The process's peak resident memory (VmHWM), in MiB; NaN where /proc does not tell."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far, all its threads; NaN where /proc does not tell."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
    except (OSError, ValueError, IndexError):
        return float("nan")


@dataclass
class StartUp:
    seconds: float  # from spawn to the first `latent` frame received
    cpu: float  # CPU seconds the process had used by then: what a busy machine does not stretch
    rss: float  # peak resident MiB after train_seconds more
    stderr: str


def start_once(flags: list[str], train_seconds: float, timed: bool = False,
               python_flags: tuple[str, ...] = ()) -> StartUp:
    """`vaestudio serve FLAGS` from spawn to its first `latent` frame, then train_seconds of training."""
    import zmq

    control, stream = f"tcp://127.0.0.1:{free_port()}", f"tcp://127.0.0.1:{free_port()}"
    sub = zmq.Context.instance().socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    sub.setsockopt(zmq.RECONNECT_IVL, 10)  # ms: connect soon after the server binds (libzmq waits 100)
    sub.setsockopt(zmq.SUBSCRIBE, b"latent")
    sub.connect(stream)
    with tempfile.TemporaryDirectory(prefix="bench-startup-runs-") as runs, \
            tempfile.TemporaryFile("w+") as err:
        serve = ["--runs-dir", runs, "serve", "--control", control, "--stream", stream, "--autosave", "0", *flags]
        t0 = time.time()
        entry = [__file__, TIMED_SERVE, repr(t0)] if timed else ["-m", "vaestudio"]
        proc = subprocess.Popen([sys.executable, *python_flags, *entry, *serve], cwd=REPO,
                                stdout=subprocess.DEVNULL, stderr=err)
        try:
            if not sub.poll(120_000):
                raise RuntimeError(f"no `latent` frame within 120 s from vaestudio serve {' '.join(flags)}")
            first = time.time() - t0
            cpu = cpu_seconds(proc.pid)
            sub.recv_multipart()
            time.sleep(train_seconds)
            rss = peak_rss_mib(proc.pid)
        finally:
            sub.close(0)
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        err.seek(0)
        return StartUp(first, cpu, rss, err.read())


def phases(stderr: str, first_latent: float) -> dict[str, float]:
    """{phase label: seconds} from the marks a --timed-serve child printed; a missing mark's time
    joins the next phase's."""
    marks = {}
    for line in stderr.splitlines():
        if line.startswith(MARK):
            _, t, name = line.split()
            marks.setdefault(name, float(t))
    marks["latent"] = first_latent
    out, last, pending = {}, 0.0, []
    for name, label in PHASES:
        pending.append(label)
        if name in marks:
            out[" + ".join(pending)] = marks[name] - last
            last, pending = marks[name], []
    return out


def import_table(flags: list[str], top: int) -> tuple[list[tuple[str, float, str]], list[str]]:
    """python -X importtime of a serve start-up: ([(top-level import, cumulative ms, largest import
    inside it)], the OPTIONAL packages it imported)."""
    stderr = start_once(flags, 0.0, python_flags=("-X", "importtime")).stderr
    rows = []  # (depth, cumulative us, name), in the order Python prints them: children first
    for line in stderr.splitlines():
        if line.startswith("import time:") and "imported package" not in line:
            _, cumulative, name = line.removeprefix("import time:").split("|")
            rows.append(((len(name) - len(name.lstrip()) - 1) // 2, int(cumulative), name.strip()))
    table, children = [], []
    for depth, cumulative, name in rows:
        if depth == 0:
            inner = max(children, default=None)
            table.append((name, cumulative / 1000, f"{inner[1]} {inner[0] / 1000:,.0f} ms" if inner else ""))
            children = []
        elif depth == 1:
            children.append((cumulative, name))
    imported = {name.split(".")[0] for _, _, name in rows}
    return sorted(table, key=lambda r: -r[1])[:top], [p for p in OPTIONAL if p in imported]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--runs", type=int, default=3, help="start-ups per case (median and min are printed)")
    p.add_argument("--train-seconds", type=float, default=2.0, help="training after the first frame, before RSS is read")
    p.add_argument("--phase-runs", type=int, default=3, help="stamped digits start-ups for the phase table (0: skip it)")
    p.add_argument("--only", nargs="+", metavar="CASE", help="a subset of: digits shapes mlp784")
    p.add_argument("--imports", type=int, default=8, help="rows of the import table (0: skip it)")
    args = p.parse_args()
    from bench_scale import make_images  # 10 000 binary 28x28 images, as bench_scale trains on

    print(f"{os.cpu_count()} cores; `vaestudio serve` with default flags but the data and model; "
          f"{args.runs} start-ups per case, peak RSS after {args.train_seconds:g} s of training")
    print()
    print("| data, model | start-up to first `latent` frame, median s | min s | CPU s by then (median) "
          "| peak RSS MiB (median) |")
    print("|---|---:|---:|---:|---:|")
    digits_phases: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        for case in cases(make_images(Path(tmp))):
            if args.only and case.name not in args.only:
                continue
            case.runs = [start_once(case.flags, args.train_seconds) for _ in range(args.runs)]
            seconds = [r.seconds for r in case.runs]
            print(f"| {case.label} | {statistics.median(seconds):.2f} | {min(seconds):.2f} | "
                  f"{statistics.median(r.cpu for r in case.runs):.2f} | {statistics.median(r.rss for r in case.runs):,.0f} |",
                  flush=True)
    for _ in range(args.phase_runs):  # apart from the plain runs: the stamps cost a little
        run = start_once(["--dataset", "digits"], 0.0, timed=True)
        digits_phases.append(phases(run.stderr, run.seconds))
    if digits_phases:
        print()
        print(f"Where the digits start-up goes (median of {len(digits_phases)} stamped runs):")
        print()
        print("| phase | s |")
        print("|---|---:|")
        for label in digits_phases[0]:
            print(f"| {label} | {statistics.median(d.get(label, 0.0) for d in digits_phases):.2f} |")
    if args.imports:
        table, optional = import_table(["--dataset", "digits"], args.imports)
        print()
        print("Imports of the digits start-up (python -X importtime, cumulative; the measuring inflates them):")
        print()
        print("| top-level import | ms | its largest import |")
        print("|---|---:|---|")
        for name, ms, inner in table:
            print(f"| {name} | {ms:,.0f} | {inner} |")
        print()
        print(f"optional packages imported at start-up: {', '.join(optional) or 'none'} (of {', '.join(OPTIONAL)})")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == TIMED_SERVE:
        sys.exit(timed_serve(float(sys.argv[2]), sys.argv[3:]))
    main()
