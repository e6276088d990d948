"""NumPy files: `.npy` (one array) and `.npz` (data under x / images / data, labels under y / labels).

Always read with allow_pickle=False: a data file must never run code, so object arrays are refused.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from vaestudio.datasets.base import DataError

NPZ_DATA_KEYS = ("x", "images", "data")
NPZ_LABEL_KEYS = ("y", "labels")


def _get(arrays, key: str, shown: str) -> np.ndarray:
    try:
        return np.asarray(arrays[key])
    except ValueError as e:  # object arrays need pickle; also damaged members
        if "allow_pickle" in str(e):
            raise DataError(f"{shown} holds Python objects under {key!r}, which are never unpickled; "
                            "save plain numeric arrays (np.savez(path, x=..., y=...)).") from None
        raise DataError(f"{shown}: array {key!r} cannot be read ({e}).") from None
    except (OSError, EOFError, zipfile.BadZipFile) as e:
        raise DataError(f"{shown}: array {key!r} is damaged or truncated ({e}).") from None


def read_npy(path: Path, shown: str) -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False)
    except ValueError as e:
        if "allow_pickle" in str(e):
            raise DataError(f"{shown} holds Python objects, which are never unpickled; save a plain numeric "
                            "array with np.save.") from None
        raise DataError(f"{shown} is truncated or not a valid .npy file ({e}).") from None
    except (OSError, EOFError) as e:
        raise DataError(f"{shown} is truncated or not a valid .npy file ({e}).") from None


def read_npz(path: Path, shown: str) -> tuple[np.ndarray, np.ndarray | None]:
    """(data array, labels array or None). A file with a single array is taken as the data."""
    try:
        archive = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as e:
        raise DataError(f"{shown} is not a readable .npz archive ({e}).") from None
    with archive:
        keys = list(archive.files)
        data_key = next((k for k in NPZ_DATA_KEYS if k in keys), keys[0] if len(keys) == 1 else None)
        if data_key is None:
            found = ", ".join(map(repr, keys)) or "none"
            raise DataError(f"{shown} has no data array: it holds {found}; name the data "
                            f"{' or '.join(map(repr, NPZ_DATA_KEYS))} and the labels 'y' or 'labels'.")
        label_key = next((k for k in NPZ_LABEL_KEYS if k in keys), None)
        return _get(archive, data_key, shown), _get(archive, label_key, shown) if label_key else None
