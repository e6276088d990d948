"""Evaluation of a model on a data split: ELBO and its terms, IS-NLL, active units, KL per dim.

- ELBO = E_q[log p(x|z)] - KL(q(z|x) || p(z)), one reparameterised sample per row (Kingma &
  Welling 2014, eq. 3); recon and KL in nats per example (summed over pixels / dims).
- NLL: the importance-sampled estimate with k samples (Burda et al. 2016, eq. 8), when asked.
- bits_per_dim: the NLL in bits per input dimension, nll / (D ln 2), from the IS-NLL when asked
  for, else from the negative ELBO (an upper bound on it); the figure compression papers report.
- Active units (Burda et al. 2016, sec. 5.2): dimension u is active when Cov_x(E_q[z_u]) > 0.01.
- VQ-VAE has no continuous posterior: its KL to a uniform prior over K codes is the constant
  log K (van den Oord et al. 2017, sec. 3.1), so its ELBO is -(recon + log K) and it has no IS-NLL.
"""

from __future__ import annotations

import math
from typing import Callable

import torch

from vaestudio.datasets import Dataset
from vaestudio.models import BaseVAE
from vaestudio.models.base import kl_standard_normal, reparameterize

ACTIVE_UNIT_THRESHOLD = 0.01


def active_units(mu: torch.Tensor) -> int:
    """Dimensions u with Cov_x(E_q[z_u]) > ACTIVE_UNIT_THRESHOLD over the rows of mu (n, Z)
    (Burda et al. 2016, sec. 5.2); with one row or none, no dimension varies, so none is active."""
    if len(mu) < 2:
        return 0
    return int((mu.var(dim=0) > ACTIVE_UNIT_THRESHOLD).sum())


@torch.no_grad()
def evaluate(model: BaseVAE, dataset: Dataset, split: str = "test", iw_samples: int = 0,
             batch_size: int = 256, seed: int = 0, max_rows: int | None = None,
             check: Callable[[], None] | None = None) -> dict:
    """`check` is called before each batch; it may raise to stop (cancelled, out of time)."""
    rows = dataset.test_idx if split == "test" else dataset.train_idx
    if max_rows is not None:
        rows = rows[:max_rows]
    device = next(model.parameters()).device
    gen = torch.Generator(device=device).manual_seed(seed)
    model.eval()
    recon_sum = kl_sum = nll_sum = 0.0
    mus, kl_dims = [], torch.zeros(model.latent_dim, device=device)
    is_vq = model.name == "vq_vae"
    for start in range(0, len(rows), batch_size):
        if check is not None:
            check()
        idx = rows[start : start + batch_size]
        x = dataset.x[idx].to(device)  # (B, D)
        y = dataset.labels[idx].to(device) if model.conditional else None
        mu, logvar = model.encode(x, y)  # (B, Z)
        if is_vq:
            z = mu
            kl = torch.full((len(x),), math.log(model.hparams.codebook_size), device=device)
        else:
            z = reparameterize(mu, logvar, gen)
            kl = model.kl_per_example(z, mu, logvar)  # (B,)
            kl_dims += kl_standard_normal(mu, logvar).sum(0)
        recon = model.reconstruction_nll(model.decode_logits(z, y), x)  # (B,)
        recon_sum += float(recon.sum())
        kl_sum += float(kl.sum())
        if iw_samples and not is_vq:
            nll_sum += float(model.importance_nll(x, y, k=iw_samples, generator=gen).sum())
        mus.append(mu)
    n = len(rows)
    result = {
        "split": split,
        "n": n,
        "elbo": -(recon_sum + kl_sum) / n,
        "recon": recon_sum / n,
        "kl": kl_sum / n,
        "active_units": active_units(torch.cat(mus)),
        "per_dim_kl": [] if is_vq else [float(v) / n for v in kl_dims],
    }
    if iw_samples and not is_vq:
        result["nll"] = nll_sum / n
        result["iw_samples"] = iw_samples
    result["bits_per_dim"] = result.get("nll", -result["elbo"]) / (dataset.input_dim * math.log(2))
    return result
