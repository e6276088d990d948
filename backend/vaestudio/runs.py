"""Run folders: one per run under the runs dir, written so that a kill never leaves a broken one.

    <runs-dir>/<run>/config.json           model spec, data source, training config, created
                     checkpoint.safetensors weights, optimizer (+ auxiliary) state, trainer position
                     metrics.jsonl          one JSON object per step
                     environment.json       versions, device, seed, world_size (processes)
                     (export files)         what run.export writes; clients fetch them (run.fetch)

Checkpoints are safetensors (no pickle is ever loaded) and every file is written to a temporary
name and renamed over the old one, so the last good checkpoint survives a crash mid-write.
"""

from __future__ import annotations

import json
import os
import platform
import re
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from vaestudio.errors import UserError
from vaestudio.history import MetricsHistory
from vaestudio.run_files import FileHashes, RunFile, open_run_file

CHECKPOINT_FORMAT = "vaestudio-checkpoint-1"
HISTORY_CACHE_RUNS = 4  # saved runs whose parsed history is kept (1 000 000 steps: ~50 MB each)
RUN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S%z"  # `created` and `updated`: local time with its UTC offset


class RunError(UserError):
    """A run that cannot be found, named or read; the message says what is accepted."""


def default_runs_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("vaestudio")) / "runs"


def write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json_atomic(path: Path, obj: Any) -> None:
    write_atomic(path, (json.dumps(obj, indent=2, sort_keys=True) + "\n").encode())


def environment(device: str, seed: int, world_size: int = 1) -> dict:
    """What a run was trained with; `world_size`: the processes that trained it together (distributed.py)."""
    import numpy

    from vaestudio import __version__

    return {
        "vaestudio": __version__,
        "python": sys.version.split()[0],
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "platform": platform.platform(),
        "device": device,
        "seed": seed,
        "world_size": world_size,
        "cuda": torch.version.cuda,
    }


