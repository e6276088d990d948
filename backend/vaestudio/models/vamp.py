"""`vamp`: the VampPrior of Tomczak & Welling (2018), "VAE with a VampPrior".

The prior is a mixture of the encoder's own posteriors at K learned pseudo-inputs u_k (their eq. 9):

    p(z) = 1/K sum_k q(z | u_k),   log p(z) = logsumexp_k log N(z; mu(u_k), sigma^2(u_k)) - log K.

The KL to a mixture has no closed form, so it is the single-sample Monte Carlo estimate
log q(z|x) - log p(z) at the reparameterised z (their eq. 7 with the prior of eq. 9); loss =
recon + beta * KL. Sampling picks a component uniformly and draws from q(z | u_k).

The pseudo-inputs (K, D) are ordinary parameters trained with everything else. They start as
randomly chosen examples of the first training batch plus a little noise (a flag in the state dict
records that this happened, so a resumed model is not re-initialised); before that they are
uniform noise in [0, 1].
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from vaestudio.models.base import BaseVAE, ModelOutput, rng_device, gaussian_log_density
from vaestudio.setting import described, integer

PER_DIM_KL_SAMPLES = 16


@dataclass
class VampParams:
    n_pseudo: int = described(50, integer(
        1, 5000, "Learned pseudo-inputs K whose posteriors make up the mixture prior (the paper: 500 on MNIST)."))


class VampVAE(BaseVAE):
    name = "vamp"
    Params = VampParams
    description = (
        "VAE with a VampPrior (Tomczak & Welling 2018). Instead of a fixed standard normal, the prior is a "
        "mixture of the encoder's posteriors at n_pseudo learned 'pseudo-inputs' - points in data space "
        "trained along with the model - so the prior follows the shape of the data's codes and fewer "
        "latent dimensions go unused. The KL is a one-sample Monte Carlo estimate; sampling picks a "
        "pseudo-input at random and draws from its posterior. Param: n_pseudo."
    )

    def __init__(self, spec):
        super().__init__(spec)
        self.pseudo_inputs = nn.Parameter(torch.rand(self.hparams.n_pseudo, spec.input_dim))  # (K, D)
        self.register_buffer("pseudo_initialised", torch.zeros((), dtype=torch.bool))

    def _init_pseudo_inputs(self, x: torch.Tensor, generator: torch.Generator | None) -> None:
        """Copy random training examples (+ 1% noise) into the pseudo-inputs, once."""
        k = self.pseudo_inputs.shape[0]
        rows = torch.randint(len(x), (k,), generator=generator, device=x.device)
        noise = 0.01 * torch.randn(self.pseudo_inputs.shape, generator=generator, device=x.device)
        with torch.no_grad():
            self.pseudo_inputs.copy_(x[rows] + noise)
            self.set_flag("pseudo_initialised")

    def prior_components(self) -> tuple[torch.Tensor, torch.Tensor]:
        """mu, logvar of q(z | u_k): (K, Z) each."""
        return self.encode(self.pseudo_inputs)

    def log_prior(self, z: torch.Tensor) -> torch.Tensor:
        """log p(z) under the mixture: (..., Z) -> (...)."""
        mu_k, logvar_k = self.prior_components()  # (K, Z)
        comp = gaussian_log_density(z.unsqueeze(-2), mu_k, logvar_k).sum(dim=-1)  # (..., K)
        return torch.logsumexp(comp, dim=-1) - math.log(mu_k.shape[0])

    def kl_per_example(self, z, mu, logvar):
        return self.log_posterior(z, mu, logvar) - self.log_prior(z)  # (B,) Monte Carlo

    def sample_prior(self, n: int, generator=None, y=None, temperature: float = 1.0) -> torch.Tensor:
        """A component drawn uniformly, then its Gaussian with its spread scaled by `temperature`."""
        device = rng_device(generator, self)
        mu_k, logvar_k = self.prior_components()  # (K, Z)
        idx = torch.randint(mu_k.shape[0], (n,), generator=generator, device=device).to(mu_k.device)  # uniform
        eps = torch.randn((n, self.latent_dim), generator=generator, device=device).to(mu_k.device)
        return mu_k[idx] + temperature * eps * torch.exp(0.5 * logvar_k[idx])  # (n, Z)

    def forward(self, x, y=None, beta: float = 1.0, generator=None, step: int = 0) -> ModelOutput:
        if self.training and not self.flag_is_set("pseudo_initialised"):
            self._init_pseudo_inputs(x, generator)
        return super().forward(x, y, beta=beta, generator=generator, step=step)

    @torch.no_grad()
    def per_dimension_kl(self, x, y=None) -> torch.Tensor:
        """Monte Carlo KL(q(z_j|x) || p(z_j)) per dimension, (Z,), against the prior's marginal in
        dimension j (a 1-D mixture of the K components' marginals)."""
        mu, logvar = self.encode(x, y)  # (B, Z)
        mu_k, logvar_k = self.prior_components()  # (K, Z)
        eps = torch.randn((PER_DIM_KL_SAMPLES, *mu.shape), device=mu.device)
        z = mu + eps * torch.exp(0.5 * logvar)  # (S, B, Z)
        log_q = gaussian_log_density(z, mu, logvar)  # (S, B, Z)
        comp = gaussian_log_density(z.unsqueeze(-1), mu_k.T, logvar_k.T)  # (S, B, Z, K)
        log_p = torch.logsumexp(comp, dim=-1) - math.log(mu_k.shape[0])  # (S, B, Z)
        return (log_q - log_p).mean(dim=(0, 1))
