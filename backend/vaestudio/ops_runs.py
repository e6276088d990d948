"""Ops on models, data and runs: model.list, data.list, run.new/list/save/load/export, eval, cancel,
metrics.history.

The slow ones (building a data set, saving, exporting, evaluating) run as tasks in their own
threads (session.tasks), so the server loop keeps answering and the trainer keeps training; a
failure leaves the live session exactly as it was.
"""

from __future__ import annotations

from vaestudio import checks, op_args, settings_schema, wire
from vaestudio.errors import ConfigError
from vaestudio.export import EXPORT_ITEMS
from vaestudio.history import MetricsHistory
from vaestudio.loading import load_trainer, new_trainer
from vaestudio.models import ModelSpec
from vaestudio.models.spec import DATA_FIELDS, field_names
from vaestudio.run_files import MAX_CHUNK
from vaestudio.session import Session
from vaestudio.tasks import DEFAULT_TIME_LIMIT_S
from vaestudio.train_config import TrainConfig
from vaestudio.trainer import Reply

MAX_IW_SAMPLES = 5000
MAX_TIME_LIMIT_S = 3600.0
MAX_HISTORY_POINTS = 4096
DEFAULT_HISTORY_POINTS = 1000
INLINE_HASH_BYTES = 1 << 20  # run.fetch hashes a file up to this size on the loop (< 1 ms)


def model_list(session: Session, args: dict) -> dict:
    op_args.only(args, ())
    return settings_schema.model_list()


def data_list(session: Session, args: dict) -> dict:
    op_args.only(args, ())
    return settings_schema.data_list()


def parse_run_args(args: dict) -> tuple[ModelSpec, dict, TrainConfig]:
    """run.new args -> (model spec, data options with name, train config); raises ConfigError."""
    op_args.only(args, ("model", "data", "train", "paused"))
    model, data, train = (op_args.mapping(args, key) for key in ("model", "data", "train"))
    fixed = sorted(set(model) & set(DATA_FIELDS))
    if fixed:
        raise ConfigError(f"model key(s) {fixed} come from the data set and cannot be set")
    # Variant hyper-parameters may sit beside the spec's own keys: {"name": "iwae", "k": 10}
    params = {**{k: model.pop(k) for k in list(model) if k not in field_names()}, **model.pop("params", {})}
    spec = ModelSpec.from_dict({**model, "params": params})
    config = TrainConfig.from_dict(train)
    data.setdefault("name", "digits")
    if not isinstance(data["name"], str):
        raise ConfigError("'data.name' must be a data set name; data.list lists them")
    return spec, data, config


def run_new(session: Session, args: dict, reply: Reply) -> None:
    spec, data, config = parse_run_args(args)
    paused = checks.boolean("'paused'", args.get("paused", False))
    session.replace(reply, lambda: new_trainer(spec, data, config, session.store, session.data_dirs), paused)


def run_list(session: Session, args: dict) -> dict:
    op_args.only(args, ())
    live = session.trainer.run
    return {"runs": [{**r, "live": r["run"] == live} for r in session.store.list()]}


def run_delete(session: Session, args: dict) -> dict:
    op_args.only(args, ("run",))
    run = _run_name(args)
    if run == session.trainer.run:
        raise ConfigError(f"run {run} is the live run and cannot be deleted; start or load another run first "
                          "(run.new, run.load), then delete it")
    if session.replacing:
        raise ConfigError("a run.new or run.load is in progress; delete runs once it has replied")
    session.store.delete(run)  # RunError for bad or unknown names
    session.trainer.emit("log", level="info", event="deleted", message=f"deleted run {run}")
    return {"run": run, "deleted": True}


def run_fetch(session: Session, args: dict, reply: Reply) -> None:
    """A chunk of a file in a run folder, with the whole file's size and sha256 (protocol/README.md
    §5.2). The sha256 of a file version is computed once (RunStore.hashes); a version not hashed
    yet is hashed in a task thread, so a large file never holds up the loop."""
    op_args.only(args, ("run", "path", "offset", "length"))
    run = _run_name(args)
    offset = op_args.integer(args, "offset", 0, 2**63 - 1, default=0)
    length = op_args.integer(args, "length", 1, MAX_CHUNK, default=MAX_CHUNK)
    hashes = session.store.hashes
    f = session.store.open_file(run, args.get("path"))

    def chunk(_: object = None) -> dict:
        try:
            data = f.read(offset, length)  # raises past the end, before any hashing
            return {"run": run, "path": f.name, "offset": offset, "data": data, "size": f.size,
                    "sha256": hashes.sha256(f)}
        finally:
            f.close()

    if hashes.known(f) is not None or f.size <= INLINE_HASH_BYTES or offset > f.size:
        reply(chunk())
    else:
        session.tasks.start(reply, chunk, "run.fetch")


