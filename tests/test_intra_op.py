"""One OpenMP team per process: in `train` and `serve` only the trainer's thread computes with the
chosen intra-op thread count; the thread that built the run, the latent encodes and tasks compute
serially (backend/vaestudio/intra_op.py; the speed it buys is in bench/bench_scale.py)."""

import queue
import threading

import torch

from vaestudio import intra_op
from vaestudio.datasets import load_dataset
from vaestudio.models import ModelSpec
from vaestudio.tasks import Tasks
from vaestudio.train_config import TrainConfig
from vaestudio.trainer import Trainer


def on_fresh_thread(fn):
    """fn() on a thread of its own (torch's per-thread counts stay off pytest's main thread)."""
    out: queue.Queue = queue.Queue()
    t = threading.Thread(target=lambda: out.put(fn()))
    t.start()
    t.join(120)
    return out.get_nowait()


def test_only_the_trainer_thread_computes_with_the_chosen_threads(monkeypatch):
    monkeypatch.setattr(intra_op, "_training_threads", None)
    monkeypatch.setattr("vaestudio.trainer.available_cores", lambda: 4)  # a core free: the latent thread runs

    def serve_like() -> dict:
        """What `vaestudio serve --threads 2` does on its main thread: configure, build, start, serve."""
        intra_op.configure(2)
        trainer = Trainer(load_dataset("digits"), ModelSpec(latent_dim=2), TrainConfig(batch_size=32))
        counts: dict[str, int] = {}
        encode_rows = trainer._latent._encode_rows

        def recorded(*args, **kwargs):
            counts[threading.current_thread().name] = torch.get_num_threads()
            return encode_rows(*args, **kwargs)

        trainer._latent._encode_rows = recorded
        trainer.start_thread()
        try:
            q: queue.Queue = queue.Queue()
            trainer.request_steps(30, q.put)  # the trainer's thread has set its own count by now
            q.get(timeout=60)
            trainer.call(torch.get_num_threads, q.put)
            counts["trainer"] = q.get(timeout=30)
            Tasks().start(q.put, lambda deadline: torch.get_num_threads(), "probe")
            counts["task"] = q.get(timeout=30)
            counts["main"] = torch.get_num_threads()
            counts["later run"] = Trainer(load_dataset("digits"), ModelSpec(latent_dim=2), TrainConfig()).threads
        finally:
            trainer.stop()
        return counts

    counts = on_fresh_thread(serve_like)
    # the latent thread encodes serially; the trainer's own full encodes (the end of a train.step) do not
    assert counts == {"vaestudio-latent": 1, "vaestudio-trainer": 2, "trainer": 2, "task": 1, "main": 1,
                      "later run": 2}
