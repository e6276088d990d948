"""The use-case table of the README (issue 10): what each use case of a VAE achieves on three data sets.

    .venv/bin/python bench/bench_usecases.py [--steps 2000] [--only denoise anomaly compress ...]

Trains its own small runs headless with the project's trainer (loading.new_trainer, no server),
seeded, one torch thread, so reruns print the same figures: `digits` (8x8), `shapes` (64x64
sprites, --shapes-n of them) and `digits28`, a 28x28 image file written to a temporary folder
(the digits upscaled bilinearly, saved as .npz with labels) and read by the `file` data set. Each
section calls the same vaestudio.usecases function as the op and the CLI, and prints a Markdown
table; nothing is asserted. One function per section; SECTIONS lists them in print order.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from vaestudio.datasets import Dataset, load_dataset
from vaestudio.datasets.transforms import resize_images
from vaestudio.loading import new_trainer
from vaestudio.models import BaseVAE, ModelSpec
from vaestudio.train_config import TrainConfig
from vaestudio.usecases import rows as rowsel
from vaestudio.usecases.anomaly import anomaly
from vaestudio.usecases.compress import compress
from vaestudio.usecases.denoise import denoise

LEFT_OUT = 0  # the class the anomaly runs are trained without (data option exclude_labels)


class Lab:
    """Data sets and trained models, each built once and shared by the sections that use it."""

    def __init__(self, steps: int, shapes_n: int, folder: Path, seed: int = 0):
        self.steps, self.shapes_n, self.folder, self.seed = steps, shapes_n, folder, seed
        self._models: dict[tuple, tuple[BaseVAE, Dataset]] = {}
        self.train_seconds = 0.0

    DATA = ("digits", "shapes", "digits28")
    LATENT = {"digits": 8, "shapes": 10, "digits28": 8}

    def data_options(self, name: str) -> dict:
        """{name, **options} of a bench data set, as run.new takes them."""
        if name == "shapes":
            return {"name": "shapes", "n": self.shapes_n}
        if name == "digits28":
            return {"name": "file", "path": self._digits28()}
        return {"name": "digits"}

    def _digits28(self) -> str:
        """The 28x28 image file (written once): digits upscaled from 8x8, with their labels."""
        path = self.folder / "digits28.npz"
        if not path.exists():
            digits = load_dataset("digits")
            big = resize_images(digits.x.numpy().reshape(-1, 8, 8, 1), (28, 28))[..., 0]  # (N, 28, 28) in [0, 1]
            np.savez(path, x=big.astype(np.float32), y=digits.labels.numpy())
        return path.name

    def model(self, data: str, name: str = "vae", exclude: tuple[int, ...] = (), latent_dim: int | None = None,
              **params) -> tuple[BaseVAE, Dataset]:
        """A `name` model trained for --steps on `data` (its classes `exclude` left out of training)."""
        key = (data, name, exclude, latent_dim, tuple(sorted(params.items())))
        if key not in self._models:
            options = {**self.data_options(data), **({"exclude_labels": list(exclude)} if exclude else {})}
            spec = ModelSpec(name=name, latent_dim=latent_dim or self.LATENT[data], params=params)
            trainer = new_trainer(spec, options, TrainConfig(seed=self.seed), None, [self.folder])
            t0 = time.perf_counter()
            for _ in range(self.steps):
                trainer._train_step(trainer.config)
            self.train_seconds += time.perf_counter() - t0
            self._models[key] = (trainer.model.eval(), trainer.dataset)
        return self._models[key]


def markdown(header: list[str], rows: list[list]) -> str:
    """A Markdown table; floats with 2 decimals (format others, such as AUCs, before)."""
    def cell(v) -> str:
        return f"{v:.2f}" if isinstance(v, float) else str(v)

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(cell(v) for v in r) + " |" for r in rows])


# ----- sections of helper usecases-a: denoise, anomaly, compress ---------------------------------
def bench_denoise(lab: Lab, args: argparse.Namespace) -> str:
    """PSNR of noisy and denoised test rows at Gaussian sigma = 0.3 (and the other two noises)."""
    out = []
    for data in lab.DATA:
        model, dataset = lab.model(data)
        rows = rowsel.select(dataset)  # the test split's first 256 rows
        for kind, level in (("gaussian", 0.3), ("salt_pepper", 0.2), ("mask", 0.5)):
            r = denoise(model, dataset, rows, kind, level, seed=0)
            out.append([data, f"{kind} {level:g}", len(rows), r["psnr_noisy_mean"], r["psnr_denoised_mean"],
                        r["psnr_denoised_mean"] - r["psnr_noisy_mean"]])
    return ("### Denoising (vae, denoised = decode(mu(noisy)); PSNR on the [0, 1] scale)\n\n"
            + markdown(["data", "noise", "rows", "PSNR noisy (dB)", "PSNR denoised (dB)", "gain (dB)"], out))


def bench_anomaly(lab: Lab, args: argparse.Namespace) -> str:
    """ROC AUC of the anomaly score for class LEFT_OUT, left out of training, on the test split."""
    out = []
    for data in lab.DATA:
        model, dataset = lab.model(data, exclude=(LEFT_OUT,))
        rows = rowsel.select(dataset, dataset.test_idx.numpy())
        elbo = anomaly(model, dataset, rows, 0, [LEFT_OUT], seed=0)
        iw = anomaly(model, dataset, rows, args.iw, [LEFT_OUT], seed=0)
        positives = int((rows.labels == LEFT_OUT).sum())
        out.append([data, LEFT_OUT, f"{len(rows)} ({positives})",
                    *(f"{r[k]:.3f}" for r in (elbo, iw) for k in ("auc", "average_precision"))])
    return (f"### Anomaly detection (vae trained without class {LEFT_OUT}; score: negative ELBO, or IS-NLL "
            f"with k = {args.iw})\n\n"
            + markdown(["data", "left out", "test rows (of it)", "AUC -ELBO", "AP -ELBO", "AUC IS-NLL",
                        "AP IS-NLL"], out))


def bench_compress(lab: Lab, args: argparse.Namespace) -> str:
    """Bytes per image at 8 bits per latent dimension, with its PSNR (and z = mu unquantised)."""
    out = []
    for data in lab.DATA:
        model, dataset = lab.model(data)
        rows = rowsel.select(dataset)
        mu, _ = rowsel.encode(model, rows)
        exact = rowsel.psnr(rows.x.numpy(), rowsel.decoder_mean(model, dataset, mu, rows.labels)).mean()
        for bits in (4, 8):
            r = compress(model, dataset, rows, bits)
            out.append([data, model.latent_dim, bits, r["bytes_per_row"], r["raw_bytes_per_row"],
                        f"{r['raw_bytes_per_row'] / r['bytes_per_row']:.0f}x", r["psnr_mean"], float(exact)])
    return ("### Compression (vae; mu quantised uniformly over its training range, fixed-length code)\n\n"
            + markdown(["data", "latent", "bits/dim", "bytes/image", "raw bytes (u8)", "ratio", "PSNR (dB)",
                        "PSNR at z = mu (dB)"], out))


# ----- sections of helper usecases-b: features (probe accuracy), disentanglement (MIG/DCI), style --
# (add bench_features, bench_disentanglement, bench_style here and in SECTIONS)


SECTIONS = {
    "denoise": bench_denoise,
    "anomaly": bench_anomaly,
    "compress": bench_compress,
    # usecases-b: "features", "disentanglement", "style"
}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=2000, help="training steps of every run (batch 128)")
    p.add_argument("--shapes-n", type=int, default=5000, help="sprites in the shapes data set")
    p.add_argument("--iw", type=int, default=100, help="importance samples of the IS-NLL anomaly score")
    p.add_argument("--seed", type=int, default=0, help="seed of every run (weights and batch order)")
    p.add_argument("--only", nargs="+", choices=list(SECTIONS), default=list(SECTIONS), help="sections to run")
    args = p.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        lab = Lab(args.steps, args.shapes_n, Path(folder), args.seed)
        print(f"torch {torch.__version__}, 1 thread; every run: MLP, {args.steps} steps x 128, seed {args.seed}; "
              f"data: digits (8x8), shapes (64x64, n = {args.shapes_n}), digits28 (28x28 .npz file)")
        for name in args.only:
            print()
            print(SECTIONS[name](lab, args))
    print(f"\n({time.perf_counter() - t0:.0f} s in all, {lab.train_seconds:.0f} s of it training)")


if __name__ == "__main__":
    main()
