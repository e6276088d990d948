"""`data.browse`: the folders a client may pick data files from, one level at a time.

Only the server's --data-dir folders are listed, and a folder is found exactly as a data path is
(paths.resolve_data_path: symlinks followed, `..` collapsed, then compared with the folders), so
browsing can reach nothing that run.new could not read. Each entry's `path` is the name that
resolve_data_path maps back to that very entry: relative to its --data-dir folder where that is
unambiguous (a relative path is looked up in each folder in turn, and the first that holds it wins),
else absolute. So the path a client picks is the path run.new's `file` data set accepts.
"""

from __future__ import annotations

import os
from pathlib import Path

from vaestudio.datasets.base import DataError
from vaestudio.datasets.paths import resolve_data_path

MAX_ENTRIES = 2000


def browse(path: str | None, data_dirs: list[Path]) -> dict:
    """{path, parent, entries: [{name, kind, size, path}], truncated} for folder `path` (None or "":
    the --data-dir folders themselves). Raises DataError for anything outside them."""
    if not data_dirs:
        raise DataError("this server allows no data folders; start it with --data-dir DIR (repeatable) to "
                        "allow reading data files.")
    roots = [Path(d).resolve() for d in data_dirs]
    if not path:
        entries = [e for e in (_entry(root, root.name or str(root), roots) for root in roots) if e is not None]
        return {"path": "", "parent": None, "entries": entries, "truncated": False}
    folder = resolve_data_path(path, data_dirs)  # DataError when outside the folders or missing
    if not folder.is_dir():
        raise DataError(f"{path} is a file, not a folder; data.browse lists folders (a file's path goes into "
                        "the `file` data set's path option).")
    try:
        with os.scandir(folder) as it:
            names = sorted(e.name for e in it if not e.name.startswith("."))
    except OSError as e:
        raise DataError(f"{path} cannot be listed ({e.strerror or e}).") from None
    entries = [e for e in (_entry(folder / name, name, roots) for name in names) if e is not None]
    entries.sort(key=lambda e: (e["kind"] != "dir", e["name"]))
    parent = "" if folder in roots else _wire_path(folder.parent, roots)
    return {"path": _wire_path(folder, roots), "parent": parent, "entries": entries[:MAX_ENTRIES],
            "truncated": len(entries) > MAX_ENTRIES}


def _entry(p: Path, name: str, roots: list[Path]) -> dict | None:
    """One listing entry, or None for what a client could not use: a link leaving the folders, a
    broken link, anything but a folder or a regular file, or what cannot be read."""
    try:
        real = p.resolve()
        if not any(real == root or real.is_relative_to(root) for root in roots):
            return None
        if real.is_dir():
            kind, size = "dir", 0
        elif real.is_file():
            kind, size = "file", real.stat().st_size
        else:
            return None
    except OSError:
        return None
    return {"name": name, "kind": kind, "size": size, "path": _wire_path(p, roots)}


def _wire_path(p: Path, roots: list[Path]) -> str:
    """The name for `p` that resolve_data_path maps back to it: relative to the first --data-dir
    folder under which that works, else absolute."""
    real = p.resolve()
    for root in roots:
        if p == root or p.is_relative_to(root):
            rel = p.relative_to(root).as_posix()  # "." for the folder itself
            try:
                if resolve_data_path(rel, roots) == real:
                    return rel
            except DataError:
                pass
    return str(p)
