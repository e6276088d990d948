"""Files inside a run folder as clients fetch them in chunks (`run.fetch`, protocol/README.md §5.2):
the checks that keep a request inside its run folder, and the sha256 of each file, computed once
per version of it however many chunks are asked for.

A chunk and the sha256 it is sent with come from one open file: run files are replaced by rename,
never rewritten in place (runs.write_atomic), so the open file is one version from start to end
even when a save replaces it meanwhile, and a client sees a new sha256 instead of mixed bytes.
"""

from __future__ import annotations

import collections
import hashlib
import os
import threading
from pathlib import Path, PurePosixPath

from vaestudio.errors import UserError

MAX_CHUNK = 4 * 1024 * 1024  # bytes of one run.fetch reply (4 MiB)
HASH_CACHE_FILES = 64  # file versions whose sha256 is kept
HASH_BLOCK = 1 << 20  # read and hashed at a time: hashlib lets other threads run meanwhile


class RunFileError(UserError):
    """A run.fetch path that is not a file of the run; the message says what is accepted."""


class RunFile:
    """One version of one file of a run, open for reading; `key` names that version."""

    def __init__(self, run: str, name: str, path: Path):
        self.run, self.name = run, name
        self._fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        st = os.fstat(self._fd)
        self.size = st.st_size
        self.key = (str(path), st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size)

    def read(self, offset: int, length: int) -> bytes:
        if offset > self.size:
            raise RunFileError(f"offset {offset} is beyond the file's end (size {self.size}) of {self.name} in run "
                               f"{self.run}; an offset from 0 to {self.size} is accepted")
        parts, end = [], min(self.size, offset + length)
        while offset < end:
            part = os.pread(self._fd, end - offset, offset)
            if not part:  # shortened underneath us (not the way run files change): send what there is
                break
            parts.append(part)
            offset += len(part)
        return b"".join(parts)

    def sha256(self) -> str:
        digest = hashlib.sha256()
        offset = 0
        while block := os.pread(self._fd, HASH_BLOCK, offset):
            digest.update(block)
            offset += len(block)
        return digest.hexdigest()

    def close(self) -> None:
        os.close(self._fd)


class FileHashes:
    """sha256 by file version (path, inode, mtime, size), for the last HASH_CACHE_FILES versions.
    A version that several requests ask for at once is hashed by the first; the others wait."""

    def __init__(self, max_files: int = HASH_CACHE_FILES):
        self.max_files = max_files
        self._lock = threading.Lock()
        self._known: collections.OrderedDict[tuple, str] = collections.OrderedDict()
        self._hashing: dict[tuple, threading.Lock] = {}

    def known(self, f: RunFile) -> str | None:
        with self._lock:
            digest = self._known.get(f.key)
            if digest is not None:
                self._known.move_to_end(f.key)
            return digest

    def sha256(self, f: RunFile) -> str:
        """The file's sha256, from the cache or hashed now (off the server loop for large files)."""
        digest = self.known(f)
        if digest is not None:
            return digest
        with self._lock:
            lock = self._hashing.setdefault(f.key, threading.Lock())
        with lock:
            digest = self.known(f)  # hashed by another request while this one waited
            if digest is None:
                digest = f.sha256()
                with self._lock:
                    self._known[f.key] = digest
                    while len(self._known) > self.max_files:
                        self._known.popitem(last=False)
        with self._lock:
            self._hashing.pop(f.key, None)
        return digest


def open_run_file(folder: Path, run: str, name: object) -> RunFile:
    """The file `name` (relative to the run folder) of `run`, opened; RunFileError for an absolute
    path, '..', a symlink that leaves the folder, a folder, or no such file."""
    if not isinstance(name, str) or not name:
        raise RunFileError("'path' is required: a file path relative to the run folder, e.g. 'checkpoint.safetensors' "
                           "or a path that run.export listed in 'files'")
    parts = PurePosixPath(name).parts
    if "\\" in name or "\0" in name or name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise RunFileError(f"'path' {name!r} is not accepted: give a path relative to the run folder, with '/' "
                           "between folders (e.g. 'godot/decoder.safetensors')")
    if ".." in parts:
        raise RunFileError(f"'path' {name!r} is not accepted: '..' would leave the run folder; give a path inside it")
    root = folder.resolve()
    path = (root / name).resolve()
    if not path.is_relative_to(root):
        raise RunFileError(f"'path' {name!r} leads outside the folder of run {run} (a link); only the run's own files "
                           "are served")
    if path.is_dir():
        raise RunFileError(f"'path' {name!r} is a folder of run {run}; give one of the files in it")
    if not path.is_file():
        raise RunFileError(f"run {run} has no file {name!r}; run.export writes the export files (its reply lists "
                           "them in 'files'), run.save writes checkpoint.safetensors")
    return RunFile(run, name, path)
