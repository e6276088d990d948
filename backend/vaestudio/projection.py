"""What the `latent` stream shows of a latent space of any width: the data's posterior means
projected on 1 to 3 axes (principal components, or chosen dimensions), with what a client needs to
map a picked point back to a full z, order per-dimension sliders and colour the points.

PCA (Pearson 1901; the Embedding Projector's default) is recomputed at every refresh while training
moves the points, so each new basis is aligned with the previous one: its axes are matched to the
old ones in order of overlap and their signs flipped to agree, and the cloud turns smoothly instead
of flipping or swapping axes from one frame to the next. The axis names keep saying which principal
component each axis is ("PC2" may sit on the first axis after components swapped rank).

A client maps a point p (its k axis coordinates) back to a full z on the plane through an anchor a
(the data mean `center` by default) as  z = a + basisᵀ (p − basis a).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import torch

from vaestudio.errors import ConfigError
from vaestudio.models.base import kl_standard_normal

PROJECTIONS = ("pca", "dims")
# The statistics (covariance, spread, KL per dimension) are estimated on at most this many of the
# points, every k-th: at 10 000 points and 256 dimensions the full ones cost ~60 ms a refresh on the
# trainer's core, the sample about a tenth, and the leading axes come out the same to a degree or so.
STATS_ROWS = 1024
COLOR_DIM = re.compile(r"^z(\d+)$")


@dataclass(frozen=True)
class LatentView:
    """How the stream projects and colours the points; `dims` only with projection "dims"."""

    projection: str = "pca"  # "pca" (used only when latent_dim > 2) or "dims"
    dims: tuple[int, ...] = ()  # 1 to 3 distinct dimensions; () means the first ones
    color: str = "label"  # "label", "loss" (per-example negative ELBO at the mean), or "z<d>"

    def check(self, latent_dim: int) -> "LatentView":
        """This view checked against a latent width; raises ConfigError naming what is accepted."""
        if self.projection not in PROJECTIONS:
            raise ConfigError(f"'projection' must be one of {', '.join(PROJECTIONS)}, got {self.projection!r}")
        if self.dims:
            if not 1 <= len(self.dims) <= 3 or len(set(self.dims)) != len(self.dims):
                raise ConfigError(f"'dims' must list 1 to 3 distinct dimensions, got {list(self.dims)}")
            if any(isinstance(d, bool) or not isinstance(d, int) or not 0 <= d < latent_dim for d in self.dims):
                raise ConfigError(f"'dims' must be dimensions from 0 to {latent_dim - 1}, got {list(self.dims)}")
        found = COLOR_DIM.match(self.color) if isinstance(self.color, str) else None
        if self.color not in ("label", "loss") and not (found and int(found.group(1)) < latent_dim):
            raise ConfigError(f"'color' must be 'label', 'loss' or a dimension 'z0' to 'z{latent_dim - 1}', got {self.color!r}")
        return self

    def to_dict(self) -> dict:
        return {"projection": self.projection, "dims": list(self.dims), "color": self.color}


class Projector:
    """Projects successive snapshots of the same latent space, keeping the PCA basis aligned."""

    def __init__(self) -> None:
        self._basis: torch.Tensor | None = None  # (k, Z) the last PCA basis
        self._ranks: list[int] = []  # which principal component each of its axes is

    @torch.no_grad()
    def project(self, mu: torch.Tensor, logvar: torch.Tensor, view: LatentView) -> dict:
        """mu, logvar (N, Z) -> the stream's projection fields (float32 tensors and names)."""
        mu, logvar = mu.float(), logvar.float()
        n, z_dim = mu.shape
        k = min(z_dim, 3)
        center = mu.mean(0)  # (Z,)
        step = -(-n // STATS_ROWS)
        centred = mu[::step] - center  # (<= STATS_ROWS, Z)
        variance = centred.pow(2).sum(0) / max(centred.shape[0] - 1, 1)  # (Z,)
        total = float(variance.sum()) or 1.0
        projection = "pca" if view.projection == "pca" and z_dim > 2 and not view.dims else "dims"
        if projection == "pca":
            basis, ranks, share = self._pca(centred, k)
            axes = [f"PC{r + 1}" for r in ranks]
        else:
            dims = list(view.dims) or list(range(k))
            basis = torch.zeros(len(dims), z_dim)
            basis[torch.arange(len(dims)), torch.tensor(dims)] = 1.0
            share = variance[dims] / total
            axes = [f"z{d}" for d in dims]
            self._basis = None  # a later switch back to PCA starts afresh
        kl = kl_standard_normal(mu[::step], logvar[::step])  # (<= STATS_ROWS, Z)
        return {
            "coords": mu @ basis.T,  # (N, k) positions along the axes
            "axes": axes,
            "projection": projection,
            "basis": basis,  # (k, Z) unit rows
            "center": center,  # (Z,) the data mean, the default anchor
            "explained": share,  # (k,) share of the total variance along each axis
            "scale": variance.sqrt(),  # (Z,) spread of each dimension, for slider ranges
            "kl_per_dim": kl.mean(0),  # (Z,) mean KL per dimension: active dimensions first
        }

    def _pca(self, centred: torch.Tensor, k: int) -> tuple[torch.Tensor, list[int], torch.Tensor]:
        cov = centred.T @ centred / max(centred.shape[0] - 1, 1)  # (Z, Z)
        values, vectors = torch.linalg.eigh(cov.double())  # ascending
        top = torch.arange(values.shape[0] - 1, values.shape[0] - 1 - k, -1)
        basis = vectors[:, top].T.float()  # (k, Z), PC1 first
        share = (values[top] / float(values.sum().clamp(min=1e-12))).float().clamp(min=0)
        ranks = list(range(k))
        if self._basis is not None and self._basis.shape == basis.shape:
            basis, ranks, share = self._align(basis, share)
        self._basis, self._ranks = basis, ranks
        return basis, ranks, share

    def _align(self, basis: torch.Tensor, share: torch.Tensor) -> tuple[torch.Tensor, list[int], torch.Tensor]:
        """Reorders and flips the new axes to follow the previous ones (greedy by overlap)."""
        overlap = (self._basis @ basis.T).abs()  # (old k, new k)
        order: list[int] = [-1] * basis.shape[0]
        free = set(range(basis.shape[0]))
        for _ in range(basis.shape[0]):
            best = max(((i, j) for i in range(basis.shape[0]) if order[i] < 0 for j in free),
                       key=lambda ij: float(overlap[ij]))
            order[best[0]] = best[1]
            free.discard(best[1])
        aligned = basis[order].clone()
        signs = torch.sign((aligned * self._basis).sum(1))
        aligned *= torch.where(signs == 0, torch.ones_like(signs), signs)[:, None]
        return aligned, order, share[order]
