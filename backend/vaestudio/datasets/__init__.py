"""Data sets for VAE Studio, all without a network: embedded sets made in code and the user's files.

    from vaestudio.datasets import load_dataset, list_datasets
    ds = load_dataset("shapes", n=2000, seed=1)   # Dataset: x (N, D) float32, labels, factors, split
    same = load_dataset(**ds.source)              # the record of how it was made rebuilds it

Names: digits, shapes, moons, circles, swiss_roll, file. Errors are DataError (a ValueError) whose
message is a sentence for the user. A server must pass file paths through resolve_data_path (or
resolve_file_options) before load_dataset("file", ...), so only --data-dir folders are read and
messages name a file as the client gave it. No data file over `max_data_bytes()` is ever read.
"""

from vaestudio.datasets.base import DataError, Dataset, split_indices
from vaestudio.datasets.paths import (
    DataPath,
    max_data_bytes,
    resolve_data_path,
    resolve_file_options,
    set_max_data_bytes,
)
from vaestudio.datasets.registry import REGISTRY, dataset_options, list_datasets, load_dataset

__all__ = ["DataError", "DataPath", "Dataset", "REGISTRY", "dataset_options", "list_datasets", "load_dataset",
           "max_data_bytes", "resolve_data_path", "resolve_file_options", "set_max_data_bytes", "split_indices"]