def _run_name(args: dict) -> str:
    run = args.get("run")
    if not isinstance(run, str):
        raise ConfigError("'run' is required: a run name from run.list")
    return run


def run_save(session: Session, args: dict, reply: Reply) -> None:
    op_args.only(args, ())
    session.trainer.call(session.trainer.save, reply)


def run_load(session: Session, args: dict, reply: Reply) -> None:
    op_args.only(args, ("run",))
    run = args.get("run")
    if not isinstance(run, str):
        raise ConfigError("'run' is required: a run name from run.list")
    session.store.folder(run)  # raises RunError for bad or unknown names
    session.replace(reply, lambda: load_trainer(run, session.store, session.data_dirs), paused=True, event="loaded")


def run_export(session: Session, args: dict, reply: Reply) -> None:
    op_args.only(args, ("run", "items", "time_limit_s"))
    items = args.get("items", list(EXPORT_ITEMS))
    if not isinstance(items, list) or not items or any(i not in EXPORT_ITEMS for i in items):
        raise ConfigError(f"'items' must be a non-empty list of: {', '.join(EXPORT_ITEMS)}")
    run = args.get("run", session.trainer.run)
    if not isinstance(run, str):
        raise ConfigError("'run' must be a run name from run.list")
    session.store.folder(run, must_exist=run != session.trainer.run)
    session.export(reply, run, tuple(items), _time_limit(args))


def evaluate(session: Session, args: dict, reply: Reply) -> None:
    op_args.only(args, ("split", "iw_samples", "time_limit_s"))
    split = checks.choice("'split'", args.get("split", "test"), ("train", "test"))
    k = op_args.integer(args, "iw_samples", 0, MAX_IW_SAMPLES, default=0)
    session.evaluate(reply, split, k, _time_limit(args))


def _time_limit(args: dict) -> float:
    """A long op's `time_limit_s`: past it the op stops and replies timed_out."""
    return op_args.number(args, "time_limit_s", 0.1, MAX_TIME_LIMIT_S, default=DEFAULT_TIME_LIMIT_S)


def cancel(session: Session, args: dict, reply: Reply) -> None:
    """Stops a long op (eval, run.export) that this client asked for; it then replies `cancelled`."""
    op_args.only(args, ("id",))
    target = op_args.integer(args, "id", -(2**63), 2**63 - 1)
    if target is None:
        raise ConfigError("'id' is required: the id of the request to cancel")
    peer, _ = reply.key  # cancel only reaches the same client's requests
    reply({"cancelled": session.tasks.cancel((peer, target))})


def metrics_history(session: Session, args: dict, reply: Reply) -> None:
    """A run's metrics from its first step, in equal step-width buckets (protocol/README.md §5).
    The live run answers at once, from memory (a few ms of numpy on the loop, less than a task's
    hand-over would add); another run is read from its metrics.jsonl in a task thread, once."""
    op_args.only(args, ("run", "since_step", "max_points"))
    live = session.trainer
    run = live.run if args.get("run") is None else args["run"]
    if not isinstance(run, str):
        raise ConfigError("'run' must be a run name from run.list (omit it for the live run)")
    since_step = op_args.integer(args, "since_step", 0, 2**63 - 1, default=0)
    max_points = op_args.integer(args, "max_points", 1, MAX_HISTORY_POINTS, default=DEFAULT_HISTORY_POINTS)
    if run == live.run:
        reply(history_result(run, live.history, since_step, max_points))
        return
    session.store.folder(run)  # raises RunError for bad or unknown names, naming the run
    session.tasks.start(reply, lambda _: history_result(run, session.store.read_history(run), since_step, max_points),
                        "metrics.history")


def history_result(run: str, history: MetricsHistory, since_step: int, max_points: int) -> dict:
    """The `metrics.history` result map: numpy buckets as wire arrays (steps i32, series f32)."""
    b = history.bucket(since_step, max_points)
    return {
        "run": run, "first_step": b.first_step, "last_step": b.last_step, "bucket": b.bucket,
        "steps": wire.array(b.steps, "i32"),
        "series": {name: {k: wire.array(v, "f32") for k, v in stats.items()} for name, stats in b.series.items()},
    }
