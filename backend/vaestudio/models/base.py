"""`BaseVAE`: what every model of the zoo shares, and the plain VAE objective the variants modify.

Kingma & Welling (2014), "Auto-Encoding Variational Bayes": q(z|x) = N(mu(x), diag(exp(logvar(x)))),
prior p(z) = N(0, I), decoder p(x|z) Bernoulli (pixels in [0, 1]) or Gaussian with fixed std
`obs_sigma`. Every loss term is **summed over pixels / latent dimensions and averaged over the
batch** (nats per example).

Every forward pass returns one `ModelOutput`. Its `kl` is the regulariser as shown to the user (the
KL for the plain VAE; the variant's whole regularising term otherwise) and, unless a model's
docstring says otherwise, `loss = recon + beta * kl`, so the live `beta` weighs the regulariser and
beta = 1 gives the paper's objective.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from vaestudio import checks
from vaestudio.errors import ConfigError
from vaestudio.models.spec import ModelSpec
from vaestudio.models.nets import build_decoder, build_encoder
from vaestudio.setting import check_fields, field_settings

LOG_2PI = math.log(2 * math.pi)
LOGVAR_RANGE = (-30.0, 20.0)  # exp() of either end is finite in float32
IW_CHUNK_ROWS = 2048  # decoder rows per chunk in importance_nll: bounds memory for large k


@dataclass
class ModelOutput:
    """What every forward pass returns (scalars are batch means, nats per example)."""

    loss: torch.Tensor  # scalar to backpropagate
    recon: torch.Tensor  # scalar: -log p(x|z), summed over pixels, averaged over the batch
    kl: torch.Tensor  # scalar: the regulariser as reported to the user
    z: torch.Tensor  # (B, Z) the latent the decoder saw
    mu: torch.Tensor  # (B, Z)
    logvar: torch.Tensor  # (B, Z)
    # Variant-specific terms for display: 0-dim tensors, detached (the trainer reads them back with
    # the loss, in one transfer: step_metrics.py), or plain floats the host knows already.
    extras: dict[str, torch.Tensor | float] = field(default_factory=dict)


@dataclass
class NoParams:
    """A variant's hyper-parameters: each field `described` with its Setting (type, range, help),
    which both checks it (check_params) and describes it to clients (model.list)."""


def gaussian_log_density(z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """log N(z; mu, diag(exp(logvar))) per dimension; broadcasts, no reduction."""
    return -0.5 * (LOG_2PI + logvar + (z - mu).pow(2) * torch.exp(-logvar))


def kl_standard_normal(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, diag(exp(logvar))) || N(0, I)) per dimension, (B, Z) -> (B, Z).

    Closed form of Kingma & Welling (2014), Appendix B:
        -KL = 1/2 * sum_j (1 + log sigma_j^2 - mu_j^2 - sigma_j^2)
    """
    return -0.5 * (1 + logvar - mu.pow(2) - logvar.exp())


def reparameterize(mu: torch.Tensor, logvar: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """z = mu + sigma * eps, eps ~ N(0, I) (Kingma & Welling 2014, Sec. 2.4)."""
    eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype, device=mu.device)
    return mu + eps * torch.exp(0.5 * logvar)


