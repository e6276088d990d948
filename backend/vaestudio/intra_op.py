"""Which thread computes with how many intra-op threads, in `vaestudio train` and `serve`.

PyTorch's CPU kernels run their parallel parts on an OpenMP team, and with GNU OpenMP (the Linux
wheels) every thread that ever ran a parallel part keeps a team of its own for as long as it lives.
Idle team members spin while the process's OpenMP threads fit on the cores, and sleep once they
outnumber them, which makes every team wake slowly. One decode on the server thread, one latent
encode, even `torch.set_num_threads(2)` on the main thread was enough: the digits MLP trained 3x
slower with 2 threads on 2 cores (bench/bench_scale.py, 2 threads: 0.31x a bare loop before).

So one thread alone, the trainer's, computes with the thread count the user chose (`--threads`);
every other thread (the server loop and its inference, the latent encodes, tasks) computes serially
and never starts a team. torch.set_num_threads acts on the calling thread's OpenMP and MKL counts,
and on the default that threads starting later take, so each thread sets its own.

The threads that train also flush denormal floats to zero (FTZ and DAZ, as TensorFlow's compute
threads do), and so does the OpenMP team each starts. A VAE makes denormals as it trains: once a
ReLU unit dies or a latent dimension collapses to the prior, its gradients are exactly zero and
Adam's running mean of them decays into the denormal range, where 0.9 x the smallest denormal
rounds back to itself, so it stays there for good: 30 % of the digits MLP's exp_avg after 2,000
steps. Every multiply on one takes a microcode assist; with them kept, its
step took 2,031 us instead of 1,512 (bench_step_overhead.py prints both, and the denormal share).
Values below 1.2e-38 carry nothing a float32 model can learn from. Only the training threads: the
mode is the thread's, so it changes Python's own float arithmetic there too (under DAZ, -5e-324 < 0
is false), and the server's thread checks the numbers in requests.
"""

from __future__ import annotations

import torch

_training_threads: int | None = None


def configure(threads: int) -> None:
    """`train`/`serve`: the trainer's thread will compute with `threads`; this (the main) thread,
    which loads the data and builds the model before the trainer starts, computes serially."""
    global _training_threads
    _training_threads = max(1, int(threads))
    serial()


def training_threads() -> int:
    """The trainer thread's intra-op thread count: configure()'s, else the count of the first
    thread that asked (a Trainer built in a test or a notebook trains with its caller's count, and so
    do the runs built later on a serial server thread)."""
    global _training_threads
    if _training_threads is None:
        _training_threads = torch.get_num_threads()
    return _training_threads


def use(threads: int) -> None:
    """The calling thread computes with `threads` intra-op threads (the trainer's thread, at its top)."""
    # A thread's first parallel op sets its count from the process default (the last
    # set_num_threads of any thread) unless it was initialised already: get_num_threads does that
    # first, so another thread's later set_num_threads cannot undo this one.
    torch.get_num_threads()
    torch.set_num_threads(max(1, threads))


def train_here(threads: int) -> None:
    """At the top of a thread that trains (the trainer's; a data-parallel follower's main thread):
    use(threads), with denormals flushed to zero."""
    # Per thread (the x86 MXCSR register, or the ARM FPCR): the OpenMP team this thread starts at
    # its first parallel op inherits it, so it is set first.
    torch.set_flush_denormal(True)
    use(threads)


def serial() -> None:
    """At the top of any other thread that computes: one thread, so it never starts an OpenMP team."""
    use(1)
