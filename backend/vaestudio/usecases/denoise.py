"""Denoising: corrupt rows, encode the noisy rows, decode the mean at z = mu(noisy).

A VAE trained on clean data maps a corrupted input near the clean rows it knows, so its decode is
a denoised version (the classic denoising use of autoencoders, Vincent et al. 2008, without
training on noise). PSNR (rows.psnr) of the noisy and of the denoised rows against the clean ones
says how much it helped.

Noise, on the [0, 1] scale of images (vector data: the training split's [min, max] mapped to it):
- gaussian: x + N(0, level²), clipped to the value range;
- salt_pepper: a `level` fraction of the values set to the minimum or the maximum (half each);
- mask: a `level` fraction of the values set to 0.
"""

from __future__ import annotations

import numpy as np
import torch

from vaestudio.datasets import Dataset
from vaestudio.errors import ConfigError
from vaestudio.models import BaseVAE
from vaestudio.usecases import rows as rowsel
from vaestudio.usecases.rows import Rows

NOISE_KINDS = ("gaussian", "salt_pepper", "mask")


def value_range(dataset: Dataset) -> tuple[float, float]:
    """(lo, hi) of the values: (0, 1) for images, min and max over the training split otherwise."""
    if dataset.image_shape:
        return 0.0, 1.0
    train = dataset.x[dataset.train_idx]
    return float(train.min()), float(train.max())


def corrupt(x: np.ndarray, kind: str, level: float, seed: int = 0, lo: float = 0.0, hi: float = 1.0) -> np.ndarray:
    """(n, D) -> (n, D) float32 noisy copy; the same seed gives the same noise."""
    if kind not in NOISE_KINDS:
        raise ConfigError(f"'noise.kind' must be one of {', '.join(NOISE_KINDS)}, got {kind!r}")
    if not 0.0 <= level <= 1.0:
        raise ConfigError(f"'noise.level' must be a number from 0 to 1, got {level!r}")
    rng = np.random.default_rng(seed)
    x = np.asarray(x, dtype=np.float32)
    if kind == "gaussian":
        noisy = x + rng.normal(0.0, level * (hi - lo), size=x.shape)
        return noisy.clip(lo, hi).astype(np.float32)
    hit = rng.random(x.shape) < level  # (n, D) the values the noise replaces
    if kind == "mask":
        return np.where(hit, np.float32(0.0), x).astype(np.float32)
    salt = rng.random(x.shape) < 0.5
    return np.where(hit, np.where(salt, np.float32(hi), np.float32(lo)), x).astype(np.float32)


def denoise(model: BaseVAE, dataset: Dataset, rows: Rows, kind: str = "gaussian", level: float = 0.3,
            seed: int = 0) -> dict:
    """Corrupt `rows`, decode z = mu(noisy). Returns clean, noisy, denoised (n, D) float32 values,
    psnr_noisy, psnr_denoised (n,) float32 dB and their means (floats)."""
    lo, hi = value_range(dataset)
    clean = rows.x.numpy()  # (n, D)
    noisy = corrupt(clean, kind, level, seed, lo, hi)
    mu, _ = rowsel.encode(model, Rows(torch.from_numpy(noisy), rows.indices, rows.labels))
    denoised = rowsel.decoder_mean(model, dataset, mu, rows.labels)  # (n, D)
    peak = rowsel.peak(dataset)
    psnr_noisy, psnr_denoised = rowsel.psnr(clean, noisy, peak), rowsel.psnr(clean, denoised, peak)
    return {"clean": clean, "noisy": noisy, "denoised": denoised,
            "psnr_noisy": psnr_noisy, "psnr_denoised": psnr_denoised,
            "psnr_noisy_mean": float(psnr_noisy.mean()), "psnr_denoised_mean": float(psnr_denoised.mean())}
