"""Encoder and decoder networks: MLP, convolutional, and custom ones built from layer specs.

Every encoder maps flat data x (B, D) to features (B, H); the model adds its own heads (mu, logvar).
Every decoder maps a latent (B, Z') to (B, D) values: Bernoulli logits or the Gaussian mean.

Images travel flat and **channel-last**, exactly as the data sets store them: a (h, w, c) image is
x.view(B, h, w, c). Convolutions want (B, c, h, w), so `to_image`/`from_image` permute on the way
in and out.

Conditioning (CVAE): the encoder gets the one-hot label (B, C) concatenated to its input features -
to x itself for flat inputs, or as C constant extra image channels for convolutional inputs - and
the decoder gets it concatenated to z, so the decoder's input is (B, Z + C).

Custom layer specs are lists of dicts, e.g. `{"type": "conv", "out": 32, "kernel": 4, "stride": 2,
"padding": 1}`; see LAYER_KEYS for every type and key. A custom encoder starts on the image
(B, c, h, w) when its first shape-bearing layer is a conv/deconv/upsample, else on flat (B, D); its
output is flattened. A custom decoder starts on flat (B, Z'), and must end with exactly D values
per example, either flat (D,) or as the image (c, h, w). Shapes are checked by a dry run with a
dummy batch, so a mismatch names the layer and the shapes that met.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from vaestudio.errors import ConfigError
from vaestudio.setting import Setting, choice, flag, int_list, integer, number

REQUIRED = object()
MAX_LAYERS = 64
MAX_WIDTH = 8192
MAX_KERNEL = 64  # kernel sizes, strides, paddings and scales are small integers
MAX_VALUES_PER_EXAMPLE = 1 << 22  # a dry-run guard against specs that would exhaust memory


def _out(what: str) -> Setting:
    return integer(1, MAX_WIDTH, f"Output {what} of the layer.", required=True)


_KERNEL = integer(1, MAX_KERNEL, "Side of the square kernel.", unit="pixels")

# type -> {key: (Setting, default)}: each key's check and its description for the layer editor
# (model.list "layers"); REQUIRED keys have no default.
LAYER_KEYS: dict[str, dict[str, tuple[Setting, Any]]] = {
    "linear": {"out": (_out("features"), REQUIRED), "bias": (flag("Add a learned bias to each output."), True)},
    "conv": {"out": (_out("channels"), REQUIRED), "kernel": (_KERNEL, 3),
             "stride": (integer(1, MAX_KERNEL, "Step between kernel positions; 2 halves height and width."), 1),
             "padding": (integer(0, MAX_KERNEL, "Zero pixels added on each side of the input.", unit="pixels"), 0)},
    "deconv": {"out": (_out("channels"), REQUIRED), "kernel": (_KERNEL, 4),
               "stride": (integer(1, MAX_KERNEL, "Upsampling factor; 2 doubles height and width."), 2),
               "padding": (integer(0, MAX_KERNEL, "Rows and columns trimmed from each side of the output.",
                                   unit="pixels"), 1),
               "output_padding": (integer(0, MAX_KERNEL, "Extra rows and columns added to the output's bottom "
                                                         "and right, to reach odd sizes.", unit="pixels"), 0)},
    "upsample": {"scale": (integer(1, MAX_KERNEL, "Factor that height and width are multiplied by."), 2),
                 "mode": (choice(("nearest", "bilinear"), "How the new pixels are filled: nearest (copies of "
                                                           "their neighbour) or bilinear (interpolated)."), "nearest")},
    "relu": {}, "gelu": {}, "tanh": {}, "elu": {},
    "leaky_relu": {"slope": (number(-100.0, 100.0, "Slope of the activation for negative inputs."), 0.2)},
    "batchnorm": {}, "layernorm": {},
    "dropout": {"p": (number(0.0, 0.99, "Probability that a value is zeroed while training."), 0.1)},
    "flatten": {},
    "unflatten": {"shape": (int_list(1, MAX_WIDTH, "The shape to fold flat features into, e.g. [64, 4, 4] for "
                                                   "(channels, height, width).", items=(1, 3), required=True),
                            REQUIRED)},
}
IMAGE_LAYERS = ("conv", "deconv", "upsample")
FLAT_LAYERS = ("linear",)


# ----- layer specs -----------------------------------------------------------------------------------
def check_layer_specs(specs: Any, where: str) -> list[dict[str, Any]]:
    """Static checks (types, keys, values); returns the specs with defaults filled in."""
    if not isinstance(specs, (list, tuple)) or not specs:
        raise ConfigError(f"{where} must be a non-empty list of layer specs like {{'type': 'linear', 'out': 128}}")
    if len(specs) > MAX_LAYERS:
        raise ConfigError(f"{where} has {len(specs)} layers; at most {MAX_LAYERS} are accepted")
    out = []
    for i, layer in enumerate(specs):
        if not isinstance(layer, dict) or "type" not in layer:
            raise ConfigError(f"{where} layer {i} must be a mapping with a 'type' key, got {layer!r}")
        kind = layer["type"]
        if kind not in LAYER_KEYS:
            raise ConfigError(f"{where} layer {i}: unknown type {kind!r}; accepted: {', '.join(LAYER_KEYS)}")
        keys = LAYER_KEYS[kind]
        extra = sorted(set(layer) - set(keys) - {"type"})
        if extra:
            raise ConfigError(f"{where} layer {i} ({kind}): unknown key(s) {extra}; accepted: {sorted(keys) or 'none'}")
        full: dict[str, Any] = {"type": kind}
        for key, (setting, default) in keys.items():
            if key not in layer:
                if default is REQUIRED:
                    raise ConfigError(f"{where} layer {i} ({kind}): missing key {key!r}")
                full[key] = default
            else:
                value = setting.check(f"{where} layer {i} ({kind}): {key!r}", layer[key])
                full[key] = list(value) if isinstance(value, tuple) else value
        out.append(full)
    return out


def _make_layer(layer: dict[str, Any], shape: tuple[int, ...], label: str) -> nn.Module:
    """One module for `layer`, given the per-example input shape (the batch dimension left out)."""
    kind = layer["type"]
    if kind in FLAT_LAYERS and len(shape) != 1:
        raise ConfigError(f"{label} needs flat features but its input has shape {list(shape)}; "
                          "add {'type': 'flatten'} before it")
    if kind in IMAGE_LAYERS and len(shape) != 3:
        raise ConfigError(f"{label} needs (channels, height, width) input but its input has shape {list(shape)}; "
                          "add {'type': 'unflatten', 'shape': [c, h, w]} before it")
    if kind == "linear":
        return nn.Linear(shape[0], layer["out"], bias=layer["bias"])
    if kind == "conv":
        return nn.Conv2d(shape[0], layer["out"], layer["kernel"], layer["stride"], layer["padding"])
    if kind == "deconv":
        return nn.ConvTranspose2d(shape[0], layer["out"], layer["kernel"], layer["stride"], layer["padding"],
                                  layer["output_padding"])
    if kind == "upsample":
        return nn.Upsample(scale_factor=layer["scale"], mode=layer["mode"])
    if kind == "leaky_relu":
        return nn.LeakyReLU(layer["slope"])
    if kind in ("relu", "gelu", "tanh", "elu"):
        return {"relu": nn.ReLU, "gelu": nn.GELU, "tanh": nn.Tanh, "elu": nn.ELU}[kind]()
    if kind == "batchnorm":
        if len(shape) not in (1, 3):
            raise ConfigError(f"{label} needs flat or (c, h, w) input, got shape {list(shape)}")
        return nn.BatchNorm1d(shape[0]) if len(shape) == 1 else nn.BatchNorm2d(shape[0])
    if kind == "layernorm":  # normalises over everything but the batch dimension
        return nn.LayerNorm(list(shape))
    if kind == "dropout":
        return nn.Dropout(layer["p"])
    if kind == "flatten":
        return nn.Flatten(1)
    if kind == "unflatten":
        if len(shape) != 1 or math.prod(layer["shape"]) != shape[0]:
            raise ConfigError(f"{label} cannot reshape input of shape {list(shape)} into {layer['shape']} "
                              f"({math.prod(layer['shape'])} values)")
        return nn.Unflatten(1, tuple(layer["shape"]))
    raise AssertionError(kind)  # check_layer_specs has rejected every other type


def build_layers(specs: Any, in_shape: tuple[int, ...], where: str) -> tuple[nn.Sequential, tuple[int, ...]]:
    """Build `specs` for per-example input `in_shape`, dry-running a dummy batch of 2 through each layer."""
    specs = check_layer_specs(specs, where)
    layers: list[nn.Module] = []
    shape = tuple(in_shape)
    for i, layer in enumerate(specs):
        label = f"{where} layer {i} ({layer['type']})"
        module = _make_layer(layer, shape, label)
        module.eval()
        try:
            with torch.no_grad():
                out = module(torch.zeros(2, *shape))
        except RuntimeError as exc:
            reason = str(exc).splitlines()[0]
            raise ConfigError(f"{label} cannot take input of shape {list(shape)}: {reason}") from None
        new_shape = tuple(out.shape[1:])
        if math.prod(new_shape) > MAX_VALUES_PER_EXAMPLE or 0 in new_shape:
            raise ConfigError(f"{label} turns input of shape {list(shape)} into shape {list(new_shape)}, "
                              f"which is empty or over {MAX_VALUES_PER_EXAMPLE} values per example")
        shape = new_shape
        layers.append(module)
    return nn.Sequential(*layers), shape


# ----- image layout ----------------------------------------------------------------------------------
def image_chw(image_shape: tuple[int, ...]) -> tuple[int, int, int] | None:
    """(h, w) or (h, w, c) -> (c, h, w); () -> None."""
    if not image_shape:
        return None
    h, w = image_shape[:2]
    c = image_shape[2] if len(image_shape) == 3 else 1
    return c, h, w


def to_image(x: torch.Tensor, chw: tuple[int, int, int]) -> torch.Tensor:
    """(B, D) channel-last flat -> (B, c, h, w)."""
    c, h, w = chw
    return x.view(x.shape[0], h, w, c).permute(0, 3, 1, 2)


def from_image(img: torch.Tensor) -> torch.Tensor:
    """(B, c, h, w) -> (B, D) channel-last flat, the data's layout."""
    return img.permute(0, 2, 3, 1).reshape(img.shape[0], -1)


