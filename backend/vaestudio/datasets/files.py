"""The `file` data set: a user's own data from .npz/.npy, IDX (.gz too), CSV/TSV or a folder of images.

Steps, each explicit and recorded in `Dataset.source`: read -> labels -> shape (inferred or given)
-> channels -> resize -> size check -> normalize -> binarize -> likelihood -> split.

Shape inference, when `image_shape` is not given: (N, h, w) is grey images; (N, h, w, c) with c in
{1, 3, 4} is images (alpha dropped), and (N, c, h, w) with c in {1, 3} is transposed to that; (N, D)
with D = s*s and 8 <= s <= 64 is s x s grey images; anything else 2-D or 1-D is plain vectors.
Image sides must be 8..64 pixels: larger images are refused with a hint, or resampled when the
`resize` option asks for it. Paths are read as given, or, when the server has checked them with
`resolve_file_options` (only files under its --data-dir folders are ever opened), as a `DataPath`:
opened at its real path, named as the client gave it. A file (a folder: its images together) larger
than the process's --max-data-bytes is refused before it is read.
"""

from __future__ import annotations

import logging
import math
import re
from pathlib import Path

import numpy as np

from vaestudio.datasets.arrays import read_npy, read_npz
from vaestudio.datasets.base import DataError, Dataset, make_dataset
from vaestudio.datasets.idx import read_idx
from vaestudio.datasets.images import IMAGE_EXTENSIONS, read_image_folder
from vaestudio.datasets.labels import read_labels_file, to_label_ids
from vaestudio.datasets.options import BINARIZE, SEED, TEST_FRACTION, check_option
from vaestudio.datasets.paths import DataPath, check_data_size
from vaestudio.datasets.tables import read_csv
from vaestudio.datasets.transforms import NORMALIZE_MODES, convert_channels, normalize_values, resize_images
from vaestudio.setting import Setting, choice, int_list

log = logging.getLogger(__name__)

MIN_SIDE, MAX_SIDE = 8, 64
ACCEPTED = (".npz, .npy, IDX (names ending in ubyte or .idx, e.g. train-images-idx3-ubyte), .csv/.tsv "
            f"(IDX and CSV may be .gz), or a folder of images ({', '.join(IMAGE_EXTENSIONS)})")
FILE_DESCRIPTION = "your own data: " + ACCEPTED
DELIMITERS = (",", ";", "\t", " ", "|")
# What load_file's options accept, checked below with check_option and listed by data.list.
FILE_OPTIONS: dict[str, Setting] = {
    "path": Setting("path", "Your data file or folder of images, named as data.browse lists it (inside the "
                            "server's --data-dir folders).", required=True),
    "labels_path": Setting("path", "A file of labels for the rows (IDX or .npy, one integer per row), replacing "
                                   "any the data holds; empty: the data's own labels, if any.", nullable=True),
    "normalize": choice(NORMALIZE_MODES, "How values are scaled: auto (images to [0, 1], other columns "
                                         "standardised), none, minmax (to [0, 1]), 255 (divided by 255) or "
                                         "standardize (zero mean, unit variance)."),
    "binarize": BINARIZE,
    "test_fraction": TEST_FRACTION,
    "seed": SEED,
    "channels": choice((1, 3), "Convert images to 1 channel (grey, BT.601 luma) or 3 (grey copied to RGB); empty "
                               "keeps theirs.", nullable=True),
    "resize": Setting("size", "Resample images to this side, or [height, width] (an area average to shrink); "
                              "empty keeps their size.", min=MIN_SIDE, max=MAX_SIDE, unit="pixels", nullable=True),
    "image_shape": int_list(1, 1 << 24, "How to fold each row: [] for plain vectors, [h, w] or [h, w, c] for "
                                        "images; empty infers it from the data.", items=(0, 3), nullable=True),
    "likelihood": choice(("auto", "bernoulli", "gaussian"), "The decoder's likelihood: auto (bernoulli when every "
                                                            "value ends up in [0, 1], else gaussian) or either one."),
    "label_column": Setting("string", "CSV only: the labels column, by header name or by index (an integer, "
                                      "negative from the end); empty: no labels.", nullable=True),
    "header": choice(("auto", True, False), "CSV only: whether the first row names the columns; auto: when one of "
                                            "its data cells is not a number."),
    "delimiter": choice(DELIMITERS, "CSV only: the cell delimiter; empty picks the most frequent of , ; and tab "
                                    "on the first line.", nullable=True),
}


