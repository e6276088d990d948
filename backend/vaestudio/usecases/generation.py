"""Generation quality: how well the model reconstructs held-out rows and how varied its samples are.

- `recon_psnr`: the mean over test rows of each row's PSNR, 10 log10(peak^2 / MSE), between the row
  and the decoder's mean at z = mu (pixels in [0, 1], peak 1; vector data: peak = the training
  split's value range). At most MAX_RECON_ROWS test rows (the first of the split, a seeded
  permutation).
- `diversity`: the mean pairwise distance between the decodes of n prior samples, divided by the
  same figure over min(n, n_test) test rows: about 1 when the samples vary as much as the data,
  near 0 when they collapse to a few modes (mode collapse), above 1 when they are noisier than the
  data. Each raw figure (`sample_diversity`, `data_diversity`) is the mean L2 distance over all
  pairs divided by sqrt(D), so it reads as a per-value RMS difference.
Conditional models draw sample i with label i mod num_classes (every class equally).
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from vaestudio.datasets import Dataset
from vaestudio.models import BaseVAE
from vaestudio.usecases.latents import encode_mu
from vaestudio.usecases.rows import decoder_mean, peak, psnr

MAX_RECON_ROWS = 5_000
MIN_SAMPLES = 2  # a pairwise distance needs two decodes


def mean_pairwise_distance(rows: np.ndarray) -> float:
    """Mean L2 distance over all pairs of (n, D) rows, divided by sqrt(D)."""
    from scipy.spatial.distance import pdist  # here: scipy is no part of the server's start-up

    return float(pdist(np.asarray(rows, np.float64)).mean() / np.sqrt(rows.shape[1]))


def recon_psnr(model: BaseVAE, dataset: Dataset, check: Callable[[], None] | None = None) -> np.ndarray:
    """(n_test,) PSNR of the test split's first MAX_RECON_ROWS rows reconstructed at z = mu."""
    rows = dataset.test_idx.numpy()[:MAX_RECON_ROWS]
    mu = encode_mu(model, dataset, rows, check)
    labels = dataset.labels[rows] if model.conditional else None
    if check is not None:
        check()
    return psnr(dataset.x[rows].numpy(), decoder_mean(model, dataset, mu, labels), peak(dataset))


@torch.no_grad()
def generation(model: BaseVAE, dataset: Dataset, n: int = 256, seed: int = 0, temperature: float = 1.0,
               check: Callable[[], None] | None = None) -> dict:
    """{recon_psnr, diversity, sample_diversity, data_diversity, n, n_data, n_recon}: see the module
    docstring; n (>= 2) prior samples at `temperature` from `seed`."""
    psnr = recon_psnr(model, dataset, check)
    gen = torch.Generator().manual_seed(seed)
    z = model.sample_prior(n, gen, temperature=temperature).cpu().numpy()  # (n, Z)
    labels = torch.arange(n) % max(model.num_classes, 1) if model.conditional else None
    samples = decoder_mean(model, dataset, z, labels)  # (n, D)
    data = dataset.x[dataset.test_idx[:n]].numpy()  # (min(n, n_test), D)
    sample_div = mean_pairwise_distance(samples)
    data_div = mean_pairwise_distance(data) if len(data) >= MIN_SAMPLES else float("nan")
    return {"recon_psnr": float(psnr.mean()), "diversity": sample_div / data_div if data_div > 0 else float("nan"),
            "sample_diversity": sample_div, "data_diversity": data_div, "n": n, "n_data": len(data),
            "n_recon": len(psnr)}
