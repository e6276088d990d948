"""Ops that run the live model on request: decode, encode, sample, trace (on the server thread,
against the newest weights snapshot, so they never wait for a training step). The server answers
decode and sample in batches (vaestudio.decode_batch) through decode_request, sample_request and
decoded_results."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from vaestudio import op_args
from vaestudio.errors import ConfigError, TooLarge
from vaestudio.op_args import MAX_ITEMS
from vaestudio.projection import LatentView
from vaestudio.schedules import beta_at
from vaestudio.session import Session
from vaestudio.trace import trace as trace_example
from vaestudio.wire import array, from_array


@dataclass
class DecodeRequest:
    """What a decode or sample asks to decode, and the fields its reply carries beside the decodes."""

    z: np.ndarray  # (n, latent_dim) f32
    labels: np.ndarray | None  # (n,) classes of a conditional model
    fields: dict = field(default_factory=dict)


def decode(session: Session, args: dict) -> dict:
    return decoded_result(session, decode_request(session, args))


def decode_request(session: Session, args: dict) -> DecodeRequest:
    """A decode's checked arguments: the rows to decode and their labels (vaestudio.decode_batch
    answers many of them together)."""
    op_args.only(args, ("z", "labels"))
    if "z" not in args:
        raise ConfigError("'z' is required: f32 array of shape [n, latent_dim]")
    z = op_args.rows(args["z"], "z", session.trainer.spec.latent_dim)
    return DecodeRequest(z, _labels(session, args, len(z)))


def encode(session: Session, args: dict) -> dict:
    op_args.only(args, ("indices", "labels"))
    idx = _indices(session, args)
    mu, logvar = session.inference.encode(idx, _labels(session, args, len(idx)))
    return {"mu": array(mu, "f32"), "logvar": array(logvar, "f32")}


MAX_TEMPERATURE = 100.0


def sample(session: Session, args: dict) -> dict:
    return decoded_result(session, sample_request(session, args))


def sample_request(session: Session, args: dict) -> DecodeRequest:
    """A sample's checked arguments and its draws from the prior, which its reply carries beside
    their decodes."""
    op_args.only(args, ("n", "seed", "labels", "temperature"))
    n = op_args.count(args, "n")
    seed = op_args.integer(args, "seed", 0, 2**62)
    temperature = op_args.number(args, "temperature", 1e-3, MAX_TEMPERATURE, default=1.0)
    labels = _labels(session, args, n)
    z = session.inference.prior(n, seed, temperature)
    return DecodeRequest(z, labels, {"z": array(z, "f32")})


def trace(session: Session, args: dict) -> dict:
    """One example (a data-set row `index`, or a row `x` as the model takes it) through the model,
    layer by layer, at a fixed eps (seed): see vaestudio.trace and protocol/README.md."""
    op_args.only(args, ("index", "x", "labels", "seed"))
    trainer = session.trainer
    dataset = trainer.dataset
    if ("index" in args) == ("x" in args):
        raise ConfigError("give exactly one of 'index' (a data-set row, int) or 'x' (f32 array [1, "
                          f"{dataset.input_dim}], one row as the model takes it)")
    index = None
    if "index" in args:
        index = op_args.integer(args, "index", 0, dataset.n - 1)
        if index is None:
            raise ConfigError(f"'index' must be an integer from 0 to {dataset.n - 1}, got None")
        x = dataset.x[index: index + 1]  # (1, D)
    else:
        x = from_array(args["x"], "x", "f32")
        if x.shape != (1, dataset.input_dim):
            raise ConfigError(f"'x' must have shape [1, {dataset.input_dim}] (one row of the data set's "
                              f"{dataset.input_dim} values), got {list(x.shape)}")
        if not np.isfinite(x).all():
            raise ConfigError("'x' must hold finite numbers only")
        x = torch.from_numpy(x.copy())
    seed = op_args.integer(args, "seed", 0, 2**31 - 1, default=0)
    labels = _labels(session, args, 1)
    row_label = None if index is None or dataset.labels is None else int(dataset.labels[index])
    if trainer.conditional:
        label = int(labels[0]) if labels is not None else (row_label if row_label is not None else 0)
    else:
        label = row_label
    while True:  # the snapshot the inference model holds, for its run and step
        snap = trainer.snapshot
        model = session.inference.model()
        if trainer.snapshot is snap:
            break
    result = trace_example(model, x, label, seed, beta_at(trainer.config, snap.step), dataset.image_shape, snap.step)
    return {"run": snap.run, "step": snap.step, "model": snap.spec.name, "index": index, "label": label, **result}


def latent_view(session: Session, args: dict) -> dict:
    """How the `latent` stream projects and colours the points, for every subscriber."""
    op_args.only(args, ("projection", "dims", "color"))
    current = session.trainer.latent_view
    dims = args.get("dims", list(current.dims))
    if not isinstance(dims, list):
        raise ConfigError(f"'dims' must be a list of 1 to 3 dimensions, got {dims!r}")
    projection = args.get("projection", "dims" if "dims" in args and dims else current.projection)
    view = LatentView(projection=projection, dims=tuple(dims) if projection == "dims" else (),
                      color=args.get("color", current.color))
    return {"view": session.trainer.set_latent_view(view)}


def data_get(session: Session, args: dict) -> dict:
    """Data-set rows as the data set holds them: images u8 (or values f32) and their labels."""
    op_args.only(args, ("indices",))
    idx = _indices(session, args)
    dataset = session.trainer.dataset
    x = dataset.x[idx].numpy()  # (n, D) in [0, 1] for images
    if dataset.image_shape:
        out = {"images": array((x.clip(0, 1) * 255.0).round().astype(np.uint8).reshape(len(idx), *dataset.image_shape), "u8")}
    else:
        out = {"values": array(x, "f32")}
    if dataset.labels is not None:
        out["labels"] = array(dataset.labels[idx].numpy(), "i32")
    return out


def _indices(session: Session, args: dict) -> np.ndarray:
    """The required `indices` i32 [n]: data-set rows, 1 to MAX_ITEMS of them."""
    if "indices" not in args:
        raise ConfigError("'indices' is required: i32 array of shape [n] (data-set rows)")
    idx = from_array(args["indices"], "indices", "i32")
    n = session.trainer.dataset.n
    if idx.ndim != 1 or idx.shape[0] == 0:
        raise ConfigError(f"'indices' must have shape [n] with n >= 1, got {list(idx.shape)}")
    if idx.shape[0] > MAX_ITEMS:
        raise TooLarge(f"'indices' has {idx.shape[0]} rows; at most {MAX_ITEMS} per request")
    if idx.min() < 0 or idx.max() >= n:
        raise ConfigError(f"'indices' must be data-set rows from 0 to {n - 1}")
    return idx.astype(np.int64)


def _labels(session: Session, args: dict, n: int) -> np.ndarray | None:
    """Optional `labels` i32 [n] for conditional models (omitted: label 0, or the rows' own in encode)."""
    if "labels" not in args:
        return None
    trainer = session.trainer
    if not trainer.conditional:
        raise ConfigError(f"'labels' is only for conditional models; {trainer.spec.name} is not")
    labels = from_array(args["labels"], "labels", "i32")
    classes = trainer.spec.num_classes
    if labels.shape != (n,):
        raise ConfigError(f"'labels' must have shape [{n}] (one per row), got {list(labels.shape)}")
    if n and (labels.min() < 0 or labels.max() >= classes):
        raise ConfigError(f"'labels' must be classes from 0 to {classes - 1}")
    return labels


def decoded_results(session: Session, requests: list[DecodeRequest]) -> list[dict]:
    """The result maps of requests decoded together, each as it would be alone. Image data decodes
    to `images` (u8); vector data (toy manifolds) to its `values` (f32)."""
    images = bool(session.trainer.dataset.image_shape)
    decoded = session.inference.decode_many([(r.z, r.labels) for r in requests], images)
    key, dtype = ("images", "u8") if images else ("values", "f32")
    return [{**r.fields, key: array(d, dtype)} for r, d in zip(requests, decoded)]


def decoded_result(session: Session, request: DecodeRequest) -> dict:
    return decoded_results(session, [request])[0]
