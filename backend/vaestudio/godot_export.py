"""The `godot` export item: the decoder as one safetensors file that Godot runs with no Python.

`godot/decoder.safetensors` holds the decoder's weights (float32, under their state-dict names) and,
in the safetensors `__metadata__` (str -> str), `"format": "vaestudio-decoder"` and `"vaestudio"`: one
JSON string with the architecture, an ordered list of plain layers with their tensor names and
hyper-parameters. protocol/README.md ("The decoder file") specifies it; the reader is
godot_client/addons/vaestudio/vae_studio_decoder.gd.

The layer list is read off the live modules (not the spec), walked in forward order with a dummy
batch so every layer records its per-example input and output shape. What eval mode makes simple
is simplified here: dropout is left out, batch norm is folded into a per-channel scale and shift,
Flatten/Unflatten become `reshape` (activations travel flat in C order, so they move no data).
A module the format cannot express raises ExportError naming it.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.numpy import save
from torch import nn

from vaestudio.errors import UserError
from vaestudio.models.nets import Crop
from vaestudio.runs import write_atomic

FORMAT = "vaestudio-decoder"
FORMAT_VERSION = 1
PATH = "godot/decoder.safetensors"  # relative to the run folder


class ExportError(UserError):
    """The decoder holds something the Godot decoder format cannot express."""


def write_godot_decoder(folder: Path, model) -> str:
    """Writes `folder`/godot/decoder.safetensors for `model` (a BaseVAE); returns PATH."""
    tensors, meta = decoder_file(model)
    data = save(tensors, metadata={"format": FORMAT, "vaestudio": json.dumps(meta)})
    out = folder / PATH
    out.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(out, data)
    return PATH


@torch.no_grad()
def decoder_file(model) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """(tensors by name, the architecture record) for `model`'s decoder, as the file holds them."""
    was_training = model.training
    model.eval()  # batch norm uses its running statistics, dropout is off: what decode() does
    try:
        spec = model.spec
        image_shape = list(spec.image_shape)
        if len(image_shape) == 2:
            image_shape.append(1)  # (h, w) grey -> (h, w, 1): one layout for every image
        in_dim = model.latent_dim + model.num_classes
        tensors: dict[str, np.ndarray] = {}
        layers = _walk(model.decoder.body, in_dim, tensors)
        body_out = layers[-1]["out_shape"] if layers else [in_dim]
        if model.decoder.image_out and body_out != [image_shape[2], image_shape[0], image_shape[1]]:
            raise AssertionError(f"decoder ends at {body_out}, not the image {image_shape}")  # nets checks this
        codebook = getattr(model, "codebook", None)
        if codebook is not None:  # VQ-VAE: decode(z) decodes z's nearest code (vq_vae.py)
            tensors["codebook"] = _f32(codebook)
        meta = {
            "format_version": FORMAT_VERSION,
            "model": spec.name,
            "latent_dim": model.latent_dim,
            "conditional": bool(model.conditional),
            "num_classes": model.num_classes,
            "likelihood": spec.likelihood,
            "output": _output_map(spec.likelihood, bool(image_shape)),
            "image_shape": image_shape,
            "output_dim": spec.input_dim,
            "body_output": "chw" if model.decoder.image_out else "flat",
            "codebook": "codebook" if codebook is not None else None,
            "layers": layers,
        }
        return tensors, meta
    finally:
        model.train(was_training)


def _output_map(likelihood: str, is_image: bool) -> str:
    """How the last layer's values become what the server's `decode` returns: BaseVAE.decode for
    images (sigmoid, or the Gaussian mean clipped to [0, 1]); InferenceModel.values for vectors
    (sigmoid, or the Gaussian mean as it is)."""
    if likelihood == "bernoulli":
        return "sigmoid"
    return "clamp01" if is_image else "identity"


def _modules(module: nn.Module, prefix: str):
    """(state-dict path, leaf module) in forward order; nested Sequentials are opened."""
    if isinstance(module, nn.Sequential):
        for name, child in module.named_children():
            yield from _modules(child, f"{prefix}.{name}")
    else:
        yield prefix, module


def _walk(body: nn.Module, in_dim: int, tensors: dict[str, np.ndarray]) -> list[dict[str, Any]]:
    layers = []
    x = torch.zeros(1, in_dim)  # one example: shapes below leave the batch dimension out
    for path, module in _modules(body, "decoder.body"):
        entry = _describe(module, path, list(x.shape[1:]), tensors)  # raises before running what it cannot run
        y = module(x)
        if entry is not None:
            entry.update(in_shape=list(x.shape[1:]), out_shape=list(y.shape[1:]))
            layers.append(entry)
        x = y
    return layers


