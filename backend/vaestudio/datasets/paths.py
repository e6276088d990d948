"""Which files a client may make the server read: only those under the server's --data-dir folders.

A path from the wire is untrusted. It is resolved the way the OS will open it (symlinks followed,
`..` collapsed) and only then compared with the allowed folders, so neither `../../etc/passwd` nor a
symlink inside an allowed folder that points outside it gets through.
"""

from __future__ import annotations

from pathlib import Path

from vaestudio.datasets.base import DataError

PATH_OPTIONS = ("path", "labels_path")  # the options of the `file` data set that name files


def resolve_data_path(path: str, data_dirs: list[Path]) -> Path:
    """The real, absolute path of `path`, refused with DataError unless it lies inside one of
    `data_dirs`. A relative path is looked up in each allowed folder in turn (the first that has it
    wins; if none has it, it is taken relative to the first folder, and the loader will say it does
    not exist)."""
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
        allowed = ", ".join(str(r) for r in roots)
        raise DataError(f"{path} is outside the allowed data folders ({allowed}); data files are read only from "
                        "these. To allow another folder, restart the server with --data-dir DIR "
                        "(repeatable, one per folder).")
    return next((r for r in inside if r.exists()), inside[0])


def resolve_file_options(options: dict, data_dirs: list[Path]) -> dict:
    """A copy of `file` loader options with `path` and `labels_path` checked by resolve_data_path:
    what the server should pass to load_dataset("file", ...). Other options are untouched."""
    out = dict(options)
    for key in PATH_OPTIONS:
        if out.get(key) is not None:
            out[key] = str(resolve_data_path(out[key], data_dirs))
    return out
