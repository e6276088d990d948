"""Compression: each row's latent mean, quantised to `bits` per dimension and bit-packed.

The codec (protocol/README.md §5.4): the header is lo, hi (Z,) float32, the per-dimension range of
mu over the training split (sent once, not counted per row). Each value is quantised uniformly
over [lo, hi] to L = 2^bits levels, q = round((mu - lo) / (hi - lo) * (L - 1)) clipped to
[0, L - 1], and decoded as lo + q / (L - 1) * (hi - lo). A row's Z codes are written as `bits` bits
each, most significant bit first, and the row is padded with zero bits to whole bytes:
bytes_per_row = ceil(Z * bits / 8). The reconstruction is the decoder's mean at the decoded z.
This is the rate of a fixed-length code; an entropy coder would need fewer bits (Ballé et al. 2017).
"""

from __future__ import annotations

import math

import numpy as np

from vaestudio.datasets import Dataset
from vaestudio.errors import ConfigError
from vaestudio.models import BaseVAE
from vaestudio.usecases import rows as rowsel
from vaestudio.usecases.rows import Rows

MIN_BITS, MAX_BITS = 1, 16


def check_bits(bits: int) -> int:
    if isinstance(bits, bool) or not isinstance(bits, int) or not MIN_BITS <= bits <= MAX_BITS:
        raise ConfigError(f"'bits' must be an integer from {MIN_BITS} to {MAX_BITS} (bits per latent "
                          f"dimension), got {bits!r}")
    return bits


def latent_range(model: BaseVAE, dataset: Dataset) -> tuple[np.ndarray, np.ndarray]:
    """lo, hi (Z,) float32: the range of mu over the training split (the codec's header)."""
    train = Rows(dataset.x[dataset.train_idx], dataset.train_idx.numpy(),
                 None if dataset.labels is None else dataset.labels[dataset.train_idx])
    mu, _ = rowsel.encode(model, train)  # (N_train, Z)
    return mu.min(0).astype(np.float32), mu.max(0).astype(np.float32)


def quantise(mu: np.ndarray, lo: np.ndarray, hi: np.ndarray, bits: int) -> np.ndarray:
    """(n, Z) float -> (n, Z) int64 levels 0 .. 2^bits - 1."""
    top = 2**bits - 1
    width = np.where(hi > lo, hi - lo, 1.0)
    return np.clip(np.round((mu - lo) / width * top), 0, top).astype(np.int64)


def dequantise(q: np.ndarray, lo: np.ndarray, hi: np.ndarray, bits: int) -> np.ndarray:
    """(n, Z) levels -> (n, Z) float32 values in [lo, hi]."""
    return (lo + q / (2**bits - 1) * (hi - lo)).astype(np.float32)


def bytes_per_row(latent_dim: int, bits: int) -> int:
    return math.ceil(latent_dim * bits / 8)


def pack(q: np.ndarray, bits: int) -> bytes:
    """(n, Z) levels -> n * bytes_per_row bytes: each level as `bits` bits MSB first, rows padded."""
    n, z = q.shape
    shifts = np.arange(bits - 1, -1, -1)  # MSB first
    bitmap = ((q[..., None] >> shifts) & 1).astype(np.uint8).reshape(n, z * bits)  # (n, Z * bits)
    padded = np.zeros((n, bytes_per_row(z, bits) * 8), dtype=np.uint8)
    padded[:, : z * bits] = bitmap
    return np.packbits(padded, axis=1).tobytes()


def unpack(codes: bytes, n: int, latent_dim: int, bits: int) -> np.ndarray:
    """The inverse of pack: n * bytes_per_row bytes -> (n, Z) int64 levels."""
    per_row = np.frombuffer(codes, dtype=np.uint8).reshape(n, bytes_per_row(latent_dim, bits))
    bitmap = np.unpackbits(per_row, axis=1)[:, : latent_dim * bits].reshape(n, latent_dim, bits)
    return (bitmap.astype(np.int64) << np.arange(bits - 1, -1, -1)).sum(axis=2)


def raw_bytes_per_row(dataset: Dataset) -> int:
    """What a row costs uncompressed: u8 image bytes h*w*c, or 4 bytes per float of vector data."""
    return dataset.input_dim if dataset.image_shape else 4 * dataset.input_dim


def compress(model: BaseVAE, dataset: Dataset, rows: Rows, bits: int = 8,
             header: tuple[np.ndarray, np.ndarray] | None = None) -> dict:
    """codes (bytes), bytes_per_row, raw_bytes_per_row, lo, hi (Z,) f32, reconstructions (n, D) f32,
    psnr (n,) f32 dB against the rows, psnr_mean. `header`: latent_range(model, dataset) when the
    caller has it already (it encodes the whole training split)."""
    bits = check_bits(bits)
    lo, hi = header if header is not None else latent_range(model, dataset)
    mu, _ = rowsel.encode(model, rows)  # (n, Z)
    codes = pack(quantise(mu, lo, hi, bits), bits)
    z = dequantise(unpack(codes, len(rows), mu.shape[1], bits), lo, hi, bits)  # what a receiver decodes
    recon = rowsel.decoder_mean(model, dataset, z, rows.labels)  # (n, D)
    psnr = rowsel.psnr(rows.x.numpy(), recon, rowsel.peak(dataset))
    return {"codes": codes, "bytes_per_row": bytes_per_row(mu.shape[1], bits),
            "raw_bytes_per_row": raw_bytes_per_row(dataset), "lo": lo, "hi": hi,
            "reconstructions": recon, "psnr": psnr, "psnr_mean": float(psnr.mean())}
