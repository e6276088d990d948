"""`vae`: the Variational Autoencoder of Kingma & Welling (2014), "Auto-Encoding Variational Bayes".

The objective is BaseVAE's: the negative ELBO of their eq. 10 with the KL in closed form
(Appendix B), loss = recon + beta * KL. beta = 1 is the paper's model.
"""

from __future__ import annotations

from vaestudio.models.base import BaseVAE, kl_standard_normal


class VAE(BaseVAE):
    name = "vae"
    description = (
        "Variational Autoencoder (Kingma & Welling 2014, 'Auto-Encoding Variational Bayes'). The encoder "
        "outputs a Gaussian q(z|x); a sample z is decoded back to the data, and the loss is the negative "
        "ELBO: reconstruction error (summed over pixels) plus the KL divergence from q(z|x) to the "
        "standard normal prior, in closed form (their Appendix B). The live beta weighs the KL term; "
        "beta = 1 is the plain VAE. No extra parameters."
    )

    def kl_per_dimension(self, out):
        """(Z,): the KL is the closed form of Appendix B, summed over dimensions, so free bits
        (Kingma et al. 2016, eq. 15) can clamp each dimension's share."""
        return kl_standard_normal(out.mu, out.logvar).mean(0)
