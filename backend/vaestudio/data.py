"""Data sets that need no network: scikit-learn's bundled digits, plus a registry for more."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch


@dataclass
class Dataset:
    """A whole data set in memory, flattened: x (N, D) float32, values in [0, 1] for images."""

    name: str
    x: torch.Tensor  # (N, D)
    labels: torch.Tensor | None  # (N,) int64, or None for unlabelled data
    image_shape: tuple[int, ...]  # (h, w) or (h, w, c); () for non-image data
    likelihood: str  # "bernoulli" or "gaussian"
    train_idx: torch.Tensor  # (N_train,) rows used for training
    test_idx: torch.Tensor  # (N_test,) held-out rows

    @property
    def n(self) -> int:
        return int(self.x.shape[0])

    @property
    def input_dim(self) -> int:
        return int(self.x.shape[1])

    def describe(self) -> dict:
        return {"name": self.name, "n": self.n, "shape": list(self.image_shape or (self.input_dim,))}


def split_indices(n: int, test_fraction: float = 0.1, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Deterministic train/test split: a fixed-seed permutation, the last `test_fraction` held out."""
    perm = torch.from_numpy(np.random.default_rng(seed).permutation(n))
    n_test = max(1, int(round(n * test_fraction)))
    return perm[:-n_test].sort().values, perm[-n_test:].sort().values


def load_digits() -> Dataset:
    """scikit-learn's bundled 8x8 handwritten digits: 1797 images, grey levels 0..16, labels 0..9."""
    from sklearn.datasets import load_digits as sk_load_digits

    bunch = sk_load_digits()
    x = torch.from_numpy(bunch.data.astype(np.float32) / 16.0)  # (1797, 64) in [0, 1]
    labels = torch.from_numpy(bunch.target.astype(np.int64))
    train_idx, test_idx = split_indices(len(x))
    return Dataset("digits", x, labels, (8, 8), "bernoulli", train_idx, test_idx)


DATASETS: dict[str, Callable[[], Dataset]] = {"digits": load_digits}


def load_dataset(name: str) -> Dataset:
    try:
        factory = DATASETS[name]
    except KeyError:
        raise ValueError(f"unknown data set {name!r}; available: {', '.join(sorted(DATASETS))}") from None
    return factory()
