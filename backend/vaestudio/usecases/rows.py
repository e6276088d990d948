"""What every use case shares: which rows it works on, how its outputs look, and PSNR.

Rows (CONTRACT / protocol/README.md §5.4): a request names data-set rows (`indices` i32 [n]) or
gives rows as the model takes them (`x` f32 [n, D]); with neither, the test split's first
min(DEFAULT_ROWS, n_test) rows. At most MAX_ITEMS rows per request, like decode.

    rows = select(dataset, indices=None, x=None)        # or from_args(dataset, args) in a handler
    mu, logvar = encode(model, rows)                      # (n, Z) each
    out = decoder_mean(model, dataset, z, rows.labels)    # (n, D) values as the data set holds them
    psnr(rows.x.numpy(), out, peak(dataset))              # (n,) dB
    output_array(dataset, out)                            # wire array: images u8 or values f32

Nothing here knows about sockets or sessions; `from_args` only reads the request's map.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from vaestudio.datasets import Dataset
from vaestudio.errors import ConfigError, TooLarge
from vaestudio.models import BaseVAE
from vaestudio.op_args import MAX_ITEMS
from vaestudio.wire import array, from_array

DEFAULT_ROWS = 256  # rows a use case works on when the request names none (the test split's first)
BATCH = 1024  # rows per forward pass, so 4096 rows never build one huge batch


@dataclass
class Rows:
    """The rows a use case works on: x (n, D) float32 as the model takes them; `indices` (n,) int64
    data-set rows, or None when the caller gave `x`; `labels` (n,) int64 when known, else None."""

    x: torch.Tensor
    indices: np.ndarray | None
    labels: torch.Tensor | None

    def __len__(self) -> int:
        return int(self.x.shape[0])


def select(dataset: Dataset, indices: np.ndarray | None = None, x: np.ndarray | None = None) -> Rows:
    """Rows by data-set index, as given values, or (neither) the test split's first DEFAULT_ROWS.
    Raises ConfigError/TooLarge naming 'indices' or 'x' and what is accepted."""
    if indices is not None and x is not None:
        raise ConfigError("give at most one of 'indices' (i32 [n], data-set rows) or 'x' "
                          f"(f32 [n, {dataset.input_dim}], rows as the model takes them)")
    if x is not None:
        x = np.asarray(x, dtype=np.float32)
        if x.ndim != 2 or x.shape[1] != dataset.input_dim:
            raise ConfigError(f"'x' must have shape [n, {dataset.input_dim}] (rows of the data set's "
                              f"{dataset.input_dim} values), got {list(x.shape)}")
        _check_count(len(x), "x")
        if not np.isfinite(x).all():
            raise ConfigError("'x' must hold finite numbers only")
        return Rows(torch.from_numpy(x.copy()), None, None)
    if indices is None:
        indices = dataset.test_idx[:DEFAULT_ROWS].numpy()
    indices = np.asarray(indices)
    if indices.ndim != 1:
        raise ConfigError(f"'indices' must have shape [n] (data-set rows), got {list(indices.shape)}")
    _check_count(len(indices), "indices")
    if indices.min() < 0 or indices.max() >= dataset.n:
        raise ConfigError(f"'indices' must be data-set rows from 0 to {dataset.n - 1}")
    idx = torch.from_numpy(indices.astype(np.int64))
    labels = None if dataset.labels is None else dataset.labels[idx]
    return Rows(dataset.x[idx], idx.numpy(), labels)


def from_args(dataset: Dataset, args: dict) -> Rows:
    """`select` with the request's optional `indices` (i32 [n]) or `x` (f32 [n, D]) wire arrays."""
    indices = from_array(args["indices"], "indices", "i32") if args.get("indices") is not None else None
    x = from_array(args["x"], "x", "f32") if args.get("x") is not None else None
    return select(dataset, indices, x)


def _check_count(n: int, field: str) -> None:
    if n == 0:
        raise ConfigError(f"'{field}' must have at least one row")
    if n > MAX_ITEMS:
        raise TooLarge(f"'{field}' has {n} rows; at most {MAX_ITEMS} per request")


def model_labels(model: BaseVAE, labels: torch.Tensor | None, n: int) -> torch.Tensor | None:
    """What a model's encoder/decoder take as `y`: None for unconditional models; a conditional one
    gets the rows' labels, or class 0 for rows without one (given as `x`)."""
    if not model.conditional:
        return None
    return labels if labels is not None else torch.zeros(n, dtype=torch.long)


@torch.no_grad()
def encode(model: BaseVAE, rows: Rows) -> tuple[np.ndarray, np.ndarray]:
    """mu, logvar of q(z|x) for the rows, each (n, Z) float32, in batches of BATCH."""
    y = model_labels(model, rows.labels, len(rows))
    parts = [model.encode(rows.x[s: s + BATCH], None if y is None else y[s: s + BATCH])
             for s in range(0, len(rows), BATCH)]
    return (torch.cat([p[0] for p in parts]).numpy(), torch.cat([p[1] for p in parts]).numpy())


@torch.no_grad()
def decoder_mean(model: BaseVAE, dataset: Dataset, z: np.ndarray, labels: torch.Tensor | None = None) -> np.ndarray:
    """(n, Z) -> (n, D) float32 mean of p(x|z) as the data set holds values: images clipped to
    [0, 1] (as decode shows them), vector data unclipped (as decode's `values`)."""
    zt = torch.from_numpy(np.asarray(z, dtype=np.float32))
    y = model_labels(model, labels, len(zt))
    out = []
    for s in range(0, len(zt), BATCH):
        logits = model.decode_logits(zt[s: s + BATCH], None if y is None else y[s: s + BATCH])
        mean = torch.sigmoid(logits) if model.spec.likelihood == "bernoulli" else logits
        out.append(mean.clamp(0.0, 1.0) if dataset.image_shape else mean)
    return torch.cat(out).numpy().astype(np.float32, copy=False)


def output(dataset: Dataset, x: np.ndarray) -> np.ndarray:
    """(n, D) values -> what data.get/decode send: images u8 (n, h, w(, c)) 0–255, or values f32 (n, D)."""
    x = np.asarray(x, dtype=np.float32)
    if not dataset.image_shape:
        return x
    return (x.clip(0, 1) * 255.0).round().astype(np.uint8).reshape(len(x), *dataset.image_shape)


def output_array(dataset: Dataset, x: np.ndarray) -> dict:
    """`output` as a wire array (u8 for images, f32 for vector data)."""
    return array(output(dataset, x), "u8" if dataset.image_shape else "f32")


def peak(dataset: Dataset) -> float:
    """The PSNR peak: 1 for images (values in [0, 1]); for vector data the value range
    (max - min) over the training split."""
    if dataset.image_shape:
        return 1.0
    train = dataset.x[dataset.train_idx]
    return float(train.max() - train.min()) or 1.0


def psnr(clean: np.ndarray, other: np.ndarray, peak_value: float = 1.0) -> np.ndarray:
    """Per-row PSNR in dB, 10·log10(peak² / MSE): (n, D), (n, D) -> (n,) float32. A perfect row
    (MSE 0) is capped at the PSNR of an MSE of 1e-10 (100 dB for peak 1), so figures stay finite."""
    mse = np.mean((np.asarray(clean, np.float64) - np.asarray(other, np.float64)) ** 2, axis=1)
    return (10.0 * np.log10(peak_value ** 2 / np.maximum(mse, 1e-10))).astype(np.float32)
