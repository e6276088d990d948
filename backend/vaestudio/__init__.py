"""VAE Studio: train Variational Autoencoders live and explore what they learn from Godot 4."""

__version__ = "0.1.0"
PROTOCOL_VERSION = 1
