"""scikit-learn's bundled 8x8 handwritten digits: the default data set, no network needed."""

from __future__ import annotations

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
    from sklearn.datasets import load_digits as sk_load_digits

    test_fraction = check_option(DIGITS_OPTIONS, "test_fraction", test_fraction)
    seed = check_option(DIGITS_OPTIONS, "seed", seed)
    binarize = check_option(DIGITS_OPTIONS, "binarize", binarize)
    bunch = sk_load_digits()
    x = bunch.data.astype(np.float32) / 16.0  # (1797, 64) in [0, 1]
    if binarize is not None:
        x = (x > binarize).astype(np.float32)
    source = {"name": "digits", "test_fraction": test_fraction, "seed": seed, "binarize": binarize}
    return make_dataset("digits", x, bunch.target.astype(np.int64), (8, 8), "bernoulli", source=source,
                        description=DIGITS_DESCRIPTION, test_fraction=test_fraction, seed=seed,
                        num_classes=10, class_names=[str(d) for d in range(10)])
