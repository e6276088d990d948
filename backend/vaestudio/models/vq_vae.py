"""`vq_vae`: the Vector-Quantised VAE of van den Oord, Vinyals & Kavukcuoglu (2017), "Neural Discrete
Representation Learning".

The encoder's output z_e(x) (B, Z) snaps to its nearest codebook vector e_k (K, Z); the decoder sees
z_q = e_k. The loss is their eq. 3:

    loss = -log p(x | z_q) + |sg[z_e] - e|^2 + commitment * |z_e - sg[e]|^2,

(sg = stop-gradient; squared norms summed over Z, averaged over the batch) with the straight-through
estimator: the decoder's input is z_e + sg[z_q - z_e], so the reconstruction gradient at z_q is
copied to z_e and reaches the encoder.

By default (param ema = true) the codebook is not trained by the codebook term but follows the
exponential moving average of the encoder outputs assigned to each code (their Appendix A.1;
decay `decay`, Laplace-smoothed counts): gradient steps on the codebook lag behind a fast-moving
encoder, the codebook loss then grows without bound, while the EMA tracks it at any learning rate.
With ema = false the codebook term of eq. 3 trains it.

`kl` reports the part of eq. 3 that is in the loss: codebook + commitment loss (with EMA, the
commitment loss only), so loss = recon + kl. The live beta is not used (a VQ-VAE has no KL: with a
uniform prior it is the constant log K).

Design choice for the studio: **one code vector per image**, for MLP and conv networks alike (the
paper quantises a grid of vectors and fits a PixelCNN prior over it). With one code the 2-D latent
view still works: `encode` returns the pre-quantisation z_e as `mu` (logvar zeros), so the view
shows the continuous embeddings and how they cluster around the codes. `decode(z)` quantises z
first - the decoder was only ever trained on code vectors - so the decoded latent map is a Voronoi
diagram of the codebook. `sample_prior` draws codes from the **empirical** code-usage frequencies
(an exponential moving average over training batches; param prior = "empirical") or **uniformly**
(prior = "uniform"), so samples are reconstructions of the K prototypes.

The codebook starts as randomly chosen encoder outputs of the first training batch, and codes
unused for a while are restarted at random encoder outputs of the current batch (a standard fix for
dead codes, e.g. Dhariwal et al. 2020, Jukebox), which keeps perplexity up.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from vaestudio.models.base import BaseVAE, ModelOutput, rng_device
from vaestudio.setting import choice, described, flag, integer, number

USAGE_DECAY = 0.99  # EMA of code usage, for the empirical prior and dead-code restarts
DEAD_USAGE = 0.1  # a code whose usage share falls below DEAD_USAGE / K (~230 unused steps) is restarted
LAPLACE_EPS = 1e-5


@dataclass
class VQVAEParams:
    codebook_size: int = described(32, integer(2, 65_536, "Number of code vectors K in the codebook."))
    commitment: float = described(0.25, number(
        0.0, 100.0, "Weight of the commitment loss that pulls the encoder's output towards its code (the "
        "paper's beta in eq. 3: 0.25)."))
    prior: str = described("empirical", choice(
        ("empirical", "uniform"), "How sampling picks codes: as often as each is used on the training data "
        "(empirical) or uniformly."))
    restart_dead: bool = described(True, flag(
        "Restart codes that went unused at current encoder outputs, which keeps more codes in use."))
    ema: bool = described(True, flag(
        "Move the codes as a moving average of the encoder outputs assigned to them, instead of by the "
        "codebook loss."))
    decay: float = described(0.99, number(
        0.0, 0.99999, "Decay of that moving average; closer to 1 moves the codes more slowly."))


class VQVAE(BaseVAE):
    name = "vq_vae"
    Params = VQVAEParams
    description = (
        "VQ-VAE (van den Oord et al. 2017). The encoder's output snaps to the nearest of codebook_size "
        "learned code vectors, and the decoder draws from that code: a discrete latent, trained with the "
        "straight-through gradient estimator plus codebook and commitment losses (commitment weighs how "
        "hard the encoder is pulled to its code). Here each image gets one code, so the latent view shows "
        "the continuous pre-quantisation embeddings and decoding any point decodes its nearest code. "
        "Sampling picks a code with the frequency it is used on the training data (prior 'empirical') or "
        "uniformly (prior 'uniform') and decodes it, so samples are the model's prototypes. By default "
        "(ema) the codes follow a moving average of the embeddings assigned to them (decay), and unused "
        "codes restart at current embeddings (restart_dead). The reported 'kl' is the codebook + "
        "commitment loss; beta is unused. Extras: perplexity (codes in use)."
    )

    def __init__(self, spec):
        super().__init__(spec)
        k = self.hparams.codebook_size
        # a Parameter either way so checkpoints look the same; with EMA no optimizer may move it
        self.codebook = nn.Parameter(torch.randn(k, self.latent_dim), requires_grad=not self.hparams.ema)  # (K, Z)
        self.register_buffer("usage", torch.full((k,), 1.0 / k))  # EMA of each code's share of a batch
        self.register_buffer("ema_count", torch.ones(k))  # (K,) EMA of assignments per code
        self.register_buffer("ema_sum", self.codebook.detach().clone())  # (K, Z) EMA of assigned z_e sums
        self.register_buffer("codebook_initialised", torch.zeros((), dtype=torch.bool))

    def _build_heads(self, features: int) -> None:
        self.to_mu = nn.Linear(features, self.latent_dim)  # z_e; there is no variance

    def encode(self, x, y=None):
        z_e = self.to_mu(self.encoder(x, self._onehot(y, x.shape[0], x.device)))  # (B, Z)
        return z_e, torch.zeros_like(z_e)

    def nearest_code(self, z: torch.Tensor) -> torch.Tensor:
        """Index of each row's nearest code: (B, Z) -> (B,)."""
        return torch.cdist(z, self.codebook).argmin(dim=1)

    def quantize(self, z: torch.Tensor) -> torch.Tensor:
        """(B, Z) -> (B, Z) nearest code vectors (no gradient to z; see forward for straight-through)."""
        return self.codebook[self.nearest_code(z)]

    def decode_logits(self, z, y=None):
        return super().decode_logits(self.quantize(z), y)

    def sample_prior(self, n: int, generator=None, y=None, temperature: float = 1.0) -> torch.Tensor:
        """Codes drawn by their prior weights sharpened (T < 1) or flattened (T > 1) as w^(1/T), the
        temperature of a categorical distribution."""
        k = self.codebook.shape[0]
        weights = self.usage if self.hparams.prior == "empirical" else torch.ones(k, device=self.usage.device)
        weights = weights.to(rng_device(generator, self)).clamp_min(0) + 1e-12  # (K,) unnormalised
        weights = (weights / weights.max()).pow(1.0 / temperature).clamp_min(1e-30)
        idx = torch.multinomial(weights, n, replacement=True, generator=generator).to(self.codebook.device)
        return self.codebook.detach()[idx]  # (n, Z)

    def forward(self, x, y=None, beta: float = 1.0, generator=None, step: int = 0) -> ModelOutput:
        z_e, zeros = self.encode(x, y)  # (B, Z)
        if self.training:
            self._maintain_codebook(z_e.detach(), generator)
        idx = self.nearest_code(z_e.detach())  # (B,)
        z_q = self.codebook[idx]  # (B, Z)
        z_st = z_e + (z_q - z_e).detach()  # straight-through: forward z_q, backward identity to z_e
        recon = self.reconstruction_nll(super().decode_logits(z_st, y), x).mean()
        codebook_loss = (z_e.detach() - z_q).pow(2).sum(dim=1).mean()  # moves the codes (without EMA)
        commitment_loss = (z_e - z_q.detach()).pow(2).sum(dim=1).mean()  # moves the encoder
        kl = self.hparams.commitment * commitment_loss
        if not self.hparams.ema:
            kl = kl + codebook_loss
        # (K,) rows per code; not bincount, which on a GPU waits for the device to size its output
        counts = torch.zeros_like(self.usage).index_add_(0, idx, torch.ones_like(idx, dtype=self.usage.dtype))
        share = counts / counts.sum()  # (K,)
        if self.training:
            with torch.no_grad():
                self.usage.mul_(USAGE_DECAY).add_(share, alpha=1 - USAGE_DECAY)
                if self.hparams.ema:  # the running sums stay float32 when the encoder ran under bf16 autocast
                    self._ema_update(z_e.detach().float(), idx, counts)
        perplexity = torch.exp(-(share * torch.log(share + 1e-10)).sum())  # codes in use this batch
        extras = {"codebook_loss": codebook_loss.detach(), "commitment_loss": commitment_loss.detach(),
                  "perplexity": perplexity.detach()}
        return ModelOutput(loss=recon + kl, recon=recon, kl=kl, z=z_q, mu=z_e, logvar=zeros, extras=extras)

    @torch.no_grad()
    def _ema_update(self, z_e: torch.Tensor, idx: torch.Tensor, counts: torch.Tensor) -> None:
        """van den Oord et al. (2017), Appendix A.1:
        N_k <- d N_k + (1 - d) n_k,   m_k <- d m_k + (1 - d) sum of the z_e assigned to k,   e_k = m_k / N_k."""
        d = self.hparams.decay
        sums = torch.zeros_like(self.ema_sum).index_add_(0, idx, z_e)  # (K, Z)
        self.ema_count.mul_(d).add_(counts, alpha=1 - d)
        self.ema_sum.mul_(d).add_(sums, alpha=1 - d)
        n = self.ema_count.sum()
        smoothed = (self.ema_count + LAPLACE_EPS) / (n + len(counts) * LAPLACE_EPS) * n  # no division by 0
        self.codebook.copy_(self.ema_sum / smoothed[:, None])

    @torch.no_grad()
    def _maintain_codebook(self, z_e: torch.Tensor, generator) -> None:
        """First batch: codes := random encoder outputs. Later: restart codes that went unused."""
        k = self.codebook.shape[0]
        if not self.flag_is_set("codebook_initialised"):
            rows = torch.randint(len(z_e), (k,), generator=generator, device=z_e.device)
            jitter = 0.01 * torch.randn((k, z_e.shape[1]), generator=generator, device=z_e.device)
            self.codebook.copy_(z_e[rows] + jitter)
            self.ema_sum.copy_(self.codebook)
            self.ema_count.fill_(1.0)
            self.set_flag("codebook_initialised")
        elif self.hparams.restart_dead:
            # Every code draws a replacement row and the dead ones take it: nothing reads how many died.
            dead = (self.usage < DEAD_USAGE / k).unsqueeze(1)  # (K, 1)
            fresh = z_e[torch.randint(len(z_e), (k,), generator=generator, device=z_e.device)]  # (K, Z)
            self.codebook.copy_(torch.where(dead, fresh, self.codebook))
            self.ema_sum.copy_(torch.where(dead, fresh, self.ema_sum))
            self.ema_count.masked_fill_(dead[:, 0], 1.0)
            self.usage.masked_fill_(dead[:, 0], 1.0 / k)  # give restarted codes time to be picked

    def log_prior(self, z):
        raise NotImplementedError("vq_vae has a discrete latent and no continuous prior density, "
                                  "so log p(z) and the importance-sampled NLL are not defined for it")

    def importance_nll(self, x, y=None, k=50, generator=None):
        raise NotImplementedError("vq_vae has no continuous ELBO (its latent is a discrete code), "
                                  "so the importance-sampled NLL is not defined; compare its reconstruction loss "
                                  "instead")

    @torch.no_grad()
    def per_dimension_kl(self, x, y=None) -> torch.Tensor:
        """Zeros (Z,): a deterministic, quantised code has no per-dimension KL."""
        return torch.zeros(self.latent_dim, device=x.device)
