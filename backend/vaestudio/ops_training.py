"""Ops that drive the live trainer: train.start/pause/step/reset and config.set."""

from __future__ import annotations

from vaestudio import op_args
from vaestudio.errors import ConfigError
from vaestudio.op_args import MAX_STEPS
from vaestudio.session import Session
from vaestudio.train_config import LIVE_KEYS
from vaestudio.trainer import Reply


def train_start(session: Session, args: dict) -> dict:
    op_args.only(args, ())
    session.trainer.start()
    return {"state": session.trainer.state}


def train_pause(session: Session, args: dict, reply: Reply) -> None:
    op_args.only(args, ())
    session.trainer.pause(reply)  # replies once the step in progress has finished


def train_step(session: Session, args: dict, reply: Reply) -> None:
    op_args.only(args, ("n",))
    n = op_args.integer(args, "n", 1, MAX_STEPS, default=1)
    if session.trainer.state == "training":
        raise ConfigError("train.step runs steps while paused; send train.pause first")
    session.trainer.request_steps(n, reply)


def train_reset(session: Session, args: dict, reply: Reply) -> None:
    op_args.only(args, ("seed",))
    session.trainer.reset(op_args.integer(args, "seed", 0, 2**31 - 1), reply)


def config_set(session: Session, args: dict) -> dict:
    op_args.only(args, LIVE_KEYS)
    if not args:
        raise ConfigError(f"config.set needs at least one of: {', '.join(LIVE_KEYS)}")
    return {"config": session.trainer.update_config(**args)}  # checked whole before anything changes