class RunStore:
    def __init__(self, root: Path):
        self.root = Path(root)
        # run -> ((mtime_ns, size) of its metrics.jsonl, its history): a saved run is parsed once
        self._histories: dict[str, tuple[tuple[int, int], MetricsHistory]] = {}
        self.hashes = FileHashes()  # sha256 of the files clients fetch, once per version of a file

    def folder(self, run: str, must_exist: bool = True) -> Path:
        """The folder of `run`, refusing names that could leave the runs dir."""
        if not isinstance(run, str) or not RUN_NAME.match(run):
            raise RunError(
                f"run name {run!r} is not accepted: use 1-128 letters, digits, '.', '_' or '-', not starting with '.' or '-'"
            )
        folder = (self.root / run).resolve()
        if folder.parent != self.root.resolve():
            raise RunError(f"run {run!r} would be outside the runs folder {self.root}")
        if must_exist and not (folder / "config.json").is_file():
            raise RunError(f"no run {run!r} in {self.root}; `run.list` (or `vaestudio runs`) lists the runs there")
        return folder

    def create(self, run: str, config: dict, env: dict) -> Path:
        folder = self.folder(run, must_exist=False)
        folder.mkdir(parents=True, exist_ok=True)
        write_json_atomic(folder / "config.json", {**config, "run": run, "created": time.strftime(TIME_FORMAT)})
        write_json_atomic(folder / "environment.json", env)
        return folder

    def config(self, run: str) -> dict:
        try:
            return json.loads((self.folder(run) / "config.json").read_text())
        except json.JSONDecodeError as exc:
            raise RunError(f"config.json of run {run!r} is not valid JSON: {exc}") from None

    def update_config(self, run: str, **fields: Any) -> None:
        write_json_atomic(self.folder(run) / "config.json", {**self.config(run), **fields})

    def save_checkpoint(self, run: str, tensors: dict[str, torch.Tensor], meta: dict) -> Path:
        path = self.folder(run) / "checkpoint.safetensors"
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".checkpoint.", suffix=".tmp")
        os.close(fd)
        try:
            # safetensors metadata is str -> str: the structured part travels as one JSON string
            save_file({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, tmp,
                      metadata={"format": CHECKPOINT_FORMAT, "meta": json.dumps(meta)})
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    def load_checkpoint(self, run: str) -> tuple[dict[str, torch.Tensor], dict]:
        path = self.folder(run) / "checkpoint.safetensors"
        if not path.is_file():
            raise RunError(f"run {run!r} was never saved (it has no checkpoint), so it cannot be resumed or loaded; "
                           "a served run is saved when the server stops (Ctrl-C), every --autosave seconds, and on "
                           "`run.save`; `vaestudio train` saves at its end")
        try:
            from safetensors import safe_open

            with safe_open(str(path), framework="pt") as f:
                header = f.metadata() or {}
            tensors = load_file(str(path))
        except Exception as exc:
            raise RunError(f"checkpoint of run {run!r} cannot be read ({exc}); it may be truncated") from None
        if header.get("format") != CHECKPOINT_FORMAT:
            raise RunError(f"checkpoint of run {run!r} has format {header.get('format')!r}; this version reads {CHECKPOINT_FORMAT}")
        return tensors, json.loads(header["meta"])

    def load_history(self, run: str, up_to_step: int | None = None) -> MetricsHistory:
        """A new history from the run's metrics.jsonl (steps ≤ up_to_step), for a trainer to extend."""
        return MetricsHistory.load(self.folder(run) / "metrics.jsonl", up_to_step)

    def read_history(self, run: str) -> MetricsHistory:
        """The run's whole history, read only: parsed again only when its metrics.jsonl changed."""
        path = self.folder(run) / "metrics.jsonl"
        stat = path.stat() if path.is_file() else None
        key = (stat.st_mtime_ns, stat.st_size) if stat else (0, 0)
        cached = self._histories.get(run)
        if cached is not None and cached[0] == key:
            return cached[1]
        history = MetricsHistory.load(path)
        if len(self._histories) >= HISTORY_CACHE_RUNS:
            self._histories.pop(next(iter(self._histories)))
        self._histories[run] = (key, history)
        return history

    def list(self) -> list[dict]:
        """Every run, newest first (by `updated`, the time of its last save or creation); only a
        run with `checkpoint` true can be resumed or loaded."""
        runs: list[tuple[float, dict]] = []
        if not self.root.is_dir():
            return []
        for folder in self.root.iterdir():
            if not RUN_NAME.match(folder.name) or not (folder / "config.json").is_file():
                continue
            try:
                cfg = json.loads((folder / "config.json").read_text())
                checkpoint = folder / "checkpoint.safetensors"
                has_checkpoint = checkpoint.is_file()
                # config.json is rewritten by every save, after the checkpoint
                updated = max(p.stat().st_mtime for p in (folder / "config.json", checkpoint) if p.is_file())
            except (OSError, json.JSONDecodeError):
                continue
            runs.append((updated, {
                "run": folder.name,
                "model": cfg.get("model", {}).get("name", "vae"),
                "data": cfg.get("data", {}).get("name", "?"),
                "step": int(cfg.get("step", 0)),
                "created": cfg.get("created", ""),
                "updated": time.strftime(TIME_FORMAT, time.localtime(updated)),
                "checkpoint": has_checkpoint,
            }))
        runs.sort(key=lambda r: (r[0], r[1]["run"]), reverse=True)
        return [entry for _, entry in runs]

    def mark_last_live(self, run: str) -> None:
        """Makes a saved run the newest (its checkpoint's time is now) without writing it again: a
        server that stops with nothing new to save still leaves its run first for `--resume last`."""
        checkpoint = self.folder(run) / "checkpoint.safetensors"
        if checkpoint.is_file():
            os.utime(checkpoint)

    def newest_resumable(self) -> str:
        """The newest run with a checkpoint (`--resume last`); RunError when there is none."""
        for r in self.list():
            if r["checkpoint"]:
                return r["run"]
        raise RunError(f"no run in {self.root} has a checkpoint to resume; a served run is saved when the server "
                       "stops (Ctrl-C) and every --autosave seconds, and `vaestudio train` saves at its end")

    def delete(self, run: str) -> None:
        """Removes the run's folder. It is renamed first (to a hidden name no listing shows), so a
        delete that fails halfway never leaves a half run behind."""
        folder = self.folder(run)
        trash = self.root / f".{run}.deleting-{secrets.token_hex(4)}"
        os.replace(folder, trash)
        self._histories.pop(run, None)
        shutil.rmtree(trash, ignore_errors=True)

    def open_file(self, run: str, path: object) -> RunFile:
        """A file of the run's folder opened for run.fetch; RunFileError for anything that is not one."""
        return open_run_file(self.folder(run), run, path)


_LINE = json.JSONEncoder(separators=(",", ":"))  # one encoder for every line: json.dumps makes one a call


class MetricsLog:
    """Appends one JSON line per step to metrics.jsonl, in batches: records wait in memory until
    FLUSH_RECORDS of them or FLUSH_S have gathered, so a fast step does not pay for a write; the
    trainer flushes at every save, pause and close, so the file then holds every step, in order."""

    FLUSH_RECORDS = 256
    FLUSH_S = 0.5

    def __init__(self, path: Path):
        self.path = path
        self._f = open(path, "a", buffering=1 << 16)
        self._pending: list[dict] = []
        self._since = time.monotonic()

    def write(self, record: dict) -> None:
        self.write_many([record])

    def write_many(self, records: list[dict]) -> None:
        self._pending.extend(records)
        if len(self._pending) >= self.FLUSH_RECORDS or time.monotonic() - self._since >= self.FLUSH_S:
            self._write_pending()

    def _write_pending(self) -> None:
        if self._pending:
            self._f.write("".join(_LINE.encode(r) + "\n" for r in self._pending))
            self._pending = []
        self._since = time.monotonic()

    def flush(self) -> None:
        """Every record so far is in the file (written through to the OS)."""
        self._write_pending()
        self._f.flush()

    def close(self) -> None:
        if not self._f.closed:
            self.flush()
            self._f.close()
