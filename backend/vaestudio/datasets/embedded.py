"""scikit-learn's bundled 8x8 handwritten digits: the default data set, no network needed."""

from __future__ import annotations

import gzip
import importlib.util
from pathlib import Path

import numpy as np

from vaestudio.datasets.base import Dataset, make_dataset
from vaestudio.datasets.options import BINARIZE, SEED, TEST_FRACTION, check_option

DIGITS_DESCRIPTION = "scikit-learn's bundled 8x8 handwritten digits: 1797 grey images, labels 0-9"
DIGITS_OPTIONS = {"test_fraction": TEST_FRACTION, "seed": SEED, "binarize": BINARIZE}


def load_digits(*, test_fraction: float = 0.1, seed: int = 0, binarize: float | None = None) -> Dataset:
    """1797 images (8, 8), grey levels 0..16 scaled to [0, 1], labels 0..9, Bernoulli likelihood.

    With the defaults, rows and split equal vaestudio.data.load_digits exactly (runs stay comparable).
    `seed` only moves the split; `binarize` (a threshold in [0, 1]) turns pixels into 0/1.
    """
    test_fraction = check_option(DIGITS_OPTIONS, "test_fraction", test_fraction)
    seed = check_option(DIGITS_OPTIONS, "seed", seed)
    binarize = check_option(DIGITS_OPTIONS, "binarize", binarize)
    pixels, labels = digits_rows()
    x = pixels.astype(np.float32) / 16.0  # (1797, 64) in [0, 1]
    if binarize is not None:
        x = (x > binarize).astype(np.float32)
    source = {"name": "digits", "test_fraction": test_fraction, "seed": seed, "binarize": binarize}
    return make_dataset("digits", x, labels, (8, 8), "bernoulli", source=source,
                        description=DIGITS_DESCRIPTION, test_fraction=test_fraction, seed=seed,
                        num_classes=10, class_names=[str(d) for d in range(10)])


def digits_rows() -> tuple[np.ndarray, np.ndarray]:
    """(1797, 64) float64 grey levels 0..16 and (1797,) int64 labels, exactly as scikit-learn's
    load_digits returns them. The file ships inside scikit-learn and is read from there without
    importing scikit-learn itself, which would add ~0.7 s to the default `vaestudio serve`'s start-up.
    Should a scikit-learn release move the file, load_digits reads it."""
    spec = importlib.util.find_spec("sklearn")  # finds the package without running it
    folders = spec.submodule_search_locations if spec is not None else None
    csv = Path(folders[0]) / "datasets" / "data" / "digits.csv.gz" if folders else None
    if csv is None or not csv.is_file():
        from sklearn.datasets import load_digits as sk_load_digits

        bunch = sk_load_digits()
        return bunch.data, bunch.target.astype(np.int64)
    with gzip.open(csv, "rt", encoding="utf-8") as rows:
        table = np.loadtxt(rows, delimiter=",")  # (1797, 65): 64 pixels, then the label
    return table[:, :-1], table[:, -1].astype(np.int64)
