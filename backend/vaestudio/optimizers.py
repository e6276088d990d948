"""A run's optimiser: Adam, AdamW or SGD, on PyTorch's fused kernel where the device has one.

On the CPU the default implementation updates the parameters one tensor at a time, several small
kernels for each: over a quarter of a digits MLP step. On a GPU the default groups the tensors but
still launches several kernels a step, and small models there are bound by launches already. The
fused kernel does the same update, the same math to float rounding, in one pass per parameter
list: 15-22 % more samples/s for the MLPs on the CPU and 3-5 % for the conv net
(bench/bench_optimizer.py, 1 and 2 threads). PyTorch has it on the CPU since 2.4; an older torch,
or a device without one, gets the default implementation.

The choice belongs to the machine, not to the run: a checkpoint's optimiser state records it in
its parameter groups, so loading one (a resume, the NaN recovery) keeps this machine's choice.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Iterable
from typing import Any

import torch

from vaestudio.train_config import TrainConfig

KINDS = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "sgd": torch.optim.SGD}


def fused_available(kind: type[torch.optim.Optimizer], device: torch.device) -> bool:
    """Whether this torch has a fused `kind` kernel for float tensors on `device`."""
    if "fused" not in inspect.signature(kind).parameters:
        return False
    try:  # the list PyTorch's optimisers check their parameters against
        from torch.utils._foreach_utils import _get_fused_kernels_supported_devices
    except ImportError:
        return False
    return device.type in _get_fused_kernels_supported_devices()


def make_optimizer(config: TrainConfig, params: Iterable[torch.nn.Parameter], device: torch.device
                   ) -> torch.optim.Optimizer:
    """config.optimizer over `params` (all on `device`), with config's lr, weight decay and momentum."""
    kind = KINDS[config.optimizer]
    options: dict = {"lr": config.lr, "weight_decay": config.weight_decay}
    if kind is torch.optim.SGD:
        options["momentum"] = config.momentum
    if fused_available(kind, device):
        options["fused"] = True
    return kind(params, **options)


def load_optimizer_state(optimizer: torch.optim.Optimizer, state: dict) -> None:
    """optimizer.load_state_dict(state), keeping this optimizer's implementation: the saved groups
    carry the saving machine's (a fused GPU run resumed where there is no fused kernel must not ask
    for one). The flags are set before loading, so that PyTorch places each Adam `step` counter
    where the implementation wants it (on the parameter's device for the fused kernel).

    `state` is copied first: PyTorch's load_state_dict keeps the given tensors wherever their
    device and dtype already fit, so the optimiser would update them in place, and a copy kept for
    later (the NaN recovery's last good state) would move on with training."""
    state = copy_state(state)
    ours = [{k: g[k] for k in ("fused", "foreach") if k in g} for g in optimizer.param_groups]
    groups = [{**saved, **keep} for saved, keep in zip(state["param_groups"], ours)]
    optimizer.load_state_dict({**state, "param_groups": groups})


def copy_state(state: Any) -> Any:
    """A copy of an optimiser's state_dict (or any tree of dicts, lists and tensors): every tensor
    cloned, everything else deep-copied. copy.deepcopy does the same but goes through each tensor's
    storage in Python, three times slower: 2.3 against 0.8 ms for the Adam state of the `shapes`
    MLP (2.2 M parameters), which the NaN recovery copies every second."""
    if isinstance(state, torch.Tensor):
        return state.detach().clone()
    if isinstance(state, dict):
        return {k: copy_state(v) for k, v in state.items()}
    if isinstance(state, (list, tuple)):
        return type(state)(copy_state(v) for v in state)
    return copy.deepcopy(state)
