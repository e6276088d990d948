"""Array steps shared by the file loaders: resize, channel conversion, normalisation, binarisation."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

NORMALIZE_MODES = ("auto", "none", "minmax", "255", "standardize")
LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)  # ITU-R BT.601, as Pillow's convert("L")


def resize_images(x: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """(N, h, w, c) -> (N, H, W, c) float32. Area averaging when shrinking (no aliasing), bilinear when
    growing; both are convex blends, so the value range is kept."""
    t = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)).permute(0, 3, 1, 2)  # (N, c, h, w)
    shrink = size[0] <= x.shape[1] and size[1] <= x.shape[2]
    out = F.interpolate(t, size=size, mode="area") if shrink else F.interpolate(t, size=size, mode="bilinear",
                                                                                 align_corners=False)
    return out.permute(0, 2, 3, 1).contiguous().numpy()


def convert_channels(x: np.ndarray, channels: int) -> np.ndarray:
    """(N, h, w, c) -> (N, h, w, channels): luma for colour to grey, copies for grey to colour."""
    c = x.shape[3]
    if c == channels:
        return x
    if channels == 1:
        return (x[..., :3].astype(np.float32) @ LUMA)[..., None]
    return np.repeat(x[..., :1], 3, axis=3)


def normalize_values(x: np.ndarray, mode: str, is_image: bool) -> tuple[np.ndarray, str]:
    """(N, D) float32 -> (N, D) float32 and the mode used.

    "auto": values already in [0, 1] stay; images within 0..255 are divided by 255, other images are
    min-max scaled; non-image columns are standardised. "minmax" scales images by their global range
    and vectors column by column to [0, 1]; "standardize" gives every column zero mean and unit
    variance; "255" divides by 255; "none" keeps the values."""
    lo, hi = float(x.min()), float(x.max())
    if mode == "auto":
        if lo >= 0.0 and hi <= 1.0:
            mode = "none"
        elif is_image:
            mode = "255" if lo >= 0.0 and hi <= 255.0 else "minmax"
        else:
            mode = "standardize"
    if mode == "255":
        x = x / np.float32(255.0)
    elif mode == "minmax":
        lo_, hi_ = (np.float32(lo), np.float32(hi)) if is_image else (x.min(0), x.max(0))
        x = (x - lo_) / np.maximum(hi_ - lo_, np.float32(1e-12))  # a constant column becomes 0, not NaN
    elif mode == "standardize":
        x = (x - x.mean(0)) / np.maximum(x.std(0), np.float32(1e-8))
    return x.astype(np.float32, copy=False), mode
