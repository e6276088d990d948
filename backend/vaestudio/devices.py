"""Picking the torch device: `auto` prefers CUDA, then Apple's MPS, then the CPU."""

from __future__ import annotations

import contextlib

import torch

from vaestudio import distributed
from vaestudio.errors import ConfigError


def resolve_device(name: str) -> torch.device:
    """The device `name` means here; in a data-parallel run a CUDA device is this process's own
    GPU, number LOCAL_RANK (distributed.py)."""
    device = _resolve(name)
    ranks = distributed.current()
    if device.type == "cuda" and device.index is None and ranks.parallel:
        device = torch.device("cuda", ranks.local_rank)
    return device


def _resolve(name: str) -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device 'cuda' was asked for but torch sees no CUDA GPU; use 'auto' or 'cpu'")
    if name == "mps" and not (getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()):
        raise ConfigError("device 'mps' was asked for but this machine has no Apple GPU; use 'auto' or 'cpu'")
    return torch.device(name)


def autocast(device: torch.device, enabled: bool):
    """bf16 autocast on GPUs (no loss scaling needed for bf16); a no-op on the CPU."""
    if enabled and device.type in ("cuda", "mps"):
        return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()