def file_kind(p: Path, shown: str) -> str:
    """"folder", "npz", "npy", "idx" or "csv", from the path; DataError when none fits."""
    if p.is_dir():
        return "folder"
    if not p.is_file():
        raise DataError(f"{shown} does not exist (or is not a regular file or folder).")
    name = p.name.lower()
    gz = name.endswith(".gz")
    inner = name.removesuffix(".gz")
    if not gz and inner.endswith(".npz"):
        return "npz"
    if not gz and inner.endswith(".npy"):
        return "npy"
    if re.search(r"(ubyte|\.idx\d*)$", inner):
        return "idx"
    if inner.endswith((".csv", ".tsv")):
        return "csv"
    raise DataError(f"{shown} has an unsupported file type; accepted: {ACCEPTED}.")


def _as_images(x: np.ndarray, shown: str, image_shape: list[int] | None) -> tuple[np.ndarray, bool]:
    """(N, ...) -> ((N, h, w, c), True) for images or ((N, D), False) for vectors."""
    n = x.shape[0]
    if image_shape is not None:
        per_row = int(np.prod(x.shape[1:]))
        if list(image_shape) == []:
            return x.reshape(n, per_row), False
        if int(np.prod(image_shape)) != per_row:
            raise DataError(f"{shown}: image_shape {list(image_shape)} needs {int(np.prod(image_shape))} values "
                            f"per row, but rows have {per_row}.")
        h, w, *c = image_shape
        return x.reshape(n, h, w, c[0] if c else 1), True
    if x.ndim == 1:
        return x.reshape(n, 1), False
    if x.ndim == 2:
        s = math.isqrt(x.shape[1])
        if s * s == x.shape[1] and MIN_SIDE <= s <= MAX_SIDE:
            return x.reshape(n, s, s, 1), True
        return x, False
    if x.ndim == 3:
        return x[..., None], True
    if x.ndim == 4:
        if x.shape[3] in (1, 3, 4):
            if x.shape[3] == 4:
                log.info("%s: dropping the alpha channel of RGBA images", shown)
            return x[..., :3], True
        if x.shape[1] in (1, 3):
            log.info("%s: reading (N, c, h, w) images as channels-first", shown)
            return x.transpose(0, 2, 3, 1), True
    raise DataError(f"{shown}: data of shape {list(x.shape)} is not understood; accepted are (N, D) vectors, "
                    "(N, h, w) grey images and (N, h, w, c) or (N, c, h, w) images with 1 or 3 channels, "
                    "or give image_shape explicitly.")


def _where(path: str | DataPath) -> tuple[str, Path]:
    """(the name shown in messages and recorded, the path opened)."""
    if isinstance(path, DataPath):
        return path.given, path.real
    return str(path), Path(path)


