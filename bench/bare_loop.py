"""A bare PyTorch training loop: what the studio's trainer is measured against.

The same model, optimiser (Adam, lr 1e-3), batch and data as a run, nothing else: no server, no
streams, no snapshots. It reads the loss back every step, as the trainer does.

Run it in its own process (bench_scale.py does) so that OpenMP's wait policy, which is fixed when
torch loads, can be chosen per measurement:

    OMP_WAIT_POLICY=PASSIVE .venv/bin/python bench/bare_loop.py '{"data": {"name": "digits"}, \
        "spec": {"latent_dim": 2}, "batch": 128}' --threads 2 --seconds 4

prints {"samples_per_s": ...} on one line.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from vaestudio.loading import load_data
from vaestudio.models import ModelSpec, build_model, fit_spec


def bare_rate(data_source: dict, spec: ModelSpec, batch: int, threads: int, seconds: float, warm: int = 3) -> float:
    """Samples per second over `seconds`, after `warm` steps (the first ones allocate)."""
    torch.set_num_threads(threads)
    data = load_data(data_source, [Path(data_source.get("path", ".")).parent])
    x = data.x[data.train_idx]
    torch.manual_seed(0)
    model = build_model(fit_spec(spec, data))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(0)
    batch = min(batch, len(x))
    steps, t0 = 0, time.perf_counter()
    while True:
        perm = torch.randperm(len(x), generator=gen)
        for i in range(0, len(x) - batch + 1, batch):
            out = model(x[perm[i : i + batch]], None, beta=1.0, generator=gen)
            opt.zero_grad(set_to_none=True)
            out.loss.backward()
            opt.step()
            float(out.loss.detach())
            if warm:
                warm -= 1
                t0 = time.perf_counter()
                continue
            steps += 1
            if time.perf_counter() - t0 >= seconds:
                return steps * batch / (time.perf_counter() - t0)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("case", help='JSON: {"data": run.new data, "spec": ModelSpec fields, "batch": N}')
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seconds", type=float, default=4.0)
    args = p.parse_args()
    case = json.loads(args.case)
    spec = ModelSpec.from_dict(case["spec"])
    rate = bare_rate(case["data"], spec, int(case["batch"]), args.threads, args.seconds)
    print(json.dumps({"samples_per_s": rate}))


if __name__ == "__main__":
    main()
