"""A model checked and summarised without training it (model.check): the normalised spec that run.new
would record, its trainable parameter count, and the output shape of every encoder and decoder layer.

The shapes come from one dummy batch through the built networks, with a forward hook on each layer
of the encoder and decoder bodies, so they are the shapes training will see, for every arch alike.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from vaestudio.models.nets import Crop
from vaestudio.models.registry import build_model, fit_spec
from vaestudio.models.spec import ModelSpec

# torch modules -> the layer types of custom layer lists (models/nets.py LAYER_KEYS)
LAYER_TYPES: dict[type[nn.Module], str] = {
    nn.Linear: "linear", nn.Conv2d: "conv", nn.ConvTranspose2d: "deconv", nn.Upsample: "upsample",
    nn.ReLU: "relu", nn.GELU: "gelu", nn.Tanh: "tanh", nn.ELU: "elu", nn.LeakyReLU: "leaky_relu",
    nn.BatchNorm1d: "batchnorm", nn.BatchNorm2d: "batchnorm", nn.LayerNorm: "layernorm", nn.Dropout: "dropout",
    nn.Flatten: "flatten", nn.Unflatten: "unflatten", Crop: "crop",
}


def summarize(spec: ModelSpec, dataset: Any) -> dict[str, Any]:
    """{spec, parameters, encoder, decoder} for `spec` fitted to `dataset` (a datasets.Dataset);
    raises ConfigError, naming the part and layer, when the spec does not fit the data."""
    spec = fit_spec(spec, dataset)
    # On the meta device tensors have shapes but no storage: checking a huge spec allocates nothing,
    # and initialising its weights draws nothing from torch's RNG, which the live run's dropout uses.
    # (The default device is per thread, so the trainer's thread is not affected.)
    with torch.device("meta"):
        model = build_model(spec).eval()
        c = model.num_classes  # conditional models see a one-hot label (C,) beside x and z
        x = torch.zeros(2, spec.input_dim)  # (2, D): a batch of 2 keeps batch norm's checks happy
        cond = torch.zeros(2, c) if c else None
        z = torch.zeros(2, spec.latent_dim + c)  # (2, Z + C)
        return {
            "spec": spec.to_dict(),
            "parameters": sum(p.numel() for p in model.parameters() if p.requires_grad),
            "encoder": _layer_shapes(model.encoder.body, lambda: model.encoder(x, cond)),
            "decoder": _layer_shapes(model.decoder.body, lambda: model.decoder(z)),
        }


def _layer_shapes(body: nn.Module, run: Any) -> list[list]:
    """[[layer_type, output shape per example], ...] of `body`'s layers in forward order."""
    shapes: list[list] = []

    def record(module: nn.Module, inputs: Any, output: torch.Tensor) -> None:
        shapes.append([LAYER_TYPES.get(type(module), type(module).__name__.lower()), list(output.shape[1:])])

    hooks = [layer.register_forward_hook(record) for layer in body.children()]
    try:
        with torch.no_grad():
            run()
    finally:
        for hook in hooks:
            hook.remove()
    return shapes
