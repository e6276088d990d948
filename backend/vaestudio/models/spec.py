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
from vaestudio.setting import Setting, choice, described, field_settings, int_list, integer, number

ARCHES = ("mlp", "conv", "custom")
LIKELIHOODS = ("bernoulli", "gaussian")
MAX_CLASSES = 1000
# Filled from the data set, never chosen by the user (run.new refuses them in `model`).
DATA_FIELDS = ("input_dim", "image_shape", "likelihood", "num_classes")

@dataclass
class ModelSpec:
    name: str = "vae"  # a key of models.registry.MODELS
    # The user-chosen keys carry their Setting (type, range, help): validate_spec checks them with it
    # and model.list describes them with it.
    latent_dim: int = described(2, integer(  # Z
        1, 256, "Width of the latent code z; for vq_vae the dimension of each code vector."))
    arch: str = described("mlp", choice(
        ARCHES, "Encoder and decoder networks: mlp (dense layers), conv (convolutions, image data only) or "
        "custom (the encoder and decoder layer lists)."))
    hidden: tuple[int, ...] = described((256, 128), int_list(
        1, 8192, "Widths of the MLP's hidden layers in encoder order (the decoder mirrors them); with arch conv, "
        "the last one is the width of the dense layer after the convolutions."))
    channels: tuple[int, ...] = described((32, 64), int_list(
        1, 1024, "Channels of the conv layers, one width per layer; the last is repeated while an image needs "
        "more halvings (arch conv only)."))
    encoder: list[dict] | None = described(None, Setting(  # see models/nets.py
        "layers", "The custom encoder's layers (arch custom), from the data to the features that mu and logvar "
        "are computed from.", nullable=True))
    decoder: list[dict] | None = described(None, Setting(
        "layers", "The custom decoder's layers (arch custom), from z to exactly the data's values per example.",
        nullable=True))
    image_shape: tuple[int, ...] = ()  # (h, w) or (h, w, c), channel-last like the data; () for vectors
    input_dim: int = 64  # D, values per example
    likelihood: str = "bernoulli"  # "bernoulli" (pixels in [0, 1]) or "gaussian" (fixed obs_sigma)
    obs_sigma: float = described(0.1, number(
        1e-6, 1e6, "Standard deviation of the Gaussian likelihood p(x|z); used on real-valued data only."))
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


def user_settings() -> dict[str, tuple[Setting, object]]:
    """{key: (Setting, default)} of the keys a user chooses: latent_dim, arch, hidden, channels,
    encoder, decoder, obs_sigma."""
    return field_settings(ModelSpec)
