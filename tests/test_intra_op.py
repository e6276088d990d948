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
    # the latent thread encodes serially; the trainer's own full encode at the end of a train.step
    # does not, when there is one: none when the latent thread got to that snapshot first
    assert counts.pop("vaestudio-trainer", 2) == 2, counts
    assert counts == {"vaestudio-latent": 1, "trainer": 2, "task": 1, "main": 1, "later run": 2}


def denormals_survive(n: int) -> bool:
    """Whether this thread's multiply keeps denormals: n copies of the smallest one (set by its bits,
    no arithmetic), times 1; a large n is split across the thread's OpenMP team."""
    x = torch.ones(n, dtype=torch.int32).view(torch.float32)  # 1.4e-45 each
    return bool((x * 1.0 != 0).all())


def test_a_training_thread_and_its_team_flush_denormals_and_no_other_thread_does():
    # A thread as PyTorch leaves it keeps them (the test can tell)...
    assert on_fresh_thread(lambda: denormals_survive(4 << 20))

    def training_with_two_threads() -> tuple[int, bool]:
        intra_op.train_here(2)
        # ... while a training thread flushes every element of a pass its team of two shares
        return torch.get_num_threads(), denormals_survive(4 << 20)

    assert on_fresh_thread(training_with_two_threads) == (2, False)
    # The server's and the encodes' threads keep them: the mode would change their Python floats too,
    # and the server checks the numbers in requests (under DAZ, -5e-324 < 0 is false)
    assert on_fresh_thread(lambda: (intra_op.serial(), denormals_survive(1024), -5e-324 < 0)[1:]) == (True, True)


def test_the_trainer_thread_flushes_denormals():
    trainer = Trainer(load_dataset("digits"), ModelSpec(latent_dim=2), TrainConfig(batch_size=32), threads=1)
    trainer.streaming = False
    trainer.start_thread()
    try:
        q: queue.Queue = queue.Queue()
        trainer.call(lambda: denormals_survive(1024), q.put)
        assert q.get(timeout=30) is False
    finally:
        trainer.stop()
