"""A training step's scalars, read back to the host in one transfer.

On a GPU every `float(tensor)` waits for the device to finish everything queued so far; a step that
reads its loss, recon, KL, each extra and the gradient norm one by one stalls the device that many
times. Here they are stacked on the device (K,) and read with one `tolist()`, after an optional
in-place reduction across data-parallel ranks (distributed.average), so every rank reads the same
global values and takes the same decisions from them (skip a non-finite step, or not).
"""

from __future__ import annotations

from typing import Callable

import torch


def read_scalars(values: dict[str, torch.Tensor | float],
                 reduce: Callable[[torch.Tensor], None] | None = None) -> dict[str, float]:
    """{name: 0-dim tensor or float} -> {name: float}, in the same order. The tensors cost one
    device -> host read together; plain floats (a model may report some) pass through untouched."""
    names = [k for k, v in values.items() if torch.is_tensor(v)]
    out: dict[str, float] = {k: float(v) for k, v in values.items() if not torch.is_tensor(v)}
    if names:
        packed = torch.stack([values[k].detach().float().reshape(()) for k in names])  # (K,) on the device
        if reduce is not None:
            reduce(packed)
        out.update(zip(names, packed.tolist()))  # the one read
    return {k: out[k] for k in values}
