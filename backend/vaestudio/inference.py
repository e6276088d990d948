"""Inference for requests (decode, encode, sample) on the server thread, beside the trainer.

It keeps its own copy of the model and reloads it from the trainer's latest weights snapshot only
when that snapshot changed, so a request never waits for a training step to finish.
"""

from __future__ import annotations

import numpy as np
import torch

from vaestudio.model import VAE
from vaestudio.trainer import Trainer


class InferenceModel:
    def __init__(self, trainer: Trainer):
        self.trainer = trainer
        self._model: VAE | None = None
        self._version = -1

    def model(self) -> VAE:
        snap = self.trainer.snapshot
        assert snap is not None, "the trainer publishes a snapshot when it is built"
        if snap.version != self._version:
            if self._model is None or self._model.config.to_dict() != snap.model_config.to_dict():
                self._model = VAE(snap.model_config).eval()
            self._model.load_state_dict(snap.state)
            self._version = snap.version
        return self._model

    @torch.no_grad()
    def decode(self, z: np.ndarray) -> np.ndarray:
        """(n, Z) float32 -> (n, *image_shape) uint8 images (or (n, D) for non-image data)."""
        x = self.model().decode(torch.from_numpy(np.array(z, dtype=np.float32)))  # (n, D)
        return self.to_images(x)

    @torch.no_grad()
    def encode(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Data-set row indices (n,) -> mu, logvar, each (n, Z) float32."""
        x = self.trainer.dataset.x[torch.from_numpy(rows.astype(np.int64))]
        mu, logvar = self.model().encode(x)
        return mu.numpy(), logvar.numpy()

    @torch.no_grad()
    def sample(self, n: int, seed: int | None) -> tuple[np.ndarray, np.ndarray]:
        """z ~ N(0, I) from the prior, decoded: (n, Z) float32 and uint8 images."""
        gen = torch.Generator()
        gen.manual_seed(seed if seed is not None else int(torch.randint(0, 2**62, (1,))))
        z = torch.randn(n, self.model().config.latent_dim, generator=gen)
        return z.numpy(), self.decode(z.numpy())

    def to_images(self, x: torch.Tensor) -> np.ndarray:
        shape = self.trainer.dataset.image_shape or (x.shape[1],)
        return (x.clamp(0, 1) * 255.0).round().to(torch.uint8).numpy().reshape(len(x), *shape)
