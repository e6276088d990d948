"""`cvae`: the Conditional VAE of Sohn, Lee & Yan (2015), "Learning Structured Output
Representation using Deep Conditional Generative Models".

Their conditional ELBO (eq. 4), written with our names (condition = label y, output = image x):

    log p(x|y) >= E_q(z|x,y)[log p(x|z,y)] - KL(q(z|x,y) || p(z|y)).

We use the label-independent prior p(z|y) = N(0, I), as Kingma et al.'s (2014) M2 model and most
CVAE code do, so the KL keeps its closed form and `sample_prior` is the plain normal. The label
enters as a one-hot vector: concatenated to the encoder's input (flat data) or as constant extra
image channels (convolutional encoders), and concatenated to z for the decoder (see nets.py).
Labels omitted in encode/decode/sample mean label 0.
"""

from __future__ import annotations

from vaestudio.models.base import BaseVAE, kl_standard_normal


class CVAE(BaseVAE):
    name = "cvae"
    conditional = True
    description = (
        "Conditional VAE (Sohn, Lee & Yan 2015). Encoder and decoder both see the class label as a one-hot "
        "vector, so the latent space only has to hold what the label does not say (style, thickness, "
        "slant): decoding one z with different labels draws the same style in each class. Loss: the "
        "conditional ELBO (their eq. 4) with a standard normal prior, recon + beta * KL. Needs a labelled "
        "data set; decode and sample use label 0 unless labels are given. No extra parameters."
    )

    def kl_per_dimension(self, out):
        """(Z,): the KL is the closed form of Appendix B, summed over dimensions, so free bits
        (Kingma et al. 2016, eq. 15) can clamp each dimension's share."""
        return kl_standard_normal(out.mu, out.logvar).mean(0)
