"""Inference for requests (decode, encode, sample) on the server thread, beside the trainer.

It keeps its own copy of the model and reloads it from the trainer's latest weights snapshot only
when that snapshot changed, so a request never waits for a training step to finish.
"""

from __future__ import annotations

import numpy as np
import torch

from vaestudio.models import BaseVAE, build_model
from vaestudio.trainer import Trainer


class InferenceModel:
    def __init__(self, trainer: Trainer):
        self.trainer = trainer
        self._model: BaseVAE | None = None
        self._version = -1

    def model(self) -> BaseVAE:
        snap = self.trainer.snapshot
        assert snap is not None, "the trainer publishes a snapshot when it is built"
        if snap.version != self._version:
            if self._model is None or self._model.spec.to_dict() != snap.spec.to_dict():
                self._model = build_model(snap.spec).eval()
            self._model.load_state_dict(snap.state)
            self._version = snap.version
        return self._model

    def _labels(self, labels: np.ndarray | None, n: int) -> torch.Tensor | None:
        """Conditional models: the given labels, or label 0 for every row; others: None."""
        if not self.trainer.conditional:
            return None
        if labels is None:
            return torch.zeros(n, dtype=torch.long)
        return torch.from_numpy(labels.astype(np.int64))

    @torch.no_grad()
    def decode(self, z: np.ndarray, labels: np.ndarray | None = None) -> np.ndarray:
        """(n, Z) float32 -> (n, *image_shape) uint8 images (or (n, D) for non-image data)."""
        zt = torch.from_numpy(np.array(z, dtype=np.float32))
        return self.to_images(self.model().decode(zt, self._labels(labels, len(zt))))  # (n, D)

    @torch.no_grad()
    def values(self, z: np.ndarray, labels: np.ndarray | None = None) -> np.ndarray:
        """(n, Z) -> (n, D) float32 decoder means, unclipped: what vector (non-image) data decodes to."""
        zt = torch.from_numpy(np.array(z, dtype=np.float32))
        model = self.model()
        logits = model.decode_logits(zt, self._labels(labels, len(zt)))
        return (torch.sigmoid(logits) if model.spec.likelihood == "bernoulli" else logits).numpy()

    @torch.no_grad()
    def encode(self, rows: np.ndarray, labels: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Data-set row indices (n,) -> mu, logvar, each (n, Z) float32. Conditional models use the
        rows' own labels unless `labels` is given."""
        idx = torch.from_numpy(rows.astype(np.int64))
        x = self.trainer.dataset.x[idx]
        y = None
        if self.trainer.conditional:
            y = torch.from_numpy(labels.astype(np.int64)) if labels is not None else self.trainer.dataset.labels[idx]
        mu, logvar = self.model().encode(x, y)
        return mu.numpy(), logvar.numpy()

    @torch.no_grad()
    def prior(self, n: int, seed: int | None, temperature: float = 1.0) -> np.ndarray:
        """(n, Z) float32 draws from the model's prior (decode them with decode or values)."""
        gen = torch.Generator()
        gen.manual_seed(seed if seed is not None else int(torch.randint(0, 2**62, (1,))))
        return self.model().sample_prior(n, gen, temperature=temperature).numpy()

    def to_images(self, x: torch.Tensor) -> np.ndarray:
        shape = self.trainer.dataset.image_shape or (x.shape[1],)
        return (x.clamp(0, 1) * 255.0).round().to(torch.uint8).numpy().reshape(len(x), *shape)