def _f32(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().to(torch.float32).contiguous().numpy()


def _pair(v: Any) -> list[int]:
    return [int(v), int(v)] if isinstance(v, int) else [int(s) for s in v]


def _weights(module: nn.Module, path: str, tensors: dict[str, np.ndarray]) -> dict[str, str | None]:
    tensors[f"{path}.weight"] = _f32(module.weight)
    if module.bias is not None:
        tensors[f"{path}.bias"] = _f32(module.bias)
    return {"weight": f"{path}.weight", "bias": f"{path}.bias" if module.bias is not None else None}


def _unsupported(path: str, module: nn.Module, what: str) -> ExportError:
    return ExportError(f"the Godot decoder cannot run decoder layer {path} ({module!r}): {what}")


def _conv_checks(module: nn.Module, path: str) -> None:
    if module.groups != 1 or _pair(module.dilation) != [1, 1] or module.padding_mode != "zeros" \
            or isinstance(module.padding, str):
        raise _unsupported(path, module, "only groups=1, dilation=1 and zero padding given as numbers are "
                                         "supported")


def _describe(m: nn.Module, path: str, in_shape: list[int], tensors: dict[str, np.ndarray]) -> dict[str, Any] | None:
    """One layer record (weights into `tensors`), or None for an identity (dropout)."""
    if isinstance(m, nn.Linear):
        return {"type": "linear", "in": m.in_features, "out": m.out_features, **_weights(m, path, tensors)}
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        _conv_checks(m, path)
        entry = {"type": "conv2d" if isinstance(m, nn.Conv2d) else "conv_transpose2d",
                 "in_channels": m.in_channels, "out_channels": m.out_channels, "kernel": _pair(m.kernel_size),
                 "stride": _pair(m.stride), "padding": _pair(m.padding), **_weights(m, path, tensors)}
        if isinstance(m, nn.ConvTranspose2d):
            entry["output_padding"] = _pair(m.output_padding)
        return entry
    if isinstance(m, nn.Upsample):
        return _upsample(m, path, in_shape)
    if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
        if m.running_mean is None or m.running_var is None:
            raise _unsupported(path, m, "batch norm without running statistics (track_running_stats=False) "
                                        "normalises by the batch, which one decoded example does not have")
        # eval: y = (x - mean) / sqrt(var + eps) * gamma + beta = x * scale + shift, per channel
        scale = 1.0 / torch.sqrt(m.running_var.double() + m.eps)
        if m.weight is not None:
            scale = scale * m.weight.double()
        shift = -m.running_mean.double() * scale
        if m.bias is not None:
            shift = shift + m.bias.double()
        tensors[f"{path}.scale"], tensors[f"{path}.shift"] = _f32(scale), _f32(shift)
        return {"type": "batchnorm", "channels": m.num_features, "scale": f"{path}.scale", "shift": f"{path}.shift"}
    if isinstance(m, nn.LayerNorm):
        entry: dict[str, Any] = {"type": "layernorm", "group": math.prod(m.normalized_shape), "eps": m.eps,
                                 "weight": None, "bias": None}
        if m.weight is not None:
            entry.update(_weights(m, path, tensors))
        return entry
    if isinstance(m, (nn.Flatten, nn.Unflatten)):
        return {"type": "reshape"}
    if isinstance(m, Crop):
        return {"type": "crop", "height": m.h, "width": m.w}
    if isinstance(m, nn.Dropout):
        return None  # identity in eval mode
    return _activation(m, path)


def _upsample(m: nn.Upsample, path: str, in_shape: list[int]) -> dict[str, Any]:
    if m.size is not None or m.scale_factor is None or m.recompute_scale_factor:
        raise _unsupported(path, m, "give scale_factor (not size, nor recompute_scale_factor)")
    factors = m.scale_factor if isinstance(m.scale_factor, tuple) else (m.scale_factor, m.scale_factor)
    if any(float(f) != int(f) or f < 1 for f in factors):
        raise _unsupported(path, m, "only whole scale factors are supported")
    if m.mode not in ("nearest", "bilinear") or len(in_shape) != 3:
        raise _unsupported(path, m, "only nearest and bilinear upsampling of (channels, height, width) maps "
                                    "are supported")
    return {"type": "upsample", "mode": m.mode, "scale": [int(f) for f in factors],
            "align_corners": bool(m.align_corners)}  # None (the default) behaves as False


def _activation(m: nn.Module, path: str) -> dict[str, Any]:
    if isinstance(m, nn.ReLU):
        return {"type": "relu"}
    if isinstance(m, nn.Tanh):
        return {"type": "tanh"}
    if isinstance(m, nn.Sigmoid):
        return {"type": "sigmoid"}
    if isinstance(m, nn.GELU):
        return {"type": "gelu", "approximate": m.approximate}  # "none": exact erf; "tanh"
    if isinstance(m, nn.ELU):
        return {"type": "elu", "alpha": float(m.alpha)}
    if isinstance(m, nn.LeakyReLU):
        return {"type": "leaky_relu", "slope": float(m.negative_slope)}
    raise _unsupported(path, m, "this layer type is not in the Godot decoder format; it runs Linear, Conv2d, "
                                "ConvTranspose2d, Upsample, BatchNorm, LayerNorm, Dropout, Flatten, Unflatten, "
                                "Crop, ReLU, LeakyReLU, ELU, GELU, Tanh and Sigmoid")
