"""What the fused optimiser kernel gives a run: samples/s of a bare loop on each implementation.

    .venv/bin/python bench/bench_optimizer.py [--seconds 1] [--rounds 5] [--threads 1] [--only digits ...]

For each model x data, in one process, two bare loops (bare_loop.py) of the same model and data:
one with a run's optimiser (vaestudio.optimizers: Adam on PyTorch's fused kernel where torch has
it), one with Adam's default implementation, as `torch.optim.Adam(params, lr=1e-3)` gives it;
windows of each in turn, medians of --rounds. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bare_loop import BareLoop  # noqa: E402
from bench_scale import cases, make_images  # noqa: E402  (the same four models x data)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seconds", type=float, default=1.0, help="seconds of each window")
    p.add_argument("--rounds", type=int, default=5, help="windows of each loop (medians)")
    p.add_argument("--threads", type=int, default=1, help="intra-op threads of both loops")
    p.add_argument("--only", nargs="+", metavar="CASE", help="a subset of: digits mlp784 conv28 shapes")
    args = p.parse_args()
    print(f"torch {torch.__version__} on CPU, {args.threads} thread(s); samples/s of a bare loop, medians of "
          f"{args.rounds} windows of {args.seconds:g} s")
    print()
    print("| model x data | Adam, default implementation | a run's optimiser | gain |")
    print("|---|---:|---:|---:|")
    with tempfile.TemporaryDirectory(prefix="bench-optimizer-") as tmp:
        chosen = {case.name: case for case in cases(make_images(Path(tmp)))}
        for name in args.only or list(chosen):
            case = chosen[name]
            studio = BareLoop(case.data, case.spec, case.batch, args.threads)
            default = BareLoop(case.data, case.spec, case.batch, args.threads)
            default.opt = torch.optim.Adam(default.model.parameters(), lr=1e-3)
            for _ in range(3):  # its first steps allocate its state
                default._step()
            rates: dict[str, list[float]] = {"default": [], "studio": []}
            for _ in range(args.rounds):
                rates["default"].append(default.run(args.seconds))
                rates["studio"].append(studio.run(args.seconds))
            a, b = statistics.median(rates["default"]), statistics.median(rates["studio"])
            fused = bool(studio.opt.param_groups[0].get("fused"))
            print(f"| {case.label} | {a:,.0f} | {b:,.0f}{' (fused)' if fused else ''} | {b / a:.2f}x |", flush=True)


if __name__ == "__main__":
    main()
