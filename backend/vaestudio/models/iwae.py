"""`iwae`: the Importance Weighted Autoencoder of Burda, Grosse & Salakhutdinov (2016).

Same networks as the VAE, trained on the k-sample bound (their eq. 8):

    L_k(x) = E_{z_1..z_k ~ q(z|x)} [ log (1/k) sum_i w_i ],   w_i = p(x, z_i) / q(z_i|x),

computed with log-sum-exp so large negative log-weights cannot underflow. loss = -L_k (batch mean);
k = 1 is exactly the single-sample VAE estimate with a Monte Carlo KL, and L_k tightens towards
log p(x) as k grows. The live beta tempers the weights, log w = log p(x|z) + beta (log p(z) - log q(z|x))
(beta = 1: the paper). Reported: `recon` and `kl` are the usual single-sample VAE terms averaged over
the k samples (recon) and in closed form (kl), so they compare with other models; `iw_bound` is L_k.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from vaestudio.models.base import BaseVAE, ModelOutput, kl_standard_normal
from vaestudio.setting import described, integer


@dataclass
class IWAEParams:
    k: int = described(5, integer(
        1, 5000, "Importance samples per example during training (the paper: 5 and 50); 1 is the VAE, more "
        "gives a tighter bound at k times the decoder cost."))


class IWAE(BaseVAE):
    name = "iwae"
    Params = IWAEParams
    description = (
        "Importance Weighted Autoencoder (Burda, Grosse & Salakhutdinov 2016). Draws k latent samples per "
        "example and trains on the log of their average importance weight p(x, z) / q(z|x), a bound on "
        "log p(x) that is tighter than the ELBO for k > 1 (k = 1 is the VAE). Tighter bounds give better "
        "likelihoods and more active latent dimensions, at k times the decoder cost. Param: k. The loss "
        "is the negative bound (iw_bound in the extras); recon and kl are the usual VAE terms for comparison."
    )

    def forward(self, x, y=None, beta: float = 1.0, generator=None, step: int = 0) -> ModelOutput:
        k = self.hparams.k
        mu, logvar = self.encode(x, y)  # (B, Z)
        eps = torch.randn((k, *mu.shape), generator=generator, dtype=mu.dtype, device=mu.device)  # (k, B, Z)
        log_w, z, log_px = self.log_weights(x, y, mu, logvar, eps, beta=beta)  # (k, B), (k, B, Z), (k, B)
        bound = (torch.logsumexp(log_w, dim=0) - math.log(k)).mean()
        recon = -log_px.detach().mean()  # for display only: the single-sample VAE terms
        kl = kl_standard_normal(mu, logvar).detach().sum(dim=1).mean()
        return ModelOutput(loss=-bound, recon=recon, kl=kl, z=z[0], mu=mu, logvar=logvar,
                           extras={"iw_bound": bound.detach()})
