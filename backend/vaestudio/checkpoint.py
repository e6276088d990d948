"""A trainer's whole state <-> (tensors, JSON meta) for safetensors: weights, optimizers, position.

Tensors: `model.*` weights, `optim.*` and `aux.*` optimizer slots, `rng.generator` (the training
generator's state) and `trainer.order` (this epoch's batch order). Meta: step, epoch, cursor,
optimizer hyper-parameters and whatever else is not a tensor. Restoring all of it makes a resumed
run continue exactly where it stopped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from vaestudio.runs import flatten_optimizer, unflatten_optimizer

if TYPE_CHECKING:
    from vaestudio.trainer import Trainer


def trainer_state(t: "Trainer") -> tuple[dict[str, torch.Tensor], dict]:
    tensors = {f"model.{k}": v for k, v in t.model.state_dict().items()}
    optim_tensors, optim_meta = flatten_optimizer(t.optimizer.state_dict(), "optim")
    tensors.update(optim_tensors)
    aux = t.model.aux_optimizer_state()
    aux_meta = None
    if aux:
        aux_tensors, aux_meta = flatten_optimizer(aux, "aux")
        tensors.update(aux_tensors)
    tensors["rng.generator"] = t.generator.get_state()
    tensors["trainer.order"] = t._order.clone()
    meta = {
        "run": t.run, "step": t.step, "epoch": t.epoch, "cursor": t._cursor,
        "optimizer": optim_meta, "aux_optimizer": aux_meta, "nan_recoveries": t.nan_recoveries,
        "config": t.config.to_dict(), "model": t.spec.to_dict(),
    }
    return tensors, meta


def load_trainer_state(t: "Trainer", tensors: dict[str, torch.Tensor], meta: dict) -> None:
    weights = {k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")}
    t.model.load_state_dict(weights)
    t.optimizer.load_state_dict(unflatten_optimizer(tensors, meta["optimizer"], "optim"))
    if meta.get("aux_optimizer"):
        t.model.load_aux_optimizer_state(unflatten_optimizer(tensors, meta["aux_optimizer"], "aux"))
    t.generator.set_state(tensors["rng.generator"])
    t._order = tensors["trainer.order"].clone()
    t.step, t.epoch, t._cursor = int(meta["step"]), int(meta["epoch"]), int(meta["cursor"])
    t.nan_recoveries = int(meta.get("nan_recoveries", 0))
