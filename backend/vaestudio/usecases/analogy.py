"""Latent arithmetic for any model: analogies and attribute vectors.

- Analogy (Mikolov et al. 2013's "king - man + woman" in a latent space; for VAEs e.g. White 2016,
  "Sampling Generative Networks", Sec. 2.3): "a is to b as c is to ?" is decoded from
  z = mu_c + (mu_b - mu_a), each mu the posterior mean of a data-set row.
- Attribute vector (White 2016, Sec. 2.4; Larsen et al. 2016, Sec. 5): the mean mu of the training
  rows of one class minus the mean mu of another's. Adding t times it to any z moves that z from
  the one class towards the other by t (the client's slider).

Conditional models encode each row with its own label; the analogy is decoded with c's label.
"""

from __future__ import annotations

import numpy as np
import torch

from vaestudio.datasets import Dataset
from vaestudio.errors import ConfigError
from vaestudio.models import BaseVAE
from vaestudio.usecases.latents import encode_mu
from vaestudio.usecases.rows import decoder_mean


def analogy(model: BaseVAE, dataset: Dataset, a: int, b: int, c: int) -> dict:
    """Rows a, b, c -> {"z": (1, Z) mu_c + mu_b - mu_a, "mu": (3, Z) their means, "decoded": (1, D)
    the decoder's mean at z (pixels in [0, 1], or values), "label": c's label or None}."""
    rows = np.array([a, b, c], dtype=np.int64)
    mu = encode_mu(model, dataset, rows)  # (3, Z)
    z = (mu[2] + (mu[1] - mu[0]))[None, :].astype(np.float32)  # (1, Z)
    label = int(dataset.labels[c]) if dataset.labels is not None else None
    decoded = decoder_mean(model, dataset, z, torch.tensor([label if label is not None else 0]))
    return {"z": z, "mu": mu, "decoded": decoded, "label": label}


def attribute_vector(model: BaseVAE, dataset: Dataset, from_label: int, to_label: int) -> dict:
    """{"vector": (Z,) mean mu of to_label's training rows - mean mu of from_label's, "norm": its L2
    norm, "counts": [n_from, n_to] training rows averaged}. Needs a labelled data set."""
    if dataset.labels is None:
        raise ConfigError(f"'attribute' needs a labelled data set; {dataset.name} has no labels")
    classes = dataset.num_classes
    for field, value in (("from_label", from_label), ("to_label", to_label)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 0 <= value < classes:
            raise ConfigError(f"'{field}' must be a class from 0 to {classes - 1}, got {value!r}")
    train = dataset.train_idx.numpy()
    y = dataset.labels.numpy()[train]
    means, counts = [], []
    for label in (from_label, to_label):
        rows = train[y == label]
        if len(rows) == 0:
            raise ConfigError(f"class {label} has no training rows (left out with exclude_labels?); "
                              "an attribute vector needs both classes in the training split")
        means.append(encode_mu(model, dataset, rows).astype(np.float64).mean(0))
        counts.append(len(rows))
    vector = (means[1] - means[0]).astype(np.float32)  # (Z,)
    return {"vector": vector, "norm": float(np.linalg.norm(vector)), "counts": counts}
