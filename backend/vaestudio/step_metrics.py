"""A training step's scalars, read back to the host in one transfer.

On a GPU every `float(tensor)` waits for the device to finish everything queued so far; a step that
reads its loss, recon, KL, each extra and the gradient norm one by one stalls the device that many
times. Here they are stacked on the device (K,) and read with one `tolist()`, after an optional
in-place reduction across data-parallel ranks (distributed.average), so every rank reads the same
global values and takes the same decisions from them (skip a non-finite step, or not). On the CPU a
read waits for nothing, so there (`each=True`) every scalar is read by itself: a stack would only
add work (~26 us of a 1.4 ms digits step).
"""

from __future__ import annotations

from typing import Callable

import torch


def read_scalars(values: dict[str, torch.Tensor | float],
                 reduce: Callable[[torch.Tensor], None] | None = None, each: bool = False) -> dict[str, float]:
    """{name: 0-dim tensor or float} -> {name: float}, in the same order. The tensors cost one
    device -> host read together, or, `each` (tensors on the CPU, no reduction), one plain read
    each; plain floats (a model may report some) pass through untouched. It runs once a step, so it
    keeps to a few calls: a tiny model's step is ~0.5 ms of Python."""
    if each and reduce is None:
        return {k: v.item() if isinstance(v, torch.Tensor) else float(v) for k, v in values.items()}
    names, tensors, floats = [], [], {}
    for name, value in values.items():
        if isinstance(value, torch.Tensor):
            names.append(name)
            tensors.append(value)
        else:
            floats[name] = float(value)
    if not names:
        return floats
    # detached: no graph for the stack (cheaper than entering no_grad); bf16 and float32 terms promote
    packed = torch.stack([t.detach() for t in tensors]).float()  # (K,) on the device
    if reduce is not None:
        reduce(packed)
    read = dict(zip(names, packed.tolist()))  # the one read
    return {k: floats[k] if k in floats else read[k] for k in values} if floats else read
