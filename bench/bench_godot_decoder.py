"""Decode time per image of the exported decoder in pure GDScript (VaeStudioDecoder), in real Godot 4.

    .venv/bin/python bench/bench_godot_decoder.py [--rows 50] [--rounds 20]

Each decoder is built the way a run builds it (untrained weights: the time does not depend on them),
written as run.export item "godot" would write it, and decoded `rounds` x `rows` times, one z at a
time, by godot_client/tests/decoder_probe.gd (headless). Prints the median (p50) and p90 ms per
decode call, and the load time. The figures:

- digits MLP: z 2 -> 128 -> 256 -> 64 (the default hidden (256, 128)); the goal is <= 2 ms;
- 28x28 MLP: z 20 -> 400 -> 784 (Kingma & Welling's MNIST decoder, hidden (400,));
- digits conv and 28x28 conv: the built-in conv decoders (channels (32, 64)), for comparison.

Asserts nothing: the figures are for people to read.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from support.godot import run_script  # noqa: E402
from vaestudio.godot_export import write_godot_decoder  # noqa: E402
from vaestudio.models import ModelSpec, build_model  # noqa: E402

DECODERS = {
    "digits_mlp": ModelSpec(latent_dim=2, image_shape=(8, 8), input_dim=64),
    "mnist_mlp_784_400_20": ModelSpec(latent_dim=20, hidden=(400,), image_shape=(28, 28), input_dim=784),
    "digits_conv": ModelSpec(latent_dim=2, arch="conv", image_shape=(8, 8), input_dim=64),
    "mnist_conv_28x28": ModelSpec(latent_dim=20, arch="conv", image_shape=(28, 28), input_dim=784),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50, help="z's decoded per round")
    parser.add_argument("--rounds", type=int, default=20, help="rounds over the z's")
    options = parser.parse_args()
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        cases = []
        for name, spec in DECODERS.items():
            folder = Path(tmp) / name
            folder.mkdir()
            model = build_model(spec)
            path = folder / write_godot_decoder(folder, model)
            z = rng.standard_normal((options.rows, spec.latent_dim)).astype("<f4")
            # the conv decoders are slower: fewer rounds keep the whole bench under a few minutes
            rounds = options.rounds if spec.arch == "mlp" else max(1, options.rounds // 10)
            cases.append({"decoder": str(path), "z": base64.b64encode(z.tobytes()).decode(), "n": options.rows,
                          "repeat": rounds})
        jobs, out = Path(tmp) / "jobs.json", Path(tmp) / "out.json"
        jobs.write_text(json.dumps({"cases": cases}))
        result = run_script("res://tests/decoder_probe.gd", [f"--jobs={jobs}", f"--out={out}"], timeout=900)
        if result.rc != 0 or not out.is_file():
            print(result.output[-3000:])
            raise SystemExit(f"the decoder probe failed (exit {result.rc})")
        results = json.loads(out.read_text())["results"]
    for name, r in zip(DECODERS, results):
        if r["load_error"] or r["error"]:
            raise SystemExit(f"{name}: {r['load_error'] or r['error']}")
        ms = np.array(r["decode_ms"])
        print(f"BENCH godot_decoder {name} p50={np.percentile(ms, 50):.3f}ms p90={np.percentile(ms, 90):.3f}ms "
              f"n={len(ms)} load={r['load_ms']:.1f}ms")


if __name__ == "__main__":
    main()
