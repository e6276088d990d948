"""Checks for loader options: vaestudio.checks, raising DataError, with the option's name quoted.
Options arrive from the wire (msgpack), so types are checked here, once.

Each loader states its options as a {name: Setting} table next to the loader (type, range, help) and
checks them with `check_option`, so what data.list tells a client is what the loader enforces.
"""

from __future__ import annotations

from typing import Any

from vaestudio import checks
from vaestudio.datasets.base import DataError
from vaestudio.setting import Setting, integer, number


def seed_option(what: str) -> Setting:
    return integer(0, 2**32 - 1, f"Seed of {what}.")


SEED = seed_option("the permutation that splits the rows into training and test rows")
TEST_FRACTION = number(0.0, 1.0, "Fraction of the rows held out as the test split.", exclusive=True)
BINARIZE = number(0.0, 1.0, "A threshold applied after scaling: values above it become 1, the others 0; empty keeps "
                            "the values.", nullable=True)


def check_option(settings: dict[str, Setting], name: str, value: Any) -> Any:
    """`value` of option `name` checked against its Setting in `settings` (DataError naming it)."""
    setting = settings[name]
    if value is None and setting.nullable:
        return None
    if setting.type == "size":
        return as_size(name, value, int(setting.min), int(setting.max))
    if setting.type == "label_list":
        return as_label_list(name, value)
    return setting.check(f"option {name!r}", value, error=DataError)


def as_int(name: str, value, lo: int, hi: int) -> int:
    return checks.integer(f"option {name!r}", value, lo, hi, error=DataError)


def as_float(name: str, value, lo: float, hi: float, *, open_ends: bool = False) -> float:
    """A number from lo to hi; with open_ends, strictly between them (a fraction of 0 or 1 is no split)."""
    v = checks.number(f"option {name!r}", value, lo, hi, error=DataError)
    if open_ends and v in (lo, hi):
        raise DataError(f"option {name!r} must be a number between {lo:g} and {hi:g} (exclusive), got {value!r}")
    return v


def as_choice(name: str, value, choices: tuple) -> object:
    return checks.choice(f"option {name!r}", value, choices, error=DataError)


def as_bool(name: str, value) -> bool:
    return checks.boolean(f"option {name!r}", value, error=DataError)


def as_size(name: str, value, lo: int = 1, hi: int = 4096) -> tuple[int, int] | None:
    """An image size: None, an int s (s x s), or [h, w]."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = [value, value]
    if isinstance(value, (list, tuple)) and len(value) == 2:
        h, w = (checks.integer(f"option {name!r}", v, lo, hi, error=DataError) for v in value)
        return h, w
    raise DataError(f"option {name!r} must be an integer side or [height, width] with sides from {lo} to {hi}, "
                    f"got {value!r}")


def as_label_list(name: str, value) -> list[int]:
    """A list of class ids (None: empty); duplicates dropped, sorted."""
    if value is None:
        return []
    if not isinstance(value, (list, tuple)) or any(isinstance(v, bool) or not isinstance(v, int) for v in value):
        raise DataError(f"option {name!r} must be a list of class ids (integers), e.g. [0], got {value!r}")
    return sorted(set(int(v) for v in value))
