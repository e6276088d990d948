"""Snapshots of the model's insides for the `dims`, `recons` and `layers` streams.

Each function takes the model and tensors and returns a dict of plain numbers and numpy arrays; the
trainer decides when to call them (about once a second, never on the per-step path) and
streams.py puts them on the wire. Conventions as in evaluate.py: KL in nats, closed form
(Kingma & Welling 2014, Appendix B); active units as Burda et al. (2016, sec. 5.2).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from vaestudio.evaluate import active_units
from vaestudio.models import BaseVAE
from vaestudio.models.base import kl_standard_normal

DIMS_ROWS = 256  # training rows of the fixed batch behind `dims`
RECON_ROWS = 16  # test rows shown beside their reconstructions


def fixed_rows(pool: torch.Tensor, n: int, seed: int) -> torch.Tensor:
    """At most n rows of `pool` (int64 row ids), drawn once with `seed`, in ascending order."""
    if len(pool) <= n:
        return pool.clone()
    picked = np.random.default_rng(seed).choice(len(pool), n, replace=False)
    return pool[torch.from_numpy(np.sort(picked))]


@torch.no_grad()
def dims(model: BaseVAE, x: torch.Tensor, y: torch.Tensor | None) -> dict:
    """KL per latent dimension of a batch x (B, D) and its active units.

    kl_per_dim (Z,) f32: batch mean of KL(q(z_j|x) || N(0, 1)); kl: their sum (the batch's KL);
    active_units: evaluate's definition on this batch; rows: B. (VQ-VAE's logvar is zeros, so its
    kl_per_dim is ½ μ_j², as in the `latent` stream.)
    """
    model.eval()
    mu, logvar = model.encode(x, y)  # (B, Z) each
    kl_per_dim = kl_standard_normal(mu, logvar).mean(dim=0).float().cpu().numpy()  # (Z,)
    return {
        "kl_per_dim": kl_per_dim,
        "kl": float(kl_per_dim.astype(np.float64).sum()),  # the sum of exactly what is sent
        "active_units": active_units(mu),
        "rows": len(x),
    }


@torch.no_grad()
def recons(model: BaseVAE, x: torch.Tensor, y: torch.Tensor | None, image_shape: tuple[int, ...]) -> dict:
    """Rows x (n, D) and the decoder's mean at z = μ, as `data.get` and `decode` send them:
    images u8 (n, *image_shape) scaled to 0–255, or, for vector data (image_shape ()), f32 (n, D)."""
    model.eval()
    mu, _ = model.encode(x, y)  # (n, Z)
    if not image_shape:
        logits = model.decode_logits(mu, y)  # (n, D): a Gaussian decoder's mean is not clipped to [0, 1]
        mean = torch.sigmoid(logits) if model.spec.likelihood == "bernoulli" else logits
        return {"originals": x.float().cpu().numpy(), "recons": mean.float().cpu().numpy()}
    mean = model.decode(mu, y)  # (n, D) in [0, 1]; one decoder pass (a second cost a conv net 40 % more)
    return {"originals": to_u8(x, image_shape), "recons": to_u8(mean, image_shape)}


def to_u8(x: torch.Tensor, image_shape: tuple[int, ...]) -> np.ndarray:
    """(n, D) values in [0, 1] -> (n, *image_shape) u8, rounded as data.get and decode do."""
    return (x.clamp(0, 1) * 255.0).round().to(torch.uint8).cpu().numpy().reshape(len(x), *image_shape)


def parameter_layers(model: nn.Module) -> list[tuple[str, list[nn.Parameter]]]:
    """(module path, its own parameters) of every module that holds parameters, in registration
    order; parameters set directly on the model itself are listed under "model"."""
    layers = []
    for name, module in model.named_modules():
        params = list(module.parameters(recurse=False))
        if params:
            layers.append((name or "model", params))
    return layers


@torch.no_grad()
def grad_norms(layers: list[tuple[str, list[nn.Parameter]]]) -> torch.Tensor:
    """(L,) L2 norm of each layer's gradients (all its parameters together; 0 where none has a
    gradient this step, e.g. a discriminator trained by its own optimizer)."""
    return torch.stack([_norm([p.grad for p in params if p.grad is not None]) for _, params in layers])


@torch.no_grad()
def layer_norms(layers: list[tuple[str, list[nn.Parameter]]], grads: torch.Tensor) -> dict:
    """names (L,), weight_norm (L,) f32 of each layer's parameters now, grad_norm (L,) f32 from
    `grads` (grad_norms taken before clipping), grad_norm_total: their root sum of squares, the
    global norm clip_grad_norm_ measures."""
    weights = torch.stack([_norm(params) for _, params in layers])
    return {
        "names": [name for name, _ in layers],
        "weight_norm": weights.float().cpu().numpy(),
        "grad_norm": grads.float().cpu().numpy(),
        "grad_norm_total": float(torch.linalg.vector_norm(grads.double())),
    }


def _norm(tensors: list[torch.Tensor]) -> torch.Tensor:
    """The L2 norm of several tensors taken as one vector, on the CPU (0 for none)."""
    if not tensors:
        return torch.zeros(())
    norms = torch.stack([torch.linalg.vector_norm(t.detach(), dtype=torch.float32) for t in tensors])
    return torch.linalg.vector_norm(norms).cpu()
