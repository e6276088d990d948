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
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from vaestudio.datasets import Dataset, load_dataset
from vaestudio.datasets.transforms import resize_images
from vaestudio.loading import new_trainer
from vaestudio.models import BaseVAE, ModelSpec
from vaestudio.train_config import TrainConfig
from vaestudio.usecases import rows as rowsel
from vaestudio.usecases.anomaly import anomaly
from vaestudio.usecases.compress import compress
from vaestudio.usecases.denoise import denoise
from vaestudio.usecases.features import DCI_TEST_ROWS, DCI_TRAIN_ROWS, MIG_ROWS, disentanglement, features
from vaestudio.usecases.style import source_latents, style_grid

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
              beta: float = 1.0, **params) -> tuple[BaseVAE, Dataset]:
        """A `name` model trained for --steps on `data` (its classes `exclude` left out of training),
        with the KL weighted by `beta` (beta_vae's beta)."""
        key = (data, name, exclude, latent_dim, beta, tuple(sorted(params.items())))
        if key not in self._models:
            options = {**self.data_options(data), **({"exclude_labels": list(exclude)} if exclude else {})}
            spec = ModelSpec(name=name, latent_dim=latent_dim or self.LATENT[data], params=params)
            trainer = new_trainer(spec, options, TrainConfig(seed=self.seed, beta=beta), None, [self.folder])
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
def bench_features(lab: Lab, args: argparse.Namespace) -> str:
    """Linear-probe accuracy on mu against the raw inputs and a PCA of equal width, and 5-NN on mu."""
    out = []
    for data in ("digits", "digits28"):
        model, dataset = lab.model(data)
        r = features(model, dataset, "test")
        chance = np.bincount(dataset.labels[dataset.test_idx].numpy()).max() / r["n"]
        out.append([data, model.latent_dim, f"{r['n_train']} / {r['n']}", r["probe_accuracy"], r["probe_accuracy_raw"],
                    r["probe_accuracy_pca"], r["knn_accuracy"], float(chance)])
    return ("### Feature learning (vae; logistic regression on standardised features, fitted on the train split, "
            "scored on the test split; PCA to the latent width)\n\n"
            + markdown(["data", "latent", "train / test rows", "probe on mu", "probe on raw", "probe on PCA",
                        "5-NN on mu", "chance (largest class)"], out))


DISENTANGLING = (("vae", 1.0, {}), ("beta_vae", 4.0, {}), ("beta_tcvae", 1.0, {}))  # Higgins: beta 4; Chen: beta_tc 6


def bench_disentanglement(lab: Lab, args: argparse.Namespace) -> str:
    """MIG and DCI of vae, beta_vae (beta 4) and beta_tcvae (beta_tc 6) on shapes, as disentanglement_lib."""
    out = []
    for name, beta, params in (d for d in DISENTANGLING if d[0] in args.disentangle):
        model, dataset = lab.model("shapes", name, beta=beta, **params)
        t0 = time.perf_counter()
        r = disentanglement(model, dataset)
        hp = f"beta {beta:g}" if name != "beta_tcvae" else f"beta_tc {model.hparams.beta_tc:g}"
        out.append([name, hp, r["mig"], r["dci"]["disentanglement"], r["dci"]["completeness"],
                    r["dci"]["informativeness"], f"{time.perf_counter() - t0:.0f} s"])
    note = ("Published, on the real dSprites (737 280 images, conv nets, 300 000 steps; approximate, read off the "
            "papers' plots): Chen et al. 2018 report MIG of about 0.1-0.2 for beta-VAE and up to about 0.4 for "
            "beta-TCVAE at its best beta; Locatello et al. 2019 find MIG and DCI disentanglement spread between "
            "about 0 and 0.4 over 50 seeds per setting, the seed mattering as much as the model. These runs are "
            f"far smaller (MLP, {lab.steps} steps, {lab.shapes_n} sprites; MIG on {min(MIG_ROWS, len(dataset.train_idx))} "
            f"train rows, DCI's boosted trees on {min(DCI_TRAIN_ROWS, len(dataset.train_idx))} / "
            f"{min(DCI_TEST_ROWS, len(dataset.test_idx))} rows, against 10 000 / 5 000 there): compare orders of "
            "magnitude, not digits.")
    return ("### Disentanglement on shapes (MIG: Chen et al. 2018; DCI: Eastwood & Williams 2018; computed as "
            "Locatello et al. 2019's disentanglement_lib)\n\n"
            + markdown(["model", "weight", "MIG", "DCI disentanglement", "DCI completeness", "DCI informativeness",
                        "metric time"], out) + "\n\n" + note)


def bench_style(lab: Lab, args: argparse.Namespace) -> str:
    """The cvae style grid's class accuracy: each test row's mu drawn as every class, each tile
    classified by a logistic regression trained on the real training rows."""
    out = []
    for data in ("digits", "digits28"):
        model, dataset = lab.model(data, "cvae")
        train, test = dataset.train_idx.numpy(), dataset.test_idx.numpy()[:args.style_rows]
        probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, random_state=0))
        with threadpool_limits(1):
            probe.fit(dataset.x[train].numpy(), dataset.labels[train].numpy())
            real = float(np.mean(probe.predict(dataset.x[test].numpy()) == dataset.labels[test].numpy()))
            labels = np.arange(dataset.num_classes)
            grid = style_grid(model, dataset, source_latents(model, dataset, test), labels)  # (n, K, D)
            predicted = probe.predict(grid.reshape(-1, dataset.input_dim)).reshape(len(test), len(labels))
        per_class = (predicted == labels[None, :]).mean(0)
        out.append([data, f"{len(test)} x {len(labels)}", float((predicted == labels[None, :]).mean()),
                    float(per_class.min()), real])
    return ("### Style transfer (cvae: each test row's mu, encoded with its own label, decoded as every class; "
            "tiles classified by a probe trained on real rows)\n\n"
            + markdown(["data", "grid (rows x classes)", "tiles read as their class", "worst class",
                        "probe on real test rows"], out))


SECTIONS = {
    "denoise": bench_denoise,
    "anomaly": bench_anomaly,
    "compress": bench_compress,
    "features": bench_features,
    "disentanglement": bench_disentanglement,
    "style": bench_style,
}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=2000, help="training steps of every run (batch 128)")
    p.add_argument("--shapes-n", type=int, default=5000, help="sprites in the shapes data set")
    p.add_argument("--iw", type=int, default=100, help="importance samples of the IS-NLL anomaly score")
    p.add_argument("--seed", type=int, default=0, help="seed of every run (weights and batch order)")
    p.add_argument("--disentangle", nargs="+", choices=[d[0] for d in DISENTANGLING],
                   default=[d[0] for d in DISENTANGLING], help="models of the disentanglement section")
    p.add_argument("--style-rows", type=int, default=100, help="test rows of the style grid (each drawn as every class)")
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
