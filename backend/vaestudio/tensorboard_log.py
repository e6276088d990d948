"""Optional TensorBoard logging (`--tensorboard`): the metrics of every 10th step, one folder per run.

Needs the tensorboard package (`pip install 'vaestudio[tensorboard]'`); without it the flag fails
at start with a sentence saying so, instead of training silently without the logs.
"""

from __future__ import annotations

from pathlib import Path

EVERY = 10  # steps between points: TensorBoard smooths anyway, and files stay small


class TensorBoardHook:
    def __init__(self, runs_root: Path):
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError as exc:
            raise RuntimeError("--tensorboard needs the tensorboard package: pip install 'vaestudio[tensorboard]'") from exc
        self._writer_cls = SummaryWriter
        self.runs_root = Path(runs_root)
        self._writers: dict[str, object] = {}

    def __call__(self, metrics: dict) -> None:
        step = metrics["step"]
        if step % EVERY:
            return
        run = metrics["run"]
        writer = self._writers.get(run)
        if writer is None:
            writer = self._writers[run] = self._writer_cls(log_dir=str(self.runs_root / run / "tensorboard"))
        for key, value in metrics.items():
            if key not in ("run", "step") and isinstance(value, (int, float)):
                writer.add_scalar(key, value, step)

    def close(self) -> None:
        for writer in self._writers.values():
            writer.close()
