"""Ops on models, data and runs: model.list, data.list, run.new/list/save/load/export, eval.

The slow ones (building a data set, saving, exporting, evaluating) run in a background thread
(`server.background`), so the server loop keeps answering and the trainer keeps training; a
failure leaves the live session exactly as it was.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from vaestudio.config import TrainConfig
from vaestudio.datasets import list_datasets
from vaestudio.export import EXPORT_ITEMS
from vaestudio.models import ModelSpec, list_models
from vaestudio.op_args import _int, _no_extra
from vaestudio.wire import ProtocolError

if TYPE_CHECKING:
    from vaestudio.server import Server

DEFERRED = object()
Reply = Callable[[object], None]
MAX_IW_SAMPLES = 5000
MODEL_KEYS_FROM_DATA = ("input_dim", "image_shape", "likelihood", "num_classes")


def _map(args: dict, name: str, required: bool = False) -> dict:
    value = args.get(name, {} if not required else None)
    if not isinstance(value, dict):
        raise ProtocolError("invalid_argument", f"'{name}' must be a map" + (" (it is required)" if value is None else ""))
    return value


def op_model_list(server: "Server", args: dict) -> dict:
    _no_extra(args, ())
    return {"models": list_models()}


def op_data_list(server: "Server", args: dict) -> dict:
    _no_extra(args, ())
    return {"datasets": list_datasets()}


def parse_run_args(args: dict) -> tuple[ModelSpec, dict, TrainConfig]:
    """run.new args -> (model spec, data options with name, train config); raises ProtocolError."""
    from vaestudio.config import ConfigError

    _no_extra(args, ("model", "data", "train", "paused"))
    model = dict(_map(args, "model"))
    data = dict(_map(args, "data"))
    train = dict(_map(args, "train"))
    fixed = sorted(set(model) & set(MODEL_KEYS_FROM_DATA))
    if fixed:
        raise ProtocolError("invalid_argument", f"model key(s) {fixed} come from the data set and cannot be set")
    # Variant hyper-parameters may sit beside the spec's own keys: {"name": "iwae", "k": 10}
    spec_keys = {"name", "latent_dim", "arch", "hidden", "channels", "encoder", "decoder", "obs_sigma", "params"}
    params = {**{k: model.pop(k) for k in list(model) if k not in spec_keys}, **model.pop("params", {})}
    try:
        spec = ModelSpec(**model, params=params)
        config = TrainConfig.from_dict(train)
    except (ConfigError, TypeError) as exc:
        raise ProtocolError("invalid_argument", str(exc)) from None
    data.setdefault("name", "digits")
    if not isinstance(data["name"], str):
        raise ProtocolError("invalid_argument", "'data.name' must be a data set name; data.list lists them")
    return spec, data, config


def op_run_new(server: "Server", args: dict, reply: Reply) -> object:
    spec, data, config = parse_run_args(args)
    paused = args.get("paused", False)
    if not isinstance(paused, bool):
        raise ProtocolError("invalid_argument", "'paused' must be true or false")
    server.replace_session(reply, lambda: server.build_trainer(spec, data, config), paused)
    return DEFERRED


def op_run_list(server: "Server", args: dict) -> dict:
    _no_extra(args, ())
    return {"runs": server.store.list()}


def op_run_save(server: "Server", args: dict, reply: Reply) -> object:
    _no_extra(args, ())
    server.trainer.call(server.trainer.save, reply)
    return DEFERRED


def op_run_load(server: "Server", args: dict, reply: Reply) -> object:
    _no_extra(args, ("run",))
    run = args.get("run")
    if not isinstance(run, str):
        raise ProtocolError("invalid_argument", "'run' is required: a run name from run.list")
    server.store.folder(run)  # raises RunError (-> invalid_argument) for bad or unknown names
    server.replace_session(reply, lambda: server.load_trainer(run), paused=True, event="loaded")
    return DEFERRED


def op_run_export(server: "Server", args: dict, reply: Reply) -> object:
    _no_extra(args, ("run", "items"))
    items = args.get("items", list(EXPORT_ITEMS))
    if not isinstance(items, list) or not items or any(i not in EXPORT_ITEMS for i in items):
        raise ProtocolError("invalid_argument", f"'items' must be a non-empty list of: {', '.join(EXPORT_ITEMS)}")
    run = args.get("run", server.trainer.run)
    if not isinstance(run, str):
        raise ProtocolError("invalid_argument", "'run' must be a run name from run.list")
    server.store.folder(run, must_exist=run != server.trainer.run)
    server.export(reply, run, tuple(items))
    return DEFERRED


def op_eval(server: "Server", args: dict, reply: Reply) -> object:
    _no_extra(args, ("split", "iw_samples"))
    split = args.get("split", "test")
    if split not in ("train", "test"):
        raise ProtocolError("invalid_argument", f"'split' must be 'train' or 'test', got {split!r}")
    k = _int(args, "iw_samples", 0, MAX_IW_SAMPLES, default=0)
    server.evaluate(reply, split, k)
    return DEFERRED


RUN_OPS: dict[str, tuple[Callable, bool]] = {
    "model.list": (op_model_list, False),
    "data.list": (op_data_list, False),
    "run.new": (op_run_new, True),
    "run.list": (op_run_list, False),
    "run.save": (op_run_save, True),
    "run.load": (op_run_load, True),
    "run.export": (op_run_export, True),
    "eval": (op_eval, True),
}
