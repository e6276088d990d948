"""Slow work for the server, off its loop: building, loading, exporting and evaluating runs.

Each function runs in a background thread and returns a result map (or raises); the server sends
it as the reply. Anything touching the live trainer's model goes through `trainer.call`, which
runs on the trainer's own thread between two steps.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable

import torch

from vaestudio.config import TrainConfig
from vaestudio.datasets import Dataset, load_dataset, resolve_file_options
from vaestudio.evaluate import evaluate
from vaestudio.export import export_model_files
from vaestudio.models import BaseVAE, ModelSpec, build_model
from vaestudio.runs import RunError, RunStore
from vaestudio.trainer import Trainer, fit_spec


def on_trainer_thread(trainer: Trainer, fn: Callable[[], Any], timeout: float = 120.0) -> Any:
    """Runs fn on the trainer's thread (between steps) and waits for its result here."""
    done = threading.Event()
    box: dict[str, Any] = {}

    def finish(value: Any) -> None:
        box["value"] = value
        done.set()

    trainer.call(fn, finish)
    if not done.wait(timeout):
        raise TimeoutError("the trainer did not answer within 120 s")
    if isinstance(box["value"], Exception):
        raise box["value"]
    return box["value"]


def load_data(data: dict, data_dirs: list[Path]) -> Dataset:
    options = {k: v for k, v in data.items() if k != "name"}
    if data["name"] == "file":
        options = resolve_file_options(options, data_dirs)
    return load_dataset(data["name"], **options)


def build_trainer(spec: ModelSpec, data: dict, config: TrainConfig, store: RunStore, data_dirs: list[Path]) -> Trainer:
    return Trainer(load_data(data, data_dirs), spec, config, store=store)


def load_trainer(run: str, store: RunStore, data_dirs: list[Path]) -> Trainer:
    """A paused trainer exactly where `run` was saved (weights, optimizer, batch order, RNG)."""
    cfg = store.config(run)
    tensors, meta = store.load_checkpoint(run)
    spec = ModelSpec.from_dict(meta["model"])
    trainer = Trainer(load_data(cfg["data"], data_dirs), spec, TrainConfig.from_dict(meta["config"]), store=store, run=run)
    trainer.load(tensors, meta)
    return trainer


def model_from_snapshot(trainer: Trainer) -> BaseVAE:
    snap = trainer.snapshot
    model = build_model(snap.spec)
    model.load_state_dict(snap.state)
    return model.eval()


def model_from_run(run: str, store: RunStore, data_dirs: list[Path]) -> tuple[BaseVAE, Dataset]:
    cfg = store.config(run)
    tensors, meta = store.load_checkpoint(run)
    dataset = load_data(cfg["data"], data_dirs)
    model = build_model(fit_spec(ModelSpec.from_dict(meta["model"]), dataset))
    model.load_state_dict({k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")})
    return model.eval(), dataset


def export_run(run: str, items: tuple[str, ...], live: Trainer, store: RunStore, data_dirs: list[Path]) -> dict:
    """Writes the export items into the run's folder; returns {run, files} (paths relative to it)."""
    files: list[str] = []
    if run == live.run:
        if "checkpoint" in items or "config" in items:
            on_trainer_thread(live, live.save)
        model, dataset = model_from_snapshot(live), live.dataset
    else:
        model, dataset = model_from_run(run, store, data_dirs)
    folder = store.folder(run)
    if "checkpoint" in items:
        if not (folder / "checkpoint.safetensors").is_file():
            raise RunError(f"run {run!r} has no checkpoint to export; `run.save` writes one")
        files.append("checkpoint.safetensors")
    if "config" in items:
        files += ["config.json", "environment.json"]
    with torch.no_grad():
        files += export_model_files(folder, model, dataset, items, seed=0)
    return {"run": run, "files": files}


def evaluate_live(trainer: Trainer, split: str, iw_samples: int) -> dict:
    """Evaluates the newest weights on a copy, so training goes on meanwhile."""
    return evaluate(model_from_snapshot(trainer), trainer.dataset, split, iw_samples)
