"""Ops that help a client fill in its settings forms: model.check (would this model fit this data?)
and data.browse (which data files may it name?). model.list and data.list, which describe every
setting, are in ops_runs beside run.new.

Both run as tasks (session.tasks): checking a model may build a data set and a model, and a folder may
hold many files, so the server loop keeps answering and the trainer keeps training meanwhile.
"""

from __future__ import annotations

from vaestudio import checks, op_args
from vaestudio.datasets import DataError, Dataset, dataset_options
from vaestudio.datasets.browse import browse
from vaestudio.loading import load_data
from vaestudio.models.summary import summarize
from vaestudio.ops_runs import parse_run_args
from vaestudio.session import Session
from vaestudio.trainer import Reply


def model_check(session: Session, args: dict, reply: Reply) -> None:
    """Validates `model` (as run.new takes it) against `data` (as run.new takes it; default: the live
    run's data set) without starting a run; replies {spec, parameters, encoder, decoder}."""
    op_args.only(args, ("model", "data"))
    live = session.trainer.dataset
    given = {"model": op_args.mapping(args, "model")}
    if "data" in args:
        given["data"] = op_args.mapping(args, "data")
    spec, data, _ = parse_run_args(given)  # the same checks and errors as run.new
    reuse = "data" not in args or _same_data(data, live)
    dirs = session.data_dirs
    session.tasks.start(reply, lambda _: summarize(spec, live if reuse else load_data(data, dirs)), "model.check")


def _same_data(data: dict, dataset: Dataset) -> bool:
    """Whether run.new's `data` would rebuild `dataset`: its name and options, defaults filled in,
    are those the data set records in its source."""
    try:
        defaults = dataset_options(data["name"])
    except DataError:
        return False
    return {"name": data["name"], **defaults, **data} == dataset.source


def data_browse(session: Session, args: dict, reply: Reply) -> None:
    """One folder of the server's --data-dir folders (protocol/README.md §5.5)."""
    op_args.only(args, ("path",))
    path = checks.text("'path'", args.get("path", ""))
    dirs = session.data_dirs
    session.tasks.start(reply, lambda _: browse(path, dirs), "data.browse")
