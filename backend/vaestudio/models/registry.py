"""The model registry: names -> classes, checking a `ModelSpec`, fitting it to a data set, building.

Validation lives here rather than on the spec because it needs what only the registry knows: the
model names, each variant's parameter record and the network builder's layer checks.
"""

from __future__ import annotations

import copy
import math
from typing import Any

from vaestudio import checks
from vaestudio.errors import ConfigError
from vaestudio.models.base import BaseVAE
from vaestudio.models.beta_tcvae import BetaTCVAE
from vaestudio.models.beta_vae import BetaVAE
from vaestudio.models.cvae import CVAE
from vaestudio.models.factor_vae import FactorVAE
from vaestudio.models.info_vae import InfoVAE
from vaestudio.models.iwae import IWAE
from vaestudio.models.nets import check_layer_specs
from vaestudio.models.spec import LIKELIHOODS, MAX_CLASSES, ModelSpec, user_settings
from vaestudio.models.vae import VAE
from vaestudio.models.vamp import VampVAE
from vaestudio.models.vq_vae import VQVAE

MODELS: dict[str, type[BaseVAE]] = {
    cls.name: cls for cls in (VAE, BetaVAE, CVAE, BetaTCVAE, FactorVAE, InfoVAE, IWAE, VampVAE, VQVAE)
}


def model_class(name: Any) -> type[BaseVAE]:
    if name not in MODELS:
        raise ConfigError(f"unknown model {name!r}; available: {', '.join(MODELS)}")
    return MODELS[name]


def validate_spec(spec: ModelSpec) -> ModelSpec:
    """A checked, normalised copy of `spec` (tuples, floats, the variant's full `params` with its
    defaults); raises ConfigError naming the first field that is not accepted."""
    s = copy.deepcopy(spec)
    cls = model_class(s.name)
    for key, (setting, _) in user_settings().items():
        if setting.type != "layers":  # the layer lists are checked below, with the arch
            setattr(s, key, setting.check(key, getattr(s, key)))
    s.image_shape = tuple(checks.integer("image_shape", v, 1, 4096) for v in _sequence("image_shape", s.image_shape))
    s.input_dim = checks.integer("input_dim", s.input_dim, 1, 10_000_000)
    checks.choice("likelihood", s.likelihood, LIKELIHOODS)
    s.num_classes = checks.integer("num_classes", s.num_classes, 0, MAX_CLASSES)

    if len(s.image_shape) not in (0, 2, 3):
        raise ConfigError(f"image_shape must be (h, w), (h, w, c) or () for vectors, got {list(s.image_shape)}")
    if s.image_shape and math.prod(s.image_shape) != s.input_dim:
        raise ConfigError(f"image_shape {list(s.image_shape)} holds {math.prod(s.image_shape)} values "
                          f"but input_dim is {s.input_dim}")
    if s.arch == "conv" and not s.image_shape:
        raise ConfigError("arch 'conv' needs image data (image_shape (h, w) or (h, w, c)); "
                          "this data is flat vectors, use arch 'mlp'")
    if s.arch == "custom":
        if s.encoder is None or s.decoder is None:
            raise ConfigError("arch 'custom' needs both 'encoder' and 'decoder' layer lists")
        check_layer_specs(s.encoder, "encoder")
        check_layer_specs(s.decoder, "decoder")
    elif s.encoder is not None or s.decoder is not None:
        raise ConfigError(f"'encoder'/'decoder' layer lists are only used with arch 'custom', not {s.arch!r}")
    if cls.conditional and s.num_classes < 1:
        raise ConfigError(f"model {s.name!r} is conditional on labels and needs num_classes >= 1; "
                          "choose a labelled data set")
    s.params = cls.check_params(checks.mapping("params", s.params))
    return s


def fit_spec(spec: ModelSpec, dataset: Any) -> ModelSpec:
    """`spec` with the data-dependent fields taken from `dataset` (a datasets.Dataset), validated.
    A model that weighs a batch against the whole training set (`needs_dataset_size`) gets its
    size here, unless the user set one."""
    spec = copy.deepcopy(spec)
    spec.input_dim = dataset.input_dim
    spec.image_shape = tuple(dataset.image_shape)
    spec.likelihood = dataset.likelihood
    spec.num_classes = dataset.num_classes
    if model_class(spec.name).needs_dataset_size and not spec.params.get("dataset_size"):
        spec.params = {**spec.params, "dataset_size": len(dataset.train_idx)}
    return validate_spec(spec)


def build_model(spec: ModelSpec) -> BaseVAE:
    """A freshly initialised model for `spec` (validated here; the caller's spec is not modified).
    Seed torch's global RNG first for reproducible weights."""
    spec = validate_spec(spec)
    return MODELS[spec.name](spec)


def list_models() -> list[dict[str, Any]]:
    """[{name, description, conditional, params: {name: default}}] in registry order."""
    return [{"name": cls.name, "description": cls.description, "conditional": cls.conditional,
             "params": cls.param_defaults()} for cls in MODELS.values()]


def _sequence(name: str, value: Any) -> tuple:
    if isinstance(value, (str, bytes, dict)) or not hasattr(value, "__iter__"):
        raise ConfigError(f"{name} must be a list of integers, got {value!r}")
    return tuple(value)
