"""Name -> loader, with cheap static listings and strict options.

Every loader takes keyword-only options with defaults; the registry reads them from the signature,
so an unknown option is refused (never ignored) and `dataset_options` can show the defaults. Each
entry also carries its loader's {option: Setting} table (type, range, help), which data.list sends.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field

from vaestudio.datasets.base import DataError, Dataset, exclude_from_training
from vaestudio.datasets.embedded import DIGITS_DESCRIPTION, DIGITS_OPTIONS, load_digits
from vaestudio.datasets.files import FILE_DESCRIPTION, FILE_OPTIONS, load_file
from vaestudio.datasets.options import as_label_list
from vaestudio.datasets.shapes import FACTORS, SHAPES_DESCRIPTION, SHAPES_OPTIONS, SIZE, load_shapes
from vaestudio.datasets.toy import TOY_DESCRIPTIONS, TOY_FACTORS, TOY_OPTIONS, load_circles, load_moons, load_swiss_roll
from vaestudio.setting import Setting


@dataclass(frozen=True)
class Entry:
    """What `data.list` shows without building the data: shape and n are those of the defaults."""

    loader: Callable[..., Dataset]
    description: str
    shape: list[int] | None  # None when it depends on the file
    n: int | None
    labels: bool
    factors: tuple[str, ...] = ()
    options: dict[str, Setting] = field(default_factory=dict)  # the loader's options, as it checks them


REGISTRY: dict[str, Entry] = {
    "digits": Entry(load_digits, DIGITS_DESCRIPTION, [8, 8], 1797, True, options=DIGITS_OPTIONS),
    "shapes": Entry(load_shapes, SHAPES_DESCRIPTION, [SIZE, SIZE], 10_000, True, FACTORS, SHAPES_OPTIONS),
    "moons": Entry(load_moons, TOY_DESCRIPTIONS["moons"], [2], 2000, True, options=TOY_OPTIONS["moons"]),
    "circles": Entry(load_circles, TOY_DESCRIPTIONS["circles"], [2], 2000, True, options=TOY_OPTIONS["circles"]),
    "swiss_roll": Entry(load_swiss_roll, TOY_DESCRIPTIONS["swiss_roll"], [3], 2000, False,
                        tuple(TOY_FACTORS["swiss_roll"]), TOY_OPTIONS["swiss_roll"]),
    # labels: only if the file has them
    "file": Entry(load_file, FILE_DESCRIPTION, None, None, False, options=FILE_OPTIONS),
}


EXCLUDE = "exclude_labels"  # every data set that can have labels takes it; applied here, after the loader
EXCLUDE_SETTING = Setting("label_list", "Class ids left out of the training split only (the test split keeps them), "
                                        "e.g. to ask a model to find classes it never saw.")


def _can_have_labels(name: str) -> bool:
    return REGISTRY[name].labels or name == "file"


def dataset_options(name: str) -> dict:
    """{option: default} for a data set; `file`'s `path` has no default and shows as None. Data sets
    that can have labels also take `exclude_labels` (class ids left out of the training split)."""
    params = inspect.signature(_entry(name).loader).parameters.values()
    options = {p.name: (None if p.default is inspect.Parameter.empty else p.default) for p in params}
    return {**options, EXCLUDE: []} if _can_have_labels(name) else options


def option_settings(name: str) -> dict[str, tuple[Setting, object]]:
    """{option: (Setting, default)} for data set `name`, in the loader's order (exclude_labels last)."""
    defaults = dataset_options(name)
    settings = {**_entry(name).options, **({EXCLUDE: EXCLUDE_SETTING} if _can_have_labels(name) else {})}
    return {key: (settings[key], default) for key, default in defaults.items()}


def _entry(name: str) -> Entry:
    if not isinstance(name, str) or name not in REGISTRY:
        raise DataError(f"unknown data set {name!r}; available: {', '.join(REGISTRY)}.")
    return REGISTRY[name]


def load_dataset(name: str, **options) -> Dataset:
    """Build data set `name` with `options` (see dataset_options(name)). `load_dataset(**ds.source)`
    rebuilds `ds`. Raises DataError, never anything else, for bad names, options or files."""
    entry = _entry(name)
    accepted = dataset_options(name)
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise DataError(f"data set {name!r} has no option{'s' if len(unknown) > 1 else ''} "
                        f"{', '.join(map(repr, unknown))}; accepted: {', '.join(accepted)}.")
    required = [k for k, p in inspect.signature(entry.loader).parameters.items()
                if p.default is inspect.Parameter.empty and k not in options]
    if required:
        raise DataError(f"data set {name!r} needs option {', '.join(map(repr, required))} (e.g. the file to read).")
    if not _can_have_labels(name):
        return entry.loader(**options)
    excluded = as_label_list(EXCLUDE, options.pop(EXCLUDE, None))
    dataset = exclude_from_training(entry.loader(**options), excluded)
    dataset.source = {**dataset.source, EXCLUDE: excluded}
    return dataset


def list_datasets() -> list[dict]:
    """[{name, description, shape, n, labels, factors}] for `data.list`; builds nothing."""
    return [{"name": name, "description": e.description, "shape": e.shape, "n": e.n, "labels": e.labels,
             "factors": list(e.factors)} for name, e in REGISTRY.items()]