def load_file(*, path: str, labels_path: str | None = None, normalize: str = "auto", binarize: float | None = None,
              test_fraction: float = 0.1, seed: int = 0, channels: int | None = None,
              resize: int | list[int] | None = None, image_shape: list[int] | None = None,
              likelihood: str = "auto", label_column: int | str | None = None, header: bool | str = "auto",
              delimiter: str | None = None) -> Dataset:
    """Load a user's file or image folder (format from the name; a folder is a folder of images).

    path, labels_path: the data, and optionally labels for it (IDX or .npy, one integer per row;
        they replace labels stored in the data file). .npz data: x / images / data (or a lone array),
        labels y / labels. Image folders: one subfolder per class, or all images at the top.
    normalize: "auto" | "none" | "minmax" | "255" | "standardize" (see transforms.normalize_values).
    binarize: None, or a threshold in [0, 1] applied after normalising: values above it become 1.
    test_fraction, seed: the held-out fraction and the seed of the split permutation.
    channels: None (keep), 1 (colour to grey, BT.601 luma) or 3 (grey copied to RGB).
    resize: None, a side s, or [h, w] (8..64): images are resampled to it (area average to shrink).
    image_shape: None (infer), [] (plain vectors), or [h, w] / [h, w, c] to fold each row.
    likelihood: "auto" (bernoulli when every value ends up in [0, 1], else gaussian) or either one.
    label_column, header, delimiter (CSV only): the label column's index (negative from the end) or
        header name; True / False / "auto" (a first row with a non-numeric data cell is a header);
        the delimiter, or None to pick the most frequent of , ; and tab on the first line.
    """
    # --- options: checked before any file is opened
    if not isinstance(path, (str, Path, DataPath)) or not str(path):
        raise DataError(f"option 'path' must name a file or folder, not {path!r}.")
    if labels_path is not None and (not isinstance(labels_path, (str, Path, DataPath)) or not str(labels_path)):
        raise DataError(f"option 'labels_path' must name a file, not {labels_path!r}.")
    def opt(name, value):
        return check_option(FILE_OPTIONS, name, value)

    mode, binarize, test_fraction, seed = (opt("normalize", normalize), opt("binarize", binarize),
                                           opt("test_fraction", test_fraction), opt("seed", seed))
    channels, size = opt("channels", channels), opt("resize", resize)
    if image_shape is not None and (not isinstance(image_shape, (list, tuple)) or len(image_shape) == 1):
        raise DataError(f"option 'image_shape' must be [] (plain vectors), [h, w] or [h, w, c], not {image_shape!r}.")
    image_shape = opt("image_shape", image_shape)
    likelihood = opt("likelihood", likelihood)
    # an index or a header name: the one option a single Setting type cannot state, so checked here
    if label_column is not None and (isinstance(label_column, bool) or not isinstance(label_column, (int, str))):
        raise DataError(f"option 'label_column' must be a column index or a header name, not {label_column!r}.")
    header = header if isinstance(header, bool) else opt("header", header)
    if delimiter is not None and delimiter not in DELIMITERS:
        raise DataError(f"option 'delimiter' must be one of ',', ';', '\\t', ' ', '|', not {delimiter!r}.")

    shown, p = _where(path)
    kind = file_kind(p, shown)
    csv_opts = {"label_column": label_column, "header": header, "delimiter": delimiter}
    if kind != "csv" and (label_column is not None or header != "auto" or delimiter is not None):
        raise DataError(f"options label_column, header and delimiter apply to CSV files only, and {shown} is "
                        f"{'a folder' if kind == 'folder' else 'a ' + kind + ' file'}.")
    check_data_size(p, shown, IMAGE_EXTENSIONS)
    labels_name, shown_labels, lp = None, None, None
    if labels_path is not None:
        labels_name, lp = _where(labels_path)
        shown_labels = f"labels file {labels_name} (for {shown})"
        if not lp.is_file():
            raise DataError(f"{shown_labels} does not exist.")
        check_data_size(lp, shown_labels, IMAGE_EXTENSIONS)

    # --- read: x (N, ...) numeric, raw labels or None
    labels, class_names = None, None
    try:
        if kind == "folder":
            x, labels, class_names = read_image_folder(p, shown, resize=size)
        elif kind == "npz":
            x, labels = read_npz(p, shown)
        elif kind == "npy":
            x = read_npy(p, shown)
        elif kind == "idx":
            x = read_idx(p, shown)
        else:
            x, labels = read_csv(p, shown, **csv_opts)
    except OSError as e:  # permissions, a file vanishing mid-read: still a sentence, never a traceback
        raise DataError(f"{shown} cannot be read ({e.strerror or e}).") from None
    if lp is not None:
        if labels is not None:
            log.info("%s: labels from %s replace the labels stored in the data file", shown, labels_name)
        try:
            labels, class_names = read_labels_file(lp, shown_labels), None
        except OSError as e:
            raise DataError(f"{shown_labels} cannot be read ({e.strerror or e}).") from None

    if x.dtype.kind not in "biuf":
        raise DataError(f"{shown} holds {x.dtype} values; only numbers (integers, floats, booleans) are accepted.")
    if x.ndim == 0 or x.shape[0] == 0 or x.size == 0:
        raise DataError(f"{shown} is empty: its data has shape {list(x.shape)}; at least 2 rows are needed.")
    n = x.shape[0]
    if n < 2:
        raise DataError(f"{shown} has only 1 row, too few: at least 2 are needed, one to train on and one to test.")
    if labels is not None:
        ids, names = to_label_ids(labels, n, shown_labels or shown)
        labels, class_names = ids, class_names or names
    x = x.astype(np.float32, copy=False)
    bad = ~np.isfinite(x.reshape(n, -1)).all(1)
    if bad.any():
        raise DataError(f"{shown} has NaN or infinite values in {int(bad.sum())} rows (the first is row "
                        f"{int(np.argmax(bad))}, counting from 0); fill or drop them before loading.")

    # --- shape: images (N, h, w, c) or vectors (N, D)
    x, is_image = _as_images(x, shown, image_shape)
    if not is_image and (channels is not None or size is not None):
        raise DataError(f"{shown} holds plain vectors of {x.shape[1]} values, so channels and resize do not apply; "
                        "give image_shape=[h, w] if the rows are images.")
    if is_image:
        if channels is not None:
            x = convert_channels(x, channels)
        if size is not None and x.shape[1:3] != size:
            x = resize_images(x, size)
        h, w, c = x.shape[1:]
        if not (MIN_SIDE <= h <= MAX_SIDE and MIN_SIDE <= w <= MAX_SIDE):
            hint = "shrink" if max(h, w) > MAX_SIDE else "enlarge"
            raise DataError(f"{shown} holds {h}x{w} (height x width) images; sides from {MIN_SIDE} to {MAX_SIDE} "
                            "pixels are supported: "
                            f"pass resize={min(max(max(h, w), MIN_SIDE), MAX_SIDE)} (or [height, width]) to {hint} "
                            "them, or image_shape=[] to treat rows as plain vectors.")
        shape = (h, w) if c == 1 else (h, w, c)
    else:
        shape = ()
    x = x.reshape(n, -1)  # (N, D), images in C order (h, w, c)

    # --- values
    if mode == "255" and (x.min() < 0 or x.max() > 255):
        raise DataError(f"{shown}: normalize='255' expects values from 0 to 255, but they range from "
                        f"{float(x.min()):g} to {float(x.max()):g}; use 'minmax' or 'standardize'.")
    x, used = normalize_values(x, mode, is_image)
    if binarize is not None:
        x = (x > binarize).astype(np.float32)
    in_unit = float(x.min()) >= 0.0 and float(x.max()) <= 1.0
    if likelihood == "bernoulli" and not in_unit:
        raise DataError(f"{shown}: the bernoulli likelihood needs values in [0, 1], but after normalize={used!r} "
                        f"they range from {float(x.min()):g} to {float(x.max()):g}; use normalize='minmax' or "
                        "likelihood='gaussian'.")
    if likelihood == "auto":
        likelihood = "bernoulli" if in_unit else "gaussian"

    source = {"name": "file", "path": shown, "labels_path": labels_name,
              "normalize": normalize, "binarize": binarize, "test_fraction": test_fraction, "seed": seed,
              "channels": channels, "resize": None if size is None else list(size),
              "image_shape": None if image_shape is None else list(image_shape),
              "likelihood": likelihood, **csv_opts}
    description = (f"{Path(shown).name}: {n} rows of {list(shape) or [x.shape[1]]}, normalize={used}, "
                   f"{likelihood} likelihood" + (f", {len(class_names or []) or int(labels.max()) + 1} classes"
                                                 if labels is not None else ""))
    log.info("loaded %s", description)
    return make_dataset("file", x, labels, shape, likelihood, source=source, description=description,
                        test_fraction=test_fraction, seed=seed, class_names=class_names)

