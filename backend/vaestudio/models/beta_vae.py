"""`beta_vae`: Higgins et al. (2017), "beta-VAE: Learning Basic Visual Concepts with a Constrained
Variational Framework", and the capacity-annealed form of Burgess et al. (2018), "Understanding
disentangling in beta-VAE".

Higgins et al., eq. 4:   loss = recon + beta * KL            (beta from the live `beta` argument)
Burgess et al., Sec. 5:  loss = recon + gamma * |KL - C(step)|,  C(step) = capacity_max * min(1, step / capacity_steps)

The capacity form is on when capacity_max > 0; it pulls the KL towards a target C that grows
linearly from 0 nats, so the model is allowed to encode more information as training goes on,
and the live beta is not used.
"""

from __future__ import annotations

from dataclasses import dataclass

from vaestudio.models.base import BaseVAE, ModelOutput, kl_standard_normal
from vaestudio.setting import described, integer, number


@dataclass
class BetaVAEParams:
    capacity_max: float = described(0.0, number(
        0.0, 10_000.0, "The KL target C_max that the capacity rises to (Burgess et al. 2018); 0 turns the "
        "capacity form off and gives the plain beta-VAE.", unit="nats"))
    capacity_steps: int = described(10_000, integer(
        1, 100_000_000, "Steps over which the capacity C rises linearly from 0 to capacity_max.", unit="steps"))
    gamma: float = described(1000.0, number(
        0.0, 1e6, "Weight of |KL - C| in the capacity form (Burgess et al. use 1000)."))


class BetaVAE(BaseVAE):
    name = "beta_vae"
    Params = BetaVAEParams
    description = (
        "beta-VAE (Higgins et al. 2017): the VAE loss with the KL term weighted by the live beta; beta > 1 "
        "trades reconstruction for a more factorised, often more interpretable latent space. With "
        "capacity_max > 0 it becomes Burgess et al.'s (2018) capacity-annealed form: loss = recon + "
        "gamma * |KL - C|, where the target KL 'capacity' C rises linearly from 0 to capacity_max nats "
        "over capacity_steps steps (beta is then unused). The capacity C is shown as an extra."
    )

    def capacity(self, step: int) -> float:
        """C(step) in nats: linear from 0 to capacity_max over capacity_steps."""
        p = self.hparams
        return p.capacity_max * min(1.0, max(0, step) / p.capacity_steps)

    def forward(self, x, y=None, beta: float = 1.0, generator=None, step: int = 0) -> ModelOutput:
        out = super().forward(x, y, beta=beta, generator=generator, step=step)
        if self.hparams.capacity_max > 0:
            c = self.capacity(step)
            out.loss = out.recon + self.hparams.gamma * (out.kl - c).abs()
            out.extras["capacity"] = c
        return out

    def kl_per_dimension(self, out):
        """(Z,): the KL is the closed form of Appendix B, summed over dimensions, so free bits
        (Kingma et al. 2016, eq. 15) can clamp each dimension's share."""
        return kl_standard_normal(out.mu, out.logvar).mean(0)
