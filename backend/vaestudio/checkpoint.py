"""The checkpoint format: a trainer's whole state <-> (tensors, JSON meta) for one safetensors file.

Tensors: `model.*` weights, `optim.state.*` and `aux.state.*` optimizer slots, `rng.generator`
(the training generator's state) and `trainer.order` (this epoch's batch order). Meta: run, step,
epoch, cursor, the optimizers' hyper-parameters and non-tensor slots, the training config and the
model spec. Restoring all of it makes a resumed run continue exactly where it stopped. Storage
(atomic writes, the run folder) is `runs.RunStore`'s; the trainer only hands over a `TrainerState`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

MODEL_PREFIX = "model."


@dataclass
class TrainerState:
    """What a trainer saves and restores (Trainer.state() / Trainer.restore())."""

    run: str
    step: int
    epoch: int
    cursor: int  # position in `order`
    order: torch.Tensor  # (N_train,) this epoch's batch order
    generator: torch.Tensor  # the training generator's state
    model: dict[str, torch.Tensor]  # the model's state_dict
    optimizer: dict[str, Any]  # the optimizer's state_dict
    aux_optimizer: dict[str, Any]  # state of optimizers the model owns ({} when none)
    nan_recoveries: int
    config: dict[str, Any]  # TrainConfig.to_dict()
    spec: dict[str, Any]  # ModelSpec.to_dict()


def to_tensors(state: TrainerState) -> tuple[dict[str, torch.Tensor], dict]:
    tensors = {MODEL_PREFIX + k: v for k, v in state.model.items()}
    optim_tensors, optim_meta = _flatten_optimizer(state.optimizer, "optim")
    tensors.update(optim_tensors)
    aux_meta = None
    if state.aux_optimizer:
        aux_tensors, aux_meta = _flatten_optimizer(state.aux_optimizer, "aux")
        tensors.update(aux_tensors)
    tensors["rng.generator"] = state.generator
    tensors["trainer.order"] = state.order.clone()
    meta = {
        "run": state.run, "step": state.step, "epoch": state.epoch, "cursor": state.cursor,
        "optimizer": optim_meta, "aux_optimizer": aux_meta, "nan_recoveries": state.nan_recoveries,
        "config": state.config, "model": state.spec,
    }
    return tensors, meta


def from_tensors(tensors: dict[str, torch.Tensor], meta: dict) -> TrainerState:
    return TrainerState(
        run=meta["run"], step=int(meta["step"]), epoch=int(meta["epoch"]), cursor=int(meta["cursor"]),
        order=tensors["trainer.order"].clone(), generator=tensors["rng.generator"],
        model=model_weights(tensors),
        optimizer=_unflatten_optimizer(tensors, meta["optimizer"], "optim"),
        aux_optimizer=_unflatten_optimizer(tensors, meta["aux_optimizer"], "aux") if meta.get("aux_optimizer") else {},
        nan_recoveries=int(meta.get("nan_recoveries", 0)), config=meta["config"], spec=meta["model"],
    )


def model_weights(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The model's state_dict out of a checkpoint's tensors (what export and eval need)."""
    return {k[len(MODEL_PREFIX):]: v for k, v in tensors.items() if k.startswith(MODEL_PREFIX)}


def _flatten_optimizer(state: dict, prefix: str) -> tuple[dict[str, torch.Tensor], dict]:
    """optimizer.state_dict() -> (tensors by flat key, JSON-able rest): safetensors holds only tensors."""
    tensors: dict[str, torch.Tensor] = {}
    plain: dict[str, dict] = {}
    for pid, slots in state["state"].items():
        for name, value in slots.items():
            if torch.is_tensor(value):
                tensors[f"{prefix}.state.{pid}.{name}"] = value.detach().cpu().contiguous()
            else:
                plain.setdefault(str(pid), {})[name] = value
    return tensors, {"param_groups": state["param_groups"], "plain": plain}


def _unflatten_optimizer(tensors: dict[str, torch.Tensor], meta: dict, prefix: str) -> dict:
    state: dict[int, dict] = {}
    head = prefix + ".state."
    for key, value in tensors.items():
        if key.startswith(head):
            pid, name = key[len(head):].split(".", 1)
            state.setdefault(int(pid), {})[name] = value
    for pid, slots in meta.get("plain", {}).items():
        state.setdefault(int(pid), {}).update(slots)
    return {"state": state, "param_groups": meta["param_groups"]}
