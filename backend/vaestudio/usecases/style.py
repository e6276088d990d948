"""Style transfer with a conditional VAE: one source's style rendered as every asked-for class.

A conditional VAE (Sohn, Lee & Yan 2015; Kingma et al. 2014's M2) is given the label at both
ends, so its latent z only has to carry what the label does not say: slant, thickness, size. The
source row is encoded with its own label, z = mu(x, y_source), and decoded once per target label,
x' = E[p(x | z, y_target)]: the same handwriting, written as another digit (Kingma et al. 2014,
Fig. 1, "analogies"). Non-conditional models cannot do this (their decoder has no label input):
`analogy` and attribute vectors (analogy.py) are their form of style transfer.
"""

from __future__ import annotations

import numpy as np
import torch

from vaestudio.datasets import Dataset
from vaestudio.errors import ConfigError
from vaestudio.models import BaseVAE
from vaestudio.usecases.latents import encode_mu
from vaestudio.usecases.rows import decoder_mean


def require_conditional(model: BaseVAE) -> None:
    """Raises ConfigError (invalid_argument) naming the model when it has no label input."""
    if not model.conditional:
        raise ConfigError(f"'style' needs a conditional model (one that takes labels, e.g. cvae); "
                          f"{model.spec.name} is not conditional: use 'analogy' or 'attribute' instead")


def check_labels(model: BaseVAE, labels: np.ndarray) -> np.ndarray:
    """`labels` (m,) int, m >= 1, each a class 0..num_classes-1 of the model; returns int64."""
    labels = np.asarray(labels)
    classes = model.num_classes
    if labels.ndim != 1 or labels.shape[0] == 0:
        raise ConfigError(f"'labels' must have shape [m] with m >= 1 (the classes to render), got {list(labels.shape)}")
    if labels.min() < 0 or labels.max() >= classes:
        raise ConfigError(f"'labels' must be classes from 0 to {classes - 1}")
    return labels.astype(np.int64)


def source_latents(model: BaseVAE, dataset: Dataset, indices: np.ndarray) -> np.ndarray:
    """Data-set rows (n,) -> z (n, Z): each row's posterior mean, encoded with its own label."""
    return encode_mu(model, dataset, indices)


def style_grid(model: BaseVAE, dataset: Dataset, z: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Each source z (n, Z) decoded as each label (m,) -> (n, m, D) decoder means (pixels in [0, 1],
    or values for vector data): row i, column j is source i's style drawn as class labels[j]."""
    require_conditional(model)
    labels = check_labels(model, labels)
    z = np.asarray(z, dtype=np.float32)
    n, m = len(z), len(labels)
    zz = np.repeat(z, m, axis=0)  # (n*m, Z): source 0 m times, then source 1, ...
    yy = np.tile(labels, n)  # (n*m,): labels[0..m-1] for each source
    return decoder_mean(model, dataset, zz, torch.from_numpy(yy)).reshape(n, m, -1)