class BaseVAE(nn.Module):
    name = "base"
    description = ""
    conditional = False  # encoder and decoder see the class label
    needs_dataset_size = False  # its estimator weighs a batch against the training set (params.dataset_size)
    Params: type = NoParams

    # ----- hyper-parameters ------------------------------------------------------------------------
    @classmethod
    def param_defaults(cls) -> dict[str, Any]:
        return dataclasses.asdict(cls.Params())

    @classmethod
    def check_params(cls, params: dict[str, Any]) -> dict[str, Any]:
        """`params` with defaults filled in, each checked against its field's Setting (ints become
        floats where floats are wanted); unknown keys raise ConfigError."""
        fields = field_settings(cls.Params)
        checks.known_keys(params, sorted(fields), "parameter(s)", f" for model {cls.name!r}")
        hp = cls.Params(**{key: params.get(key, default) for key, (_, default) in fields.items()})
        return check_fields(hp, f"model {cls.name!r}: parameter '{{}}'")

    # ----- construction ----------------------------------------------------------------------------
    def __init__(self, spec: ModelSpec):
        """`spec` must be validated (models.registry.validate_spec); build_model(spec) does both."""
        super().__init__()
        if spec.name != self.name:
            raise ConfigError(f"this spec is for model {spec.name!r}, not {self.name!r}; use build_model(spec)")
        spec = copy.deepcopy(spec)
        self.spec = spec
        self.hparams = self.Params(**spec.params)
        self.latent_dim = spec.latent_dim
        self.num_classes = spec.num_classes if self.conditional else 0
        self.encoder = build_encoder(spec, self.num_classes)
        self._build_heads(self.encoder.out_features)
        self.decoder = build_decoder(spec, spec.latent_dim + self.num_classes)

    def _build_heads(self, features: int) -> None:
        self.to_mu = nn.Linear(features, self.latent_dim)
        self.to_logvar = nn.Linear(features, self.latent_dim)

    def _onehot(self, y: torch.Tensor | None, n: int, device: torch.device) -> torch.Tensor | None:
        """(n,) int labels -> (n, C) one-hot; None for unconditional models; y=None means label 0."""
        if not self.conditional:
            return None
        if y is None:
            y = torch.zeros(n, dtype=torch.long, device=device)
        y = torch.as_tensor(y, device=device).long().reshape(-1)
        if y.shape[0] != n:
            raise ValueError(f"got {y.shape[0]} labels for {n} examples")
        # Requests' labels are checked (a read of the device); a training batch's come from the
        # data set whose classes set num_classes, so a step does not pay for the read.
        if n and not self.training and (int(y.min()) < 0 or int(y.max()) >= self.num_classes):
            raise ValueError(f"labels must be 0 to {self.num_classes - 1} for this model, "
                             f"got values from {int(y.min())} to {int(y.max())}")
        return F.one_hot(y, self.num_classes).float()

    def _device(self) -> torch.device:
        return next(self.parameters()).device

    # ----- the probabilistic model -----------------------------------------------------------------
    def encode(self, x: torch.Tensor, y: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, D) -> mu, logvar, each (B, Z); logvar clamped so exp() cannot overflow."""
        h = self.encoder(x, self._onehot(y, x.shape[0], x.device))  # (B, H)
        return self.to_mu(h), self.to_logvar(h).clamp(*LOGVAR_RANGE)

    def decode_logits(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """(B, Z) -> (B, D): Bernoulli logits, or the Gaussian mean."""
        cond = self._onehot(y, z.shape[0], z.device)
        return self.decoder(z if cond is None else torch.cat([z, cond], dim=1))

    def decode(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """(B, Z) -> (B, D) expected pixel values in [0, 1] (the mean of p(x|z), clipped)."""
        out = self.decode_logits(z, y)
        return torch.sigmoid(out) if self.spec.likelihood == "bernoulli" else out.clamp(0.0, 1.0)

    def reconstruction_nll(self, logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """-log p(x|z) summed over the D values of each example: (B, D) -> (B,)."""
        if self.spec.likelihood == "bernoulli":
            # the Bernoulli NLL; also accepts grey levels in [0, 1] as targets
            return F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim=1)
        sigma = self.spec.obs_sigma
        return 0.5 * (((x - logits) / sigma).pow(2) + 2 * math.log(sigma) + LOG_2PI).sum(dim=1)

    def log_likelihood(self, x: torch.Tensor, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """log p(x|z): x (B, D), z (B, Z) -> (B,)."""
        return -self.reconstruction_nll(self.decode_logits(z, y), x)

    def log_prior(self, z: torch.Tensor) -> torch.Tensor:
        """log p(z) under N(0, I): (..., Z) -> (...)."""
        return (-0.5 * (z.pow(2) + LOG_2PI)).sum(dim=-1)

    def log_posterior(self, z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
        """log q(z|x): (..., Z) -> (...)."""
        return gaussian_log_density(z, mu, logvar).sum(dim=-1)

    def sample_prior(self, n: int, generator: torch.Generator | None = None,
                     y: torch.Tensor | None = None, temperature: float = 1.0) -> torch.Tensor:
        """(n, Z) draws from p(z), on the model's device. The prior does not depend on labels; pass `y`
        to decode(). `temperature` scales the prior's spread (z ~ N(0, T^2 I)): below 1 the samples
        stay near the mode and look cleaner, above 1 they get wilder (Kingma & Dhariwal 2018, Sec. 6)."""
        z = torch.randn(n, self.latent_dim, generator=generator, device=rng_device(generator, self))
        return (z * temperature).to(self._device())

    def kl_per_example(self, z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
        """KL(q(z|x) || p(z)) per example, (B,): closed form here; a Monte Carlo estimate with `z`
        for priors that have none (VampPrior)."""
        return kl_standard_normal(mu, logvar).sum(dim=1)

    def kl_per_dimension(self, out: "ModelOutput") -> torch.Tensor | None:
        """The batch-mean KL(q(z_j|x) || p(z_j)) of each latent dimension, (Z,), when the model's
        regulariser is exactly their sum (so free bits may clamp it per dimension); None when it is
        something else (a decomposed, sampled or discrete term), which turns free bits off."""
        return None

    # ----- training ----------------------------------------------------------------------------------
    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None, beta: float = 1.0,
                generator: torch.Generator | None = None, step: int = 0) -> ModelOutput:
        """The negative ELBO (Kingma & Welling 2014, eq. 10): recon + beta * KL."""
        mu, logvar = self.encode(x, y)  # (B, Z) each
        z = reparameterize(mu, logvar, generator)  # (B, Z)
        recon = self.reconstruction_nll(self.decode_logits(z, y), x).mean()
        kl = self.kl_per_example(z, mu, logvar).mean()
        return ModelOutput(loss=recon + beta * kl, recon=recon, kl=kl, z=z, mu=mu, logvar=logvar)

    # ----- one-time flags (a bool buffer set by the first training step) ------------------------
    def flag_is_set(self, name: str) -> bool:
        """The bool buffer `name`, read from the device only until it is seen true: a read a step
        would stall a GPU each step. Loading weights (perhaps a fresh model's) forgets what was seen."""
        seen = self.__dict__.setdefault("_flags_seen", set())
        if name not in seen and bool(getattr(self, name)):
            seen.add(name)
        return name in seen

    def set_flag(self, name: str) -> None:
        getattr(self, name).fill_(True)
        self.__dict__.setdefault("_flags_seen", set()).add(name)

    def _load_from_state_dict(self, *args, **kwargs):
        self.__dict__.pop("_flags_seen", None)
        super()._load_from_state_dict(*args, **kwargs)

    def after_step(self, x: torch.Tensor, y: torch.Tensor | None, out: ModelOutput,
                   generator: torch.Generator | None = None) -> dict[str, torch.Tensor | float]:
        """Called by the trainer after its optimizer step; models with a second network train it here
        and return its figures (0-dim tensors, which the trainer reads back together)."""
        return {}

    def aux_optimizer_state(self) -> dict[str, Any]:
        """State of optimizers the model owns (none here), for checkpoints."""
        return {}

    def load_aux_optimizer_state(self, state: dict[str, Any]) -> None:
        pass

    # ----- evaluation --------------------------------------------------------------------------------
    def log_weights(self, x: torch.Tensor, y: torch.Tensor | None, mu: torch.Tensor, logvar: torch.Tensor,
                    eps: torch.Tensor, beta: float = 1.0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Importance weights log w = log p(x|z) + beta * (log p(z) - log q(z|x)) for z = mu + sigma * eps.

        x (B, D), mu/logvar (B, Z), eps (k, B, Z) -> (log w (k, B), z (k, B, Z), log p(x|z) (k, B)). beta = 1 gives
        Burda et al.'s (2016) weights p(x, z) / q(z|x).
        """
        k, b, zd = eps.shape
        z = mu + eps * torch.exp(0.5 * logvar)  # (k, B, Z)
        flat = z.reshape(k * b, zd)
        ys = None if y is None else torch.as_tensor(y, device=x.device).reshape(-1).repeat(k)
        log_px = self.log_likelihood(x.repeat(k, 1), flat, ys).view(k, b)  # (k, B)
        log_pz = self.log_prior(flat).view(k, b)
        log_qz = self.log_posterior(z, mu, logvar)  # (k, B)
        return log_px + beta * (log_pz - log_qz), z, log_px

    @torch.no_grad()
    def importance_nll(self, x: torch.Tensor, y: torch.Tensor | None = None, k: int = 50,
                       generator: torch.Generator | None = None) -> torch.Tensor:
        """IWAE estimate of -log p(x), (B,) nats (Burda et al. 2016, eq. 8):

            log p(x) ~= log (1/k) sum_i p(x, z_i) / q(z_i|x),   z_i ~ q(z|x),

        a lower bound on log p(x) that tightens as k grows. Call model.eval() first if the
        networks use dropout or batch norm.
        """
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        mu, logvar = self.encode(x, y)  # (B, Z)
        chunk = max(1, IW_CHUNK_ROWS // max(1, x.shape[0]))
        parts = []
        for start in range(0, k, chunk):
            n = min(chunk, k - start)
            eps = torch.randn((n, *mu.shape), generator=generator, dtype=mu.dtype, device=mu.device)
            parts.append(self.log_weights(x, y, mu, logvar, eps)[0])
        log_w = torch.cat(parts)  # (k, B)
        return -(torch.logsumexp(log_w, dim=0) - math.log(k))

    @torch.no_grad()
    def per_dimension_kl(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Mean KL(q(z_j|x) || p(z_j)) over the batch for each latent dimension: (Z,) nats.
        A dimension with KL near 0 is inactive: it carries no information about x."""
        mu, logvar = self.encode(x, y)
        return kl_standard_normal(mu, logvar).mean(dim=0)


def rng_device(generator: torch.Generator | None, model: nn.Module) -> torch.device:
    """Random numbers are drawn where the generator lives (any device's generator works)."""
    return generator.device if generator is not None else next(model.parameters()).device