class Crop(nn.Module):
    """Keeps the top-left (h, w) of a feature map: transposed convs double sizes, so odd ones overshoot."""

    def __init__(self, h: int, w: int):
        super().__init__()
        self.h, self.w = h, w

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, :, : self.h, : self.w]


# ----- the two modules the models use ----------------------------------------------------------------
class Encoder(nn.Module):
    """x (B, D) [+ one-hot (B, C)] -> features (B, out_features)."""

    def __init__(self, body: nn.Module, out_features: int, chw: tuple[int, int, int] | None):
        super().__init__()
        self.body = body
        self.out_features = out_features
        self.chw = chw  # set when the body wants images

    def forward(self, x: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        if self.chw is not None:
            h = to_image(x, self.chw)  # (B, c, h, w)
            if cond is not None:  # the label as constant extra channels: (B, c + C, h, w)
                planes = cond[:, :, None, None].expand(-1, -1, h.shape[2], h.shape[3])
                h = torch.cat([h, planes], dim=1)
        else:
            h = x if cond is None else torch.cat([x, cond], dim=1)  # (B, D + C)
        return self.body(h).flatten(1)  # (B, H)


class Decoder(nn.Module):
    """z (B, Z') -> (B, D) logits or means, in the data's channel-last layout."""

    def __init__(self, body: nn.Module, image_out: bool):
        super().__init__()
        self.body = body
        self.image_out = image_out

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        out = self.body(z)
        return from_image(out) if self.image_out else out.flatten(1)


def mlp(sizes: list[int], final_activation: bool) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if final_activation or i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def _conv_plan(chw: tuple[int, int, int], channels: tuple[int, ...]) -> list[tuple[int, int]]:
    """[(out_channels, stride), ...]: stride 2 while the larger side exceeds 4, one layer per width,
    repeating the last width when an image needs more halvings than widths were given."""
    _, h, w = chw
    plan = []
    i = 0
    while i < len(channels) or max(h, w) > 4:
        stride = 2 if max(h, w) > 4 else 1
        plan.append((channels[min(i, len(channels) - 1)], stride))
        if stride == 2:
            h, w = (h + 1) // 2, (w + 1) // 2  # kernel 3, padding 1: ceil(s / 2)
        i += 1
    return plan


def build_encoder(spec, cond_dim: int) -> Encoder:
    """The encoder for `spec`'s arch; `cond_dim` extra one-hot inputs for conditional models (else 0)."""
    chw = image_chw(spec.image_shape)
    if spec.arch == "mlp":
        hidden = list(spec.hidden)
        return Encoder(mlp([spec.input_dim + cond_dim, *hidden], final_activation=True), hidden[-1], None)
    if spec.arch == "conv":
        c, h, w = chw
        layers: list[nn.Module] = []
        cin = c + cond_dim
        for cout, stride in _conv_plan(chw, spec.channels):
            layers += [nn.Conv2d(cin, cout, 3, stride, 1), nn.ReLU()]
            cin = cout
            if stride == 2:
                h, w = (h + 1) // 2, (w + 1) // 2
        layers += [nn.Flatten(1), nn.Linear(cin * h * w, spec.hidden[-1]), nn.ReLU()]
        return Encoder(nn.Sequential(*layers), spec.hidden[-1], chw)
    # custom: start on the image if the first shape-bearing layer wants one
    shape_bearing = IMAGE_LAYERS + FLAT_LAYERS + ("flatten", "unflatten")
    first = next((layer["type"] for layer in spec.encoder if layer.get("type") in shape_bearing), None)
    image_in = first in IMAGE_LAYERS
    if image_in and chw is None:
        raise ConfigError(f"the custom encoder starts with a {first!r} layer, which needs image data; "
                          "this data is flat vectors")
    in_shape = (chw[0] + cond_dim, chw[1], chw[2]) if image_in else (spec.input_dim + cond_dim,)
    body, shape = build_layers(spec.encoder, in_shape, "encoder")
    return Encoder(body, math.prod(shape), chw if image_in else None)


def build_decoder(spec, in_dim: int) -> Decoder:
    """The decoder for `spec`'s arch, from `in_dim` = Z (+ C for conditional models) to D values."""
    chw = image_chw(spec.image_shape)
    if spec.arch == "mlp":
        return Decoder(mlp([in_dim, *reversed(spec.hidden), spec.input_dim], final_activation=False), False)
    if spec.arch == "conv":
        c, h, w = chw
        plan = _conv_plan(chw, spec.channels)
        for _, stride in plan:
            if stride == 2:
                h, w = (h + 1) // 2, (w + 1) // 2
        top = plan[-1][0]
        layers: list[nn.Module] = [nn.Linear(in_dim, spec.hidden[-1]), nn.ReLU(),
                                   nn.Linear(spec.hidden[-1], top * h * w), nn.ReLU(), nn.Unflatten(1, (top, h, w))]
        # mirror the encoder: each stride-2 conv becomes a transposed conv that doubles the size
        for i in range(len(plan) - 1, -1, -1):
            cin, stride = plan[i]
            cout = plan[i - 1][0] if i > 0 else plan[0][0]
            conv = nn.ConvTranspose2d(cin, cout, 4, 2, 1) if stride == 2 else nn.Conv2d(cin, cout, 3, 1, 1)
            layers += [conv, nn.ReLU()]
        layers += [nn.Conv2d(plan[0][0], c, 3, 1, 1), Crop(chw[1], chw[2])]  # (B, c, h, w)
        return Decoder(nn.Sequential(*layers), True)
    body, shape = build_layers(spec.decoder, (in_dim,), "decoder")
    if len(shape) == 3:
        if chw is None or shape != chw:
            raise ConfigError(f"the custom decoder ends with shape {list(shape)} but the data needs "
                              f"{list(chw) if chw else [spec.input_dim]} (channels, height, width)")
        return Decoder(body, True)
    if math.prod(shape) != spec.input_dim or len(shape) != 1:
        raise ConfigError(f"the custom decoder ends with shape {list(shape)} but the data needs "
                          f"{spec.input_dim} values per example; "
                          f"end with {{'type': 'linear', 'out': {spec.input_dim}}}")
    return Decoder(body, False)
