"""Turning whatever a file calls labels into class ids 0..K-1, or a clear refusal."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vaestudio.datasets.arrays import read_npy
from vaestudio.datasets.base import DataError
from vaestudio.datasets.idx import read_idx

MAX_CLASS_ID = 65_535  # larger "labels" are almost surely not class ids (e.g. a data column by mistake)
LABEL_FILES = "an IDX file (optionally .gz) or a .npy array, one integer per row"


def to_label_ids(raw: np.ndarray, n: int, shown: str) -> tuple[np.ndarray, list[str] | None]:
    """(N,) int64 ids and the class names when the labels were text (sorted, id = position).

    Integer labels (or floats holding whole numbers) are kept as they are: id k is class k."""
    raw = np.asarray(raw)
    if raw.ndim == 2 and raw.shape[1] == 1:
        raw = raw[:, 0]
    if raw.ndim != 1:
        raise DataError(f"{shown}: labels have shape {list(raw.shape)}; one label per row is accepted, shape [n].")
    if len(raw) != n:
        raise DataError(f"{shown}: there are {len(raw)} labels for {n} data rows; give exactly one label per row.")
    if raw.dtype.kind in "US":  # text labels, e.g. a CSV class column: names sorted, ids by position
        names, ids = np.unique(raw.astype(str), return_inverse=True)
        return ids.astype(np.int64), [str(s) for s in names]
    if raw.dtype.kind == "b":
        return raw.astype(np.int64), None
    if raw.dtype.kind == "f":
        bad = ~np.isfinite(raw) | (raw != np.round(raw))
        if bad.any():
            i = int(np.argmax(bad))
            raise DataError(f"{shown}: labels must be integers, but the label of row {i} is {raw[i]!r}.")
    elif raw.dtype.kind not in "iu":
        raise DataError(f"{shown}: labels must be integers, not {raw.dtype} values.")
    if n and (raw.min() < 0 or raw.max() > MAX_CLASS_ID):
        i = int(np.argmax((raw < 0) | (raw > MAX_CLASS_ID)))
        raise DataError(f"{shown}: labels must be class ids from 0 to {MAX_CLASS_ID}, but the label of row {i} "
                        f"is {raw[i]!r}.")
    return raw.astype(np.int64), None


def read_labels_file(path: Path, shown: str) -> np.ndarray:
    """The raw labels array of a `labels_path` file: IDX (plain or .gz) or .npy. `shown` names it in
    errors (and the data file it belongs to)."""
    name = path.name.lower().removesuffix(".gz")
    if name.endswith(".npy"):
        return read_npy(path, shown)
    if name.endswith((".idx", "ubyte")) or ".idx" in name or "-idx" in name:
        return read_idx(path, shown)
    raise DataError(f"{shown} has an unsupported name; accepted for labels: {LABEL_FILES}.")
