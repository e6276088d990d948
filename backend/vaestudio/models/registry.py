"""The model registry: names -> classes, building from a `ModelSpec`, and the `model.list` answer."""

from __future__ import annotations

from typing import Any

from vaestudio.config import ConfigError
from vaestudio.models.base import BaseVAE
from vaestudio.models.beta_tcvae import BetaTCVAE
from vaestudio.models.beta_vae import BetaVAE
from vaestudio.models.config import ModelSpec
from vaestudio.models.cvae import CVAE
from vaestudio.models.factor_vae import FactorVAE
from vaestudio.models.info_vae import InfoVAE
from vaestudio.models.iwae import IWAE
from vaestudio.models.vae import VAE
from vaestudio.models.vamp import VampVAE
from vaestudio.models.vq_vae import VQVAE

MODELS: dict[str, type[BaseVAE]] = {
    cls.name: cls for cls in (VAE, BetaVAE, CVAE, BetaTCVAE, FactorVAE, InfoVAE, IWAE, VampVAE, VQVAE)
}


def build_model(spec: ModelSpec) -> BaseVAE:
    """A freshly initialised model for `spec` (validated here; the caller's spec is not modified).
    Seed torch's global RNG first for reproducible weights."""
    if spec.name not in MODELS:
        raise ConfigError(f"unknown model {spec.name!r}; available: {', '.join(MODELS)}")
    return MODELS[spec.name](spec)


def list_models() -> list[dict[str, Any]]:
    """[{name, description, conditional, params: {name: default}}] in registry order."""
    return [{"name": cls.name, "description": cls.description, "conditional": cls.conditional,
             "params": cls.param_defaults()} for cls in MODELS.values()]
