"""The Variational Autoencoder of Kingma & Welling (2014), "Auto-Encoding Variational Bayes".

Encoder q(z|x) = N(mu(x), diag(exp(logvar(x)))), prior p(z) = N(0, I), decoder p(x|z) Bernoulli
(pixels in [0, 1]) or Gaussian with a fixed std. The loss is the negative ELBO,

    loss = recon + beta * kl,   recon = -E_q[log p(x|z)] (one reparameterised sample),
                                kl    = KL(q(z|x) || p(z)) in closed form,

each **summed over pixels / latent dimensions and averaged over the batch** (nats per example).
beta = 1 is the plain VAE; beta > 1 is the beta-VAE of Higgins et al. (2017).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from vaestudio.config import ModelConfig


@dataclass
class VAEOutput:
    """What every forward pass returns: the loss and its terms (batch means), and the latents."""

    loss: torch.Tensor  # scalar: recon + beta * kl
    recon: torch.Tensor  # scalar, nats per example
    kl: torch.Tensor  # scalar, nats per example
    z: torch.Tensor  # (B, Z) the reparameterised sample
    mu: torch.Tensor  # (B, Z)
    logvar: torch.Tensor  # (B, Z)


def mlp(sizes: list[int]) -> nn.Sequential:
    """Linear layers with ReLU between them (none after the last)."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def kl_standard_normal(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, diag(exp(logvar))) || N(0, I)) per example, summed over latent dims: (B, Z) -> (B,).

    Closed form from Kingma & Welling (2014), Appendix B (their eq. 10):
        -KL = 1/2 * sum_j (1 + log sigma_j^2 - mu_j^2 - sigma_j^2)
    """
    return -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=1)


def reparameterize(mu: torch.Tensor, logvar: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """z = mu + sigma * eps, eps ~ N(0, I) (Kingma & Welling 2014, section 2.4).

    Sampling eps outside the graph keeps z differentiable in mu and logvar, which is what lets the
    encoder learn by backpropagation through a random sample.
    """
    std = torch.exp(0.5 * logvar)
    eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype, device=mu.device)
    return mu + eps * std


class VAE(nn.Module):
    def __init__(self, config: ModelConfig):
        super().__init__()
        config.validate()
        self.config = config
        hidden = list(config.hidden)
        self.encoder = nn.Sequential(mlp([config.input_dim, *hidden]), nn.ReLU())
        self.to_mu = nn.Linear(hidden[-1], config.latent_dim)
        self.to_logvar = nn.Linear(hidden[-1], config.latent_dim)
        self.decoder = mlp([config.latent_dim, *reversed(hidden), config.input_dim])

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, D) -> mu, logvar, each (B, Z). logvar is clamped so exp() cannot overflow."""
        h = self.encoder(x)
        return self.to_mu(h), self.to_logvar(h).clamp(-30.0, 20.0)

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        """(B, Z) -> (B, D): Bernoulli logits, or the Gaussian mean."""
        return self.decoder(z)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """(B, Z) -> (B, D) expected pixel values in [0, 1] (the mean of p(x|z), clipped)."""
        out = self.decode_logits(z)
        if self.config.likelihood == "bernoulli":
            return torch.sigmoid(out)
        return out.clamp(0.0, 1.0)

    def reconstruction_nll(self, logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """-log p(x|z) summed over the D values of each example: (B, D) -> (B,)."""
        if self.config.likelihood == "bernoulli":
            # Cross-entropy is the Bernoulli NLL; it also accepts grey levels in [0, 1] as targets.
            return F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim=1)
        sigma = self.config.obs_sigma
        sq = ((x - logits) / sigma).pow(2)
        return 0.5 * (sq + 2 * math.log(sigma) + math.log(2 * math.pi)).sum(dim=1)

    def forward(self, x: torch.Tensor, beta: float = 1.0, generator: torch.Generator | None = None) -> VAEOutput:
        mu, logvar = self.encode(x)  # (B, Z) each
        z = reparameterize(mu, logvar, generator)  # (B, Z)
        recon = self.reconstruction_nll(self.decode_logits(z), x).mean()  # sum over pixels, mean over batch
        kl = kl_standard_normal(mu, logvar).mean()  # sum over latent dims, mean over batch
        return VAEOutput(loss=recon + beta * kl, recon=recon, kl=kl, z=z, mu=mu, logvar=logvar)
