"""The posterior means of many data-set rows, batched, for the use cases that work on a whole split
(features, generation, attribute vectors): rows.py's `encode` takes at most one request's rows.

Conditional models encode each row with its own label, as `encode` does over the wire.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from vaestudio.datasets import Dataset
from vaestudio.models import BaseVAE

BATCH_ROWS = 512  # rows per forward pass: bounds memory for 64x64 conv models


@torch.no_grad()
def encode_mu(model: BaseVAE, dataset: Dataset, rows: np.ndarray | torch.Tensor,
              check: Callable[[], None] | None = None) -> np.ndarray:
    """Data-set rows (n,) -> mu (n, Z) float32, the posterior means E_q[z|x] (VQ-VAE: the
    pre-quantisation embedding, as `encode` gives). `check` runs before each batch (a task's deadline)."""
    rows = torch.as_tensor(np.asarray(rows, dtype=np.int64))
    out = []
    for start in range(0, len(rows), BATCH_ROWS):
        if check is not None:
            check()
        idx = rows[start:start + BATCH_ROWS]
        y = dataset.labels[idx] if model.conditional else None
        out.append(model.encode(dataset.x[idx], y)[0])
    if not out:
        return np.zeros((0, model.latent_dim), dtype=np.float32)
    return torch.cat(out).numpy().astype(np.float32)
