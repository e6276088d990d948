"""The in-memory data set record every loader returns, the error every loader raises, and the split.

A `Dataset` is a whole data set in memory, flattened to rows: `x` (N, D) float32. Image rows are
stored in C order (h, w, c), values in [0, 1]; `image_shape` says how to fold a row back into an
image. `source` records how the set was made (loader name + every option, JSON-able), so that
`load_dataset(**dataset.source)` rebuilds the same rows and the same split.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from vaestudio.errors import UserError

LIKELIHOODS = ("bernoulli", "gaussian")


class DataError(UserError):
    """A data set could not be made. The message is a sentence for the user: it names the file (when
    there is one) and the problem, and says what is accepted."""


@dataclass
class Dataset:
    """A whole data set in memory, flattened: x (N, D) float32, values in [0, 1] for images."""

    name: str
    x: torch.Tensor  # (N, D) float32; images flattened in C order (h, w, c)
    labels: torch.Tensor | None  # (N,) int64 class ids 0..num_classes-1, or None when unlabelled
    image_shape: tuple[int, ...]  # (h, w) grey, (h, w, c) colour, () for plain vectors
    likelihood: str  # "bernoulli" (values in [0, 1]) or "gaussian" (real values)
    train_idx: torch.Tensor  # (N_train,) int64 rows used for training, sorted
    test_idx: torch.Tensor  # (N_test,) int64 held-out rows, sorted
    description: str = ""
    factors: dict[str, torch.Tensor] | None = None  # ground-truth generative factors, each (N,)
    num_classes: int = 0  # 0 when unlabelled; filled in from the labels when left 0
    source: dict = field(default_factory=dict)  # {"name": loader, **options}: JSON-able, reloadable
    class_names: list[str] | None = None  # names of the label ids (folders, CSV text labels)
    factor_values: dict[str, list] | None = None  # what each integer factor id means, e.g. scales

    def __post_init__(self):
        # Internal invariants only: loaders check user data and raise DataError before this.
        assert self.x.ndim == 2 and self.x.dtype == torch.float32, (self.x.shape, self.x.dtype)
        assert self.likelihood in LIKELIHOODS, self.likelihood
        if self.labels is not None:
            assert self.labels.shape == (self.n,) and self.labels.dtype == torch.int64
            if self.num_classes == 0 and self.n:
                self.num_classes = int(self.labels.max()) + 1
        if self.image_shape:
            assert int(np.prod(self.image_shape)) == self.input_dim, (self.image_shape, self.input_dim)

    @property
    def n(self) -> int:
        return int(self.x.shape[0])

    @property
    def input_dim(self) -> int:
        return int(self.x.shape[1])

    @property
    def channels(self) -> int:
        """1 for grey images, c for (h, w, c) images, 0 for plain vectors (not an image)."""
        if len(self.image_shape) == 3:
            return int(self.image_shape[2])
        return 1 if len(self.image_shape) == 2 else 0

    def describe(self) -> dict:
        """What a client shows of the data set: its size and shape, and its classes for a legend
        (`class_names` is None when the labels are plain ids), and `source`, the options that built
        it (a file's path as the user wrote it, never the server's folder), so a settings form can
        show how the live data was made."""
        return {"name": self.name, "n": self.n, "shape": list(self.image_shape or (self.input_dim,)),
                "num_classes": self.num_classes, "class_names": self.class_names, "source": dict(self.source)}


def split_indices(n: int, test_fraction: float = 0.1, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Deterministic train/test split: a fixed-seed permutation, the last `test_fraction` held out.

    Same arithmetic as vaestudio.data.split_indices, so a data set split here equals the old one.
    """
    perm = torch.from_numpy(np.random.default_rng(seed).permutation(n))
    n_test = max(1, int(round(n * test_fraction)))
    return perm[:-n_test].sort().values, perm[-n_test:].sort().values


def make_dataset(name: str, x: np.ndarray | torch.Tensor, labels: np.ndarray | torch.Tensor | None,
                 image_shape: tuple[int, ...], likelihood: str, *, source: dict, description: str = "",
                 test_fraction: float = 0.1, seed: int = 0, **extra) -> Dataset:
    """Wrap checked arrays into a Dataset with its split; `extra` are the optional Dataset fields."""
    x = torch.as_tensor(np.ascontiguousarray(x) if isinstance(x, np.ndarray) else x, dtype=torch.float32)
    if labels is not None:
        labels = torch.as_tensor(labels, dtype=torch.int64)
    n_test = max(1, int(round(len(x) * test_fraction)))
    if len(x) - n_test < 1:
        raise DataError(f"{name} has {len(x)} rows, too few to hold out a test fraction of {test_fraction} "
                        f"and still train; give at least 2 rows or a smaller test_fraction.")
    train_idx, test_idx = split_indices(len(x), test_fraction, seed)
    return Dataset(name, x, labels, tuple(int(s) for s in image_shape), likelihood, train_idx, test_idx,
                   description=description, source=source, **extra)


def exclude_from_training(dataset: Dataset, labels: list[int]) -> Dataset:
    """The data set with the rows of `labels` taken out of its training split only (the test split
    keeps them): "train without the 0s, then find the 0s" for anomaly detection. Raises DataError
    when the data set is unlabelled, a label is not one of its classes, or no training row is left."""
    if not labels:
        return dataset
    if dataset.labels is None:
        raise DataError(f"option 'exclude_labels' needs a labelled data set; {dataset.name} has no labels.")
    unknown = [k for k in labels if not 0 <= k < dataset.num_classes]
    if unknown:
        raise DataError(f"option 'exclude_labels' must hold class ids of {dataset.name}, from 0 to "
                        f"{dataset.num_classes - 1}; got {unknown}.")
    keep = ~torch.isin(dataset.labels[dataset.train_idx], torch.tensor(labels, dtype=torch.int64))
    if not bool(keep.any()):
        raise DataError(f"option 'exclude_labels' {labels} leaves no training rows in {dataset.name}; "
                        "leave at least one class in.")
    dataset.train_idx = dataset.train_idx[keep]
    return dataset
