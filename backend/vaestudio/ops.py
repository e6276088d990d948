"""Every control op of wire contract v1, in one table a reader can scan (protocol/README.md).

A handler takes the live `Session` and the request's `args`. An immediate handler returns the
result map; a deferred one also gets a `reply` callback and answers through it later, from the
trainer's thread or a task's (train.pause waits for the step in progress, run.new builds a data
set). Bad arguments raise a UserError, which becomes an error reply with its code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from vaestudio import PROTOCOL_VERSION, __version__, op_args, ops_inference, ops_runs, ops_settings, ops_training, ops_usecases
from vaestudio.errors import ConfigError
from vaestudio.session import Session

STREAMS = ("metrics", "latent", "status", "log", "dims", "recons", "layers", "eval")


@dataclass(frozen=True)
class Op:
    handler: Callable
    deferred: bool = False  # handler(session, args, reply) answers later through reply


def hello(session: Session, args: dict) -> dict:
    op_args.only(args, ("client", "protocol"))
    proto = args.get("protocol", PROTOCOL_VERSION)
    if proto != PROTOCOL_VERSION:
        raise ConfigError(f"'protocol' {proto!r} is not spoken here; this server speaks {PROTOCOL_VERSION}")
    return {"protocol": PROTOCOL_VERSION, "server": "vaestudio", "version": __version__,
            "ops": sorted(OPS), "streams": list(STREAMS)}


def status(session: Session, args: dict) -> dict:
    op_args.only(args, ())
    return session.status()


OPS: dict[str, Op] = {
    "hello": Op(hello),
    "status": Op(status),
    # training
    "train.start": Op(ops_training.train_start),
    "train.pause": Op(ops_training.train_pause, deferred=True),
    "train.step": Op(ops_training.train_step, deferred=True),
    "train.reset": Op(ops_training.train_reset, deferred=True),
    "config.set": Op(ops_training.config_set),
    # inference on the newest weights
    "decode": Op(ops_inference.decode),
    "encode": Op(ops_inference.encode),
    "sample": Op(ops_inference.sample),
    "data.get": Op(ops_inference.data_get),
    "trace": Op(ops_inference.trace),
    "latent.view": Op(ops_inference.latent_view),
    # models, data, runs and long tasks
    "model.list": Op(ops_runs.model_list),
    "data.list": Op(ops_runs.data_list),
    "model.check": Op(ops_settings.model_check, deferred=True),
    "data.browse": Op(ops_settings.data_browse, deferred=True),
    "run.new": Op(ops_runs.run_new, deferred=True),
    "run.list": Op(ops_runs.run_list),
    "run.delete": Op(ops_runs.run_delete),
    "run.fetch": Op(ops_runs.run_fetch, deferred=True),
    "run.save": Op(ops_runs.run_save, deferred=True),
    "run.load": Op(ops_runs.run_load, deferred=True),
    "run.export": Op(ops_runs.run_export, deferred=True),
    "metrics.history": Op(ops_runs.metrics_history, deferred=True),
    "eval": Op(ops_runs.evaluate, deferred=True),
    "cancel": Op(ops_runs.cancel, deferred=True),
    # use cases (protocol/README.md §5.4)
    "denoise": Op(ops_usecases.denoise),
    "anomaly": Op(ops_usecases.anomaly, deferred=True),
    "compress": Op(ops_usecases.compress),
    "style": Op(ops_usecases.style),
    "analogy": Op(ops_usecases.analogy),
    "attribute": Op(ops_usecases.attribute),
    "features": Op(ops_usecases.features, deferred=True),
    "generation": Op(ops_usecases.generation, deferred=True),
}
