"""Which files a client may make the server read (only those under its --data-dir folders), how they
are named back to it, and how big they may be.

A path from the wire is untrusted. It is resolved the way the OS will open it (symlinks followed,
`..` collapsed) and only then compared with the allowed folders, so neither `../../etc/passwd` nor a
symlink inside an allowed folder that points outside it gets through. A relative path is looked up
in each allowed folder in turn, and the first that holds it wins.

Messages name a file as the client gave it, never by the server's absolute folders: the resolved
path travels next to the given one in a `DataPath`, which the `file` loader opens but never shows.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from vaestudio.datasets.base import DataError

PATH_OPTIONS = ("path", "labels_path")  # the options of the `file` data set that name files
DEFAULT_MAX_DATA_BYTES = 2 << 30  # 2 GiB: more than any data set a 2-core studio trains on in memory

# One limit for the process, set once by the CLI (--max-data-bytes) before any data is loaded. It
# is a setting rather than a parameter because every caller (server ops, run loading, export) already
# passes data_dirs along and nothing more; threading a second value through all of them would touch
# every layer for one number.
_max_data_bytes = DEFAULT_MAX_DATA_BYTES


def set_max_data_bytes(limit: int) -> None:
    """Sets the largest data file (or folder of images, all files together) this process reads."""
    global _max_data_bytes
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise DataError(f"the data size limit must be a positive number of bytes, not {limit!r}.")
    _max_data_bytes = limit


def max_data_bytes() -> int:
    return _max_data_bytes


@dataclass(frozen=True)
class DataPath:
    """A checked data path: `real` is what is opened, `given` is how the client named it (shown in
    every message and recorded in the data set's source, so a run reloads from the same name)."""

    given: str
    real: Path

    def __str__(self) -> str:
        return self.given


def resolve_data_path(path: str, data_dirs: list[Path]) -> Path:
    """The real, absolute path of `path`, refused with DataError unless it lies inside one of
    `data_dirs` (an entry may also be a single file, which allows exactly that file). A relative
    path is looked up in each allowed folder in turn; the first that holds it wins."""
    if not isinstance(path, (str, Path)) or not str(path) or "\x00" in str(path):
        raise DataError(f"a data path must be a non-empty file or folder name, not {path!r}.")
    if not data_dirs:
        raise DataError("this server allows no data folders; start it with --data-dir DIR (repeatable) to "
                        "allow reading data files.")
    roots = [Path(d).resolve() for d in data_dirs]
    p = Path(path)
    candidates = [p] if p.is_absolute() else [root / p for root in roots]
    real = [c.resolve() for c in candidates]
    inside = [r for r in real if any(r == root or r.is_relative_to(root) for root in roots)]
    if not inside:
        raise DataError(f"{path} is outside the allowed data folders; this server reads data files only from "
                        "its --data-dir folders (a relative path is looked up in each). To allow another folder, "
                        "restart the server with --data-dir DIR (repeatable, one per folder).")
    found = next((r for r in inside if r.exists()), None)
    if found is None:
        raise DataError(f"{path} was not found in the server's data folders (a relative path is looked up in "
                        "each --data-dir folder in turn); check the name, which is case-sensitive.")
    return found


def resolve_file_options(options: dict, data_dirs: list[Path]) -> dict:
    """A copy of `file` loader options with `path` and `labels_path` checked by resolve_data_path and
    turned into DataPath (opened at the real path, named as given): what the server passes to
    load_dataset("file", ...). Other options are untouched."""
    out = dict(options)
    for key in PATH_OPTIONS:
        if out.get(key) is not None:
            out[key] = DataPath(str(out[key]), resolve_data_path(out[key], data_dirs))
    return out


def data_size(p: Path, image_extensions: tuple[str, ...]) -> int:
    """Bytes a load would read: a file's size, or for a folder the sum of its images' sizes (at its
    top level and one level of class subfolders, as the image-folder reader looks)."""
    if not p.is_dir():
        return p.stat().st_size
    total = 0
    for folder in [p, *(d for d in p.iterdir() if d.is_dir() and not d.name.startswith("."))]:
        with os.scandir(folder) as entries:
            for e in entries:
                if e.name.lower().endswith(image_extensions) and e.is_file():
                    total += e.stat().st_size
    return total


def check_data_size(p: Path, shown: str, image_extensions: tuple[str, ...]) -> None:
    """DataError when the data at `p` is larger than the process's limit; nothing is read."""
    try:
        size, limit = data_size(p, image_extensions), max_data_bytes()
    except OSError as e:
        raise DataError(f"{shown} cannot be read ({e.strerror or e}).") from None
    if size > limit:
        what = "its images come to" if p.is_dir() else "it is"
        raise DataError(f"{shown} is too large to load: {what} {_human(size)} ({size} bytes), over the limit of "
                        f"{_human(limit)} ({limit} bytes). To raise it, start vaestudio with "
                        "--max-data-bytes SIZE (bytes, or e.g. 4G).")


def _human(n: int) -> str:
    value, unit = float(n), "bytes"
    for bigger in ("KiB", "MiB", "GiB"):
        if value < 1024:
            break
        value, unit = value / 1024, bigger
    return f"{n} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
