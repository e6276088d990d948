"""`ModelSpec`: everything needed to build any model of the zoo, as one JSON-able record.

Pure data, like nanoGPT's `GPTConfig` and pythae's `VAEConfig`. The caller fills the data-dependent
fields (`input_dim`, `image_shape`, `likelihood`, `num_classes`) from the data set; the user chooses
the rest. Checking a spec needs the registry (model names, each variant's parameters) and the
network builder (custom layer lists), so it lives there: `models.registry.validate_spec` returns
the complete, normalised recipe that a checkpoint's `config.json` records.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from typing import Any

from vaestudio import checks

ARCHES = ("mlp", "conv", "custom")
LIKELIHOODS = ("bernoulli", "gaussian")
MAX_CLASSES = 1000
# Filled from the data set, never chosen by the user (run.new refuses them in `model`).
DATA_FIELDS = ("input_dim", "image_shape", "likelihood", "num_classes")

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

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)  # deep-copies lists and dicts
        for key in ("hidden", "channels", "image_shape"):
            d[key] = list(d[key])
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ModelSpec":
        """A spec from a map with known keys only (checked; the values are checked by validate_spec)."""
        checks.mapping("a model config", data)
        checks.known_keys(data, field_names(), "model key(s)")
        data = copy.deepcopy(data)
        for key in ("hidden", "channels", "image_shape"):  # JSON lists back to the spec's tuples
            if isinstance(data.get(key), list):
                data[key] = tuple(data[key])
        return cls(**data)


def field_names() -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(ModelSpec))
