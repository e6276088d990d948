"""The model zoo: one registry, one output record, every loss citing its paper and equation.

    from vaestudio.models import ModelSpec, build_model, list_models
    model = build_model(ModelSpec(name="beta_tcvae", input_dim=64, image_shape=(8, 8)))
    out = model(x, beta=1.0, generator=g)   # ModelOutput(loss, recon, kl, z, mu, logvar, extras)

One file per model (vae, beta_vae, cvae, beta_tcvae, factor_vae, info_vae, iwae, vamp, vq_vae);
base.py holds what they share, nets.py the MLP / conv / custom networks, spec.py the recipe (pure
data) and registry.py the names, the checks and the builder.
"""

from vaestudio.models.base import BaseVAE, ModelOutput
from vaestudio.models.registry import MODELS, build_model, fit_spec, list_models, validate_spec
from vaestudio.models.spec import ModelSpec

__all__ = ["BaseVAE", "MODELS", "ModelOutput", "ModelSpec", "build_model", "fit_spec", "list_models", "validate_spec"]
