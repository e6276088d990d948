"""A folder of images (Pillow): either images directly inside (unlabelled) or one subfolder per class.

Class ids follow the subfolder names sorted, as torchvision's ImageFolder does. If any image is in
colour, every image becomes RGB; otherwise all are grey. All images must share one size unless
`resize` is given, in which case each is resampled to it (area average when shrinking). Pixels stay
on the 0..255 scale (16-bit images included), so the loader's `normalize` treats them like arrays.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from vaestudio.datasets.base import DataError
from vaestudio.datasets.transforms import resize_images

log = logging.getLogger(__name__)

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp")
GREY_MODES = {"1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"}
WIDE_MODES = {"I", "I;16", "I;16B", "I;16L", "I;16N", "F"}  # more than 8 bits: scaled by hand, not clipped


def _images_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in IMAGE_EXTENSIONS)


def _pixels(img, colour: bool) -> np.ndarray:
    """(h, w, c) uint8 0..255; 16-bit and float grey images come as float32 on the same 0..255 scale."""
    if not colour and img.mode in WIDE_MODES:
        a = np.asarray(img, dtype=np.float32)
        top = 1.0 if img.mode == "F" else 65535.0  # "F" images are taken to hold values in [0, 1]
        return np.clip(a * (255.0 / top), 0.0, 255.0)[..., None]
    a = np.asarray(img.convert("RGB" if colour else "L"))
    return a if colour else a[..., None]


def read_image_folder(folder: Path, shown: str, *, resize: tuple[int, int] | None
                      ) -> tuple[np.ndarray, np.ndarray | None, list[str] | None]:
    """(images (N, h, w, c) uint8 or float32, labels (N,) int64 or None, class names or None)."""
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError:
        raise DataError(f"reading the image folder {shown} needs the Pillow package; install it with "
                        "`pip install pillow`, or save the images as a .npz array.") from None

    ext_list = ", ".join(IMAGE_EXTENSIONS)
    class_dirs = [d for d in sorted(folder.iterdir()) if d.is_dir() and not d.name.startswith(".") and _images_in(d)]
    top = _images_in(folder)
    if class_dirs and top:
        raise DataError(f"{shown} mixes images at its top level ({top[0].name}) with class subfolders "
                        f"({class_dirs[0].name}/); put every image in a class subfolder, or none.")
    if class_dirs:
        files = [(f, k) for k, d in enumerate(class_dirs) for f in _images_in(d)]
    elif top:
        files = [(f, -1) for f in top]
    else:
        raise DataError(f"{shown} holds no images ({ext_list}), neither directly nor in class subfolders.")

    broken = (OSError, UnidentifiedImageError, Image.DecompressionBombError, SyntaxError, ValueError)

    def unreadable(f: Path, e: Exception) -> DataError:
        return DataError(f"image {f.relative_to(folder)} in {shown} cannot be read ({e}).")

    # First pass: headers only (Pillow reads pixels lazily), to decide the mode and check the sizes.
    modes, sizes = [], []
    for f, _ in files:
        try:
            with Image.open(f) as img:
                modes.append(img.mode)
                sizes.append(img.size[::-1])  # (h, w); Pillow says (w, h)
        except broken as e:
            raise unreadable(f, e) from None
    if resize is None and len(set(sizes)) > 1:
        i = next(i for i, s in enumerate(sizes) if s != sizes[0])
        (h0, w0), (h1, w1) = sizes[0], sizes[i]
        raise DataError(f"images in {shown} differ in size: {files[0][0].relative_to(folder)} is {h0}x{w0} "
                        f"(height x width) but {files[i][0].relative_to(folder)} is {h1}x{w1}; make them all one "
                        "size or pass resize=[height, width].")
    colour = any(m not in GREY_MODES for m in modes)

    out = []
    for f, _ in files:
        try:
            with Image.open(f) as img:
                a = _pixels(img, colour)  # (h, w, c)
        except broken as e:
            raise unreadable(f, e) from None
        if resize is not None and a.shape[:2] != resize:
            a = resize_images(a[None].astype(np.float32), resize)[0]
        out.append(a)
    x = np.stack(out)  # uint8, or float32 (still on the 0..255 scale) when any image was wide or resized
    labels = np.array([k for _, k in files], dtype=np.int64) if class_dirs else None
    log.info("read %d images %s from %s", len(x), list(x.shape[1:]), shown)
    return x, labels, [d.name for d in class_dirs] if class_dirs else None
