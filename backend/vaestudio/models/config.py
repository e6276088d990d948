"""`ModelSpec`: everything needed to build any model of the zoo, as one JSON-able record.

The caller fills the data-dependent fields (`input_dim`, `image_shape`, `likelihood`,
`num_classes`) from the data set; the user chooses the rest. `validate()` checks every field,
checks the custom layer lists, and replaces `params` by the variant's full parameter set (unknown
keys raise, missing ones get their defaults), so a validated spec is the complete recipe that a
checkpoint's `config.json` records.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from vaestudio.config import ConfigError, check_known_keys

ARCHES = ("mlp", "conv", "custom")
LIKELIHOODS = ("bernoulli", "gaussian")
MAX_CLASSES = 1000


@dataclass
class ModelSpec:
    name: str = "vae"  # a key of models.registry.MODELS
    latent_dim: int = 2  # Z; for vq_vae the code (embedding) dimension
    arch: str = "mlp"  # "mlp" | "conv" | "custom"
    hidden: tuple[int, ...] = (256, 128)  # MLP widths (conv: the width of the dense layer after the convs)
    channels: tuple[int, ...] = (32, 64)  # conv widths, one per conv layer
    encoder: list[dict] | None = None  # custom encoder body (arch "custom"), see models/nets.py
    decoder: list[dict] | None = None  # custom decoder (arch "custom"), must end at input_dim values
    image_shape: tuple[int, ...] = ()  # (h, w) or (h, w, c), channel-last like the data; () for vectors
    input_dim: int = 64  # D, values per example
    likelihood: str = "bernoulli"  # "bernoulli" (pixels in [0, 1]) or "gaussian" (fixed obs_sigma)
    obs_sigma: float = 0.1
    num_classes: int = 0  # labels 0..num_classes-1; conditional models need > 0
    params: dict[str, Any] = field(default_factory=dict)  # the variant's hyper-parameters

    # ----- checks ----------------------------------------------------------------------------------
    def validate(self) -> None:
        """Raise ConfigError naming the first bad field; normalise tuples and fill `params`."""
        from vaestudio.models.nets import check_layer_specs  # late imports: nets and registry import us
        from vaestudio.models.registry import MODELS

        if self.name not in MODELS:
            raise ConfigError(f"unknown model {self.name!r}; available: {', '.join(MODELS)}")
        self.latent_dim = _int("latent_dim", self.latent_dim, 1, 256)
        if self.arch not in ARCHES:
            raise ConfigError(f"arch must be one of {list(ARCHES)}, got {self.arch!r}")
        self.hidden = _int_tuple("hidden", self.hidden, 1, 8192)
        self.channels = _int_tuple("channels", self.channels, 1, 1024)
        self.image_shape = tuple(_int("image_shape", s, 1, 4096) for s in _seq("image_shape", self.image_shape))
        self.input_dim = _int("input_dim", self.input_dim, 1, 10_000_000)
        if self.likelihood not in LIKELIHOODS:
            raise ConfigError(f"likelihood must be one of {list(LIKELIHOODS)}, got {self.likelihood!r}")
        if isinstance(self.obs_sigma, bool) or not isinstance(self.obs_sigma, (int, float)) or not self.obs_sigma > 0:
            raise ConfigError(f"obs_sigma must be a number > 0, got {self.obs_sigma!r}")
        self.obs_sigma = float(self.obs_sigma)
        self.num_classes = _int("num_classes", self.num_classes, 0, MAX_CLASSES)

        if len(self.image_shape) not in (0, 2, 3):
            raise ConfigError(f"image_shape must be (h, w), (h, w, c) or () for vectors, got {list(self.image_shape)}")
        if self.image_shape and math.prod(self.image_shape) != self.input_dim:
            raise ConfigError(
                f"image_shape {list(self.image_shape)} holds {math.prod(self.image_shape)} values "
                f"but input_dim is {self.input_dim}")
        if self.arch == "conv" and not self.image_shape:
            raise ConfigError("arch 'conv' needs image data (image_shape (h, w) or (h, w, c)); "
                              "this data is flat vectors, use arch 'mlp'")
        if self.arch == "custom":
            if self.encoder is None or self.decoder is None:
                raise ConfigError("arch 'custom' needs both 'encoder' and 'decoder' layer lists")
            check_layer_specs(self.encoder, "encoder")
            check_layer_specs(self.decoder, "decoder")
        elif self.encoder is not None or self.decoder is not None:
            raise ConfigError(f"'encoder'/'decoder' layer lists are only used with arch 'custom', not {self.arch!r}")

        cls = MODELS[self.name]
        if cls.conditional and self.num_classes < 1:
            raise ConfigError(f"model {self.name!r} is conditional on labels and needs num_classes >= 1; "
                              "choose a labelled data set")
        if not isinstance(self.params, dict):
            raise ConfigError(f"params must be a mapping, got {type(self.params).__name__}")
        self.params = cls.check_params(self.params)

    # ----- JSON ------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)  # deep-copies lists and dicts
        for key in ("hidden", "channels", "image_shape"):
            d[key] = list(d[key])
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ModelSpec":
        check_known_keys(cls, data, "model")
        spec = cls(**copy.deepcopy(data))
        spec.validate()
        return spec


def _int(name: str, value: Any, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        raise ConfigError(f"{name} must be an integer, got {value!r}")
    if not lo <= value <= hi:
        raise ConfigError(f"{name} must be between {lo} and {hi}, got {value!r}")
    return int(value)


def _seq(name: str, value: Any) -> tuple:
    if isinstance(value, (str, bytes, dict)) or not hasattr(value, "__iter__"):
        raise ConfigError(f"{name} must be a list of integers, got {value!r}")
    return tuple(value)


def _int_tuple(name: str, value: Any, lo: int, hi: int) -> tuple[int, ...]:
    items = _seq(name, value)
    if not items:
        raise ConfigError(f"{name} must list at least one width")
    return tuple(_int(name, v, lo, hi) for v in items)
