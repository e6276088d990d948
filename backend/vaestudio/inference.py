"""Inference for requests (decode, encode, sample) on the server thread, beside the trainer.

It keeps its own copy of the model and reloads it from the trainer's latest weights snapshot only
when that snapshot changed, so a request never waits for a training step to finish.

Decodes run in passes of exactly PASS_ROWS rows, so that requests answered together
(vaestudio.decode_batch) get the very bytes each would get alone: a row's decode depends on how
many rows its pass holds (MKL takes other paths for 1-3 rows, and splits bigger passes over its
threads by their size), but not on where the row sits in a pass of a given size, nor on the other
rows. `coalescable` checks that last property once per model built; where it fails, each request
runs in passes of its own.
"""

from __future__ import annotations

import numpy as np
import torch

from vaestudio.models import BaseVAE, build_model
from vaestudio.trainer import Trainer

# Rows of every pass that requests of at most that many rows share (a larger request runs in one
# pass of its own, as it would alone). 4: an MLP decodes 4 rows at about the cost of 1, the 28x28
# conv net at about 3 times it (8 rows: 7 to 10 times; torch 2.13, MKL, 1 thread).
PASS_ROWS = 4


class InferenceModel:
    def __init__(self, trainer: Trainer):
        self.trainer = trainer
        self._model: BaseVAE | None = None
        self._version = -1
        self.coalescable = True  # rows of different requests may share a pass (checked per model built)

    def model(self) -> BaseVAE:
        snap = self.trainer.snapshot
        assert snap is not None, "the trainer publishes a snapshot when it is built"
        if snap.version != self._version:
            rebuilt = self._model is None or self._model.spec.to_dict() != snap.spec.to_dict()
            if rebuilt:
                self._model = build_model(snap.spec).eval()
            self._model.load_state_dict(snap.state)
            self._version = snap.version
            if rebuilt:
                self.coalescable = rows_independent_of_position(self._model, self.trainer.conditional)
        return self._model

    def _labels(self, labels: np.ndarray | None, n: int) -> torch.Tensor | None:
        """Conditional models: the given labels, or label 0 for every row; others: None."""
        if not self.trainer.conditional:
            return None
        if labels is None:
            return torch.zeros(n, dtype=torch.long)
        return torch.from_numpy(labels.astype(np.int64))

    def decode(self, z: np.ndarray, labels: np.ndarray | None = None) -> np.ndarray:
        """(n, Z) float32 -> (n, *image_shape) uint8 images (or (n, D) for non-image data)."""
        return self.decode_many([(z, labels)], True)[0]

    def values(self, z: np.ndarray, labels: np.ndarray | None = None) -> np.ndarray:
        """(n, Z) -> (n, D) float32 decoder means, unclipped: what vector (non-image) data decodes to."""
        return self.decode_many([(z, labels)], False)[0]

    @torch.no_grad()
    def decode_many(self, requests: list[tuple[np.ndarray, np.ndarray | None]], images: bool) -> list[np.ndarray]:
        """Each request's (z (n, Z), labels (n,) or None) -> its decodes: `images` u8 as `decode`
        gives them, else the unclipped means f32 (n, D) as `values` does. The rows of requests of at
        most PASS_ROWS rows share passes; each request gets what it would get alone."""
        model = self.model()
        out: list[np.ndarray | None] = [None] * len(requests)
        shared = [i for i, (z, _) in enumerate(requests) if len(z) <= PASS_ROWS]
        groups = [(group, True) for group in ([shared] if self.coalescable and shared else [[i] for i in shared])]
        groups += [([i], False) for i, (z, _) in enumerate(requests) if len(z) > PASS_ROWS]
        for group, padded in groups:
            counts = [len(requests[i][0]) for i in group]
            z = torch.from_numpy(np.concatenate([requests[i][0] for i in group]).astype(np.float32, copy=False))
            labels = self._labels(_joined([requests[i][1] for i in group], counts), len(z))
            decoded = _padded_passes(model, z, labels, images) if padded else _decoded(model, z, labels, images)
            # converted as a whole (element by element, so each row's bytes are its own), then split
            whole = self.to_images(decoded) if images else decoded.numpy()
            for i, part in zip(group, np.split(whole, np.cumsum(counts)[:-1])):
                out[i] = part
        return out  # type: ignore[return-value]

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


def _decoded(model: BaseVAE, z: torch.Tensor, y: torch.Tensor | None, clipped: bool) -> torch.Tensor:
    """One pass: the means of p(x|z), `clipped` to [0, 1] as images take them or not (vector data)."""
    if clipped:
        return model.decode(z, y)
    logits = model.decode_logits(z, y)
    return torch.sigmoid(logits) if model.spec.likelihood == "bernoulli" else logits


def _padded_passes(model: BaseVAE, z: torch.Tensor, y: torch.Tensor | None, clipped: bool) -> torch.Tensor:
    """(n, Z) -> (n, D) in passes of exactly PASS_ROWS rows, zeros (and label 0) filling the last."""
    n = len(z)
    total = -(-n // PASS_ROWS) * PASS_ROWS
    zp = torch.zeros(total, z.shape[1])
    zp[:n] = z
    yp = None
    if y is not None:
        yp = torch.zeros(total, dtype=torch.long)
        yp[:n] = y
    parts = [_decoded(model, zp[i:i + PASS_ROWS], None if yp is None else yp[i:i + PASS_ROWS], clipped)
             for i in range(0, total, PASS_ROWS)]
    return torch.cat(parts)[:n]


def _joined(labels: list[np.ndarray | None], counts: list[int]) -> np.ndarray | None:
    """The labels of requests decoded together, label 0 for a request that gave none; None when none did."""
    if all(lab is None for lab in labels):
        return None
    return np.concatenate([np.zeros(n, np.int64) if lab is None else lab.astype(np.int64) for lab, n in zip(labels, counts)])


@torch.no_grad()
def rows_independent_of_position(model: BaseVAE, conditional: bool) -> bool:
    """Whether a pass of PASS_ROWS rows decodes each row the same wherever it sits in the pass: every
    rotation of a pass of random codes (and labels) gives the same floats, rotated."""
    gen = torch.Generator().manual_seed(0)
    z = torch.randn(PASS_ROWS, model.latent_dim, generator=gen) * 2
    y = torch.randint(model.num_classes, (PASS_ROWS,), generator=gen) if conditional else None
    base = _decoded(model, z, y, clipped=False)
    for shift in range(1, PASS_ROWS):
        moved = _decoded(model, torch.roll(z, shift, 0), None if y is None else torch.roll(y, shift, 0), clipped=False)
        if not torch.equal(moved, torch.roll(base, shift, 0)):
            return False
    return True
