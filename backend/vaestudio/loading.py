"""Trainers and models from what a user names: a spec, data options and a training config, or a
saved run. Used by the server (run.new, run.load, export, eval of saved runs) and the CLI alike."""

from __future__ import annotations

from pathlib import Path

from vaestudio import checkpoint
from vaestudio.datasets import Dataset, load_dataset, resolve_file_options
from vaestudio.models import BaseVAE, ModelSpec, build_model, fit_spec
from vaestudio.runs import RunStore
from vaestudio.train_config import TrainConfig
from vaestudio.trainer import Trainer


def load_data(data: dict, data_dirs: list[Path]) -> Dataset:
    """`data` is {"name": ..., **options}; a `file` data set is read only under `data_dirs`."""
    options = {k: v for k, v in data.items() if k != "name"}
    if data["name"] == "file":
        options = resolve_file_options(options, data_dirs)
    return load_dataset(data["name"], **options)


def new_trainer(spec: ModelSpec, data: dict, config: TrainConfig, store: RunStore | None,
                data_dirs: list[Path]) -> Trainer:
    return Trainer(load_data(data, data_dirs), spec, config, store=store)


def load_trainer(run: str, store: RunStore, data_dirs: list[Path]) -> Trainer:
    """A paused trainer exactly where `run` was saved (weights, optimizer, batch order, RNG)."""
    record = store.config(run)
    state = checkpoint.from_tensors(*store.load_checkpoint(run))
    trainer = Trainer(load_data(record["data"], data_dirs), ModelSpec.from_dict(state.spec),
                      TrainConfig.from_dict(state.config), store=store, run=run)
    trainer.restore(state)
    return trainer


def model_from_run(run: str, store: RunStore, data_dirs: list[Path]) -> tuple[BaseVAE, Dataset]:
    """A saved run's model (eval mode, on the CPU) and its data set, without a trainer."""
    record = store.config(run)
    tensors, meta = store.load_checkpoint(run)
    dataset = load_data(record["data"], data_dirs)
    model = build_model(fit_spec(ModelSpec.from_dict(meta["model"]), dataset))
    model.load_state_dict(checkpoint.model_weights(tensors))
    return model.eval(), dataset
