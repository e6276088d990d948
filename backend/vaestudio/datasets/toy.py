"""Toy manifolds from scikit-learn's generators: low-dimensional, real-valued, Gaussian likelihood.

Small enough to watch a 2-D latent space fold and unfold them. Columns are standardised (zero mean,
unit variance over all rows) unless `standardize=False`, so one decoder variance suits every set.
"""

from __future__ import annotations

import numpy as np
import torch

from vaestudio.datasets.base import Dataset, make_dataset
from vaestudio.datasets.options import TEST_FRACTION, check_option, seed_option
from vaestudio.setting import flag, integer, number

TOY_DESCRIPTIONS = {
    "moons": "two interleaving half circles in 2-D (scikit-learn make_moons), labels = moon",
    "circles": "a small circle inside a large one in 2-D (scikit-learn make_circles), labels = circle",
    "swiss_roll": "a 2-D sheet rolled up in 3-D (scikit-learn make_swiss_roll), factors t and height",
}
TOY_FACTORS = {"moons": [], "circles": [], "swiss_roll": ["t", "height"]}
_COMMON = {
    "n": integer(2, 1_000_000, "Number of points drawn."),
    "noise": number(0.0, 10.0, "Standard deviation of the Gaussian noise added to every coordinate."),
    "seed": seed_option("the points' noise and of the train/test split"),
    "test_fraction": TEST_FRACTION,
    "standardize": flag("Scale every column to zero mean and unit variance."),
}
TOY_OPTIONS = {
    "moons": _COMMON,
    "circles": {**_COMMON, "factor": number(0.0, 1.0, "Radius of the inner circle as a fraction of the outer one.",
                                            exclusive=True)},
    "swiss_roll": {**_COMMON, "dim": integer(2, 3, "Dimensions of the points: 3 for the rolled sheet, 2 for "
                                                   "the spiral seen end on (height dropped).")},
}


def _common(n, noise, seed, test_fraction, standardize):
    return tuple(check_option(_COMMON, name, value) for name, value in
                 (("n", n), ("noise", noise), ("seed", seed), ("test_fraction", test_fraction),
                  ("standardize", standardize)))


def _finish(name: str, x: np.ndarray, labels, source: dict, **extra) -> Dataset:
    x = x.astype(np.float32)  # (N, D)
    if source["standardize"]:
        x = (x - x.mean(0)) / np.maximum(x.std(0), 1e-8)
    return make_dataset(name, x, labels, (), "gaussian", source=source, description=TOY_DESCRIPTIONS[name],
                        test_fraction=source["test_fraction"], seed=source["seed"], **extra)


def load_moons(*, n: int = 2000, noise: float = 0.1, seed: int = 0, test_fraction: float = 0.1,
               standardize: bool = True) -> Dataset:
    """(n, 2) points on two half circles plus Gaussian noise of std `noise`; labels 0/1."""
    from sklearn.datasets import make_moons

    n, noise, seed, test_fraction, standardize = _common(n, noise, seed, test_fraction, standardize)
    x, y = make_moons(n_samples=n, noise=noise, random_state=seed)
    source = {"name": "moons", "n": n, "noise": noise, "seed": seed, "test_fraction": test_fraction,
              "standardize": standardize}
    return _finish("moons", x, y, source, num_classes=2, class_names=["upper", "lower"])


def load_circles(*, n: int = 2000, noise: float = 0.05, factor: float = 0.5, seed: int = 0,
                 test_fraction: float = 0.1, standardize: bool = True) -> Dataset:
    """(n, 2) points on two concentric circles, inner radius `factor` times the outer; labels 0/1."""
    from sklearn.datasets import make_circles

    n, noise, seed, test_fraction, standardize = _common(n, noise, seed, test_fraction, standardize)
    factor = check_option(TOY_OPTIONS["circles"], "factor", factor)
    x, y = make_circles(n_samples=n, noise=noise, factor=factor, random_state=seed)
    source = {"name": "circles", "n": n, "noise": noise, "factor": factor, "seed": seed,
              "test_fraction": test_fraction, "standardize": standardize}
    return _finish("circles", x, y, source, num_classes=2, class_names=["outer", "inner"])


def load_swiss_roll(*, n: int = 2000, noise: float = 0.0, dim: int = 3, seed: int = 0, test_fraction: float = 0.1,
                    standardize: bool = True) -> Dataset:
    """(n, 3) points on a rolled sheet, or with dim=2 the (n, 2) spiral seen end on (height dropped).

    Unlabelled; factors are the sheet's own coordinates: "t" (angle along the roll, float) and
    "height" (across it, float), so a latent space can be checked for having unrolled it.
    """
    from sklearn.datasets import make_swiss_roll

    n, noise, seed, test_fraction, standardize = _common(n, noise, seed, test_fraction, standardize)
    dim = check_option(TOY_OPTIONS["swiss_roll"], "dim", dim)
    x, t = make_swiss_roll(n_samples=n, noise=noise, random_state=seed)  # x (n, 3): t cos t, height, t sin t
    height = x[:, 1].copy()  # (n,) as observed: sklearn adds its noise to this column too
    if dim == 2:
        x = x[:, [0, 2]]
    source = {"name": "swiss_roll", "n": n, "noise": noise, "dim": dim, "seed": seed,
              "test_fraction": test_fraction, "standardize": standardize}
    factors = {"t": torch.from_numpy(t.astype(np.float32)), "height": torch.from_numpy(height.astype(np.float32))}
    return _finish("swiss_roll", x, None, source, factors=factors)
