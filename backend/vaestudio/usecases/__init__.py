"""The six use cases of a VAE, one pure module each (issue 10; protocol/README.md §5.4).

Each module's functions take `(model: BaseVAE, dataset: Dataset, ...)` and return plain dicts of
numbers and numpy arrays: no sockets, sessions or wire formats. ops_usecases.py serves them over the
wire and cli_usecases.py from the command line; rows.py holds what they share (row selection,
output conversion, PSNR).

- denoise.py: corrupt rows (gaussian, salt_pepper, mask) and decode z = mu(noisy); PSNR before/after.
- anomaly.py: per-row negative ELBO or importance-sampled NLL as an unusualness score; ROC AUC.
- compress.py: mu quantised to `bits` per dimension and packed; bytes per row, reconstructions, PSNR.
- style.py, features.py, generation.py: style transfer and analogies, feature quality, sample quality.
"""
