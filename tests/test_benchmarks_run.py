"""The benchmarks still run and print their figures (tiny budgets; the figures are not judged)."""

import subprocess
import sys

from support.backends import REPO
from support.godot import require_godot


def run(*args: str) -> str:
    r = subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def test_scale_benchmark_prints_bare_live_and_headless_rows():
    out = run("bench/bench_scale.py", "--seconds", "0.3", "--warmup", "0.3", "--rounds", "1", "--threads", "1",
              "--train-steps", "20", "--only", "digits", "shapes")
    rows = [line for line in out.splitlines() if line.startswith("| digits") or line.startswith("| shapes")]
    assert len(rows) == 3 and "train (headless)" in rows[2], out
    faults = float(rows[0].rstrip(" |").rsplit("|", 1)[1].replace(",", ""))  # the live servers' page faults per step
    assert faults >= 0, out


def test_step_overhead_benchmark_prints_bare_plain_step_and_headless_per_step():
    out = run("bench/bench_step_overhead.py", "--seconds", "0.05", "--rounds", "1", "--only", "tiny", "--profile")
    rows = [line for line in out.splitlines() if line.startswith("| digits, MLP 64-8-2")]
    assert len(rows) == 1 and len(rows[0].split("|")) == 10 and rows[0].rstrip(" |").endswith("x"), out
    assert "exp_avg values that are denormal:" in out, out  # what the plain loop pays for
    assert "trainer.py:" in out, out  # the profile names where the trainer's own time goes


def test_distributed_benchmark_prints_one_and_two_process_rows():
    out = run("bench/bench_distributed.py", "--steps", "10", "--rounds", "1", "--only", "digits")
    rows = [line for line in out.splitlines() if line.startswith("| digits MLP")]
    assert len(rows) == 3 and "1 process, 1 thread" in rows[0] and "`--nproc 2`" in rows[2], out


def test_model_table_prints_a_row_per_model_and_data_set():
    out = run("bench/bench_models.py", "--digits-steps", "3", "--shapes-steps", "2", "--iw", "2", "--models", "vae", "vq_vae")
    rows = [line for line in out.splitlines() if line.startswith("| digits") or line.startswith("| shapes")]
    assert len(rows) == 4, out


def test_latent_benchmark_prints_stream_size_rate_and_grid_round_trip():
    out = run("bench/bench_latent.py", "--seconds", "1", "--points", "500", "--dims", "2", "32")
    for words in ("latent_dim   2:", "latent_dim  32:", "KiB each", "16x16 grid decode"):
        assert words in out, out


def test_godot_benchmark_prints_client_and_studio_figures():
    require_godot()
    out = run("bench/bench_godot.py", "--frames", "10", "--rounds", "2", "--latent-dim", "4")
    for name in ("decode_roundtrip_ms", "frame_2d", "frame_3d", "slider_to_image", "slider_to_image_frames",
                 "grid16", "fps_training", "fps_idle"):
        assert f"BENCH {name} p50=" in out, out
    assert "points=10000" in out, out


def test_trace_benchmark_prints_latency_for_the_mlp_and_the_conv():
    out = run("bench/bench_trace.py", "--rounds", "5")
    for words in ("digits MLP", "28x28 conv", "p50", "p99"):
        assert words in out, out


def test_history_benchmark_prints_bucket_and_round_trip_figures():
    out = run("bench/bench_history.py", "--steps", "5000", "--rounds", "2")
    for words in ("bucket(0, 1000): p50", "bucket(0, 4096): p50", "op round trip through a server, max_points 4096",
                  "load metrics.jsonl"):
        assert words in out, out


def test_insights_benchmark_prints_the_snapshots_share_of_training_time():
    out = run("bench/bench_insights.py", "--seconds", "0.2", "--rounds", "1", "--rows", "300")
    for words in ("digits MLP", "784-400-20 MLP", "ratio on/off", "% of training time"):
        assert words in out, out


def test_usecases_benchmark_prints_a_table_per_use_case():
    out = run("bench/bench_usecases.py", "--steps", "50", "--shapes-n", "500", "--iw", "5",
              "--only", "denoise", "anomaly", "compress")
    for words in ("### Denoising", "| digits | gaussian 0.3 |", "### Anomaly detection", "| digits28 | 0 |",
                  "### Compression", "| shapes | 10 | 8 | 10 | 4096 |"):
        assert words in out, out


def test_usecases_benchmark_prints_the_probe_disentanglement_and_style_tables():
    out = run("bench/bench_usecases.py", "--steps", "50", "--shapes-n", "500", "--only", "features", "disentanglement",
              "style", "--disentangle", "vae", "--style-rows", "20")
    for words in ("### Feature learning", "| digits28 | 8 | 1617 / 180 |", "### Disentanglement on shapes", "| vae | beta 1 |",
                  "Chen et al. 2018 report MIG", "### Style transfer", "| digits | 20 x 10 |"):
        assert words in out, out


def test_startup_benchmark_prints_start_up_phases_rss_and_imports():
    out = run("bench/bench_startup.py", "--runs", "1", "--phase-runs", "1", "--train-seconds", "0.2", "--only", "digits",
              "--imports", "3")
    rows = [line for line in out.splitlines() if line.startswith("| digits 8x8")]
    assert len(rows) == 1 and rows[0].count("|") == 6, out
    for words in ("| import torch |", "| load the data |", "server loop to the first `latent` frame received",
                  "| top-level import |", "optional packages imported at start-up: none",
                  "optimizer: the first torch.optim use"):  # (a stamp on a moved function is skipped)
        assert words in out, out


def test_pythae_benchmark_runs_or_says_how_to_install_pythae():
    out = run("bench/bench_pythae.py", "--seconds", "0.5", "--warmup", "0.2", "--steps", "20", "--threads", "1")
    assert "pythae not installed: pip install -e .[bench]" in out or "| pythae BaseTrainer vs vaestudio train | 1 |" in out, out


def test_decode_load_benchmark_prints_latency_and_training_under_load():
    out = run("bench/bench_decode_load.py", "--seconds", "0.5", "--warmup", "0.3", "--rounds", "1", "--probe-seconds", "0.3",
              "--only", "digits")
    rows = [line for line in out.splitlines() if line.startswith("| digits")]
    assert len(rows) == 1 and "p50/p99 under load ms" in out and "answered/sent" in out, out


def test_optimizer_benchmark_prints_the_default_and_the_runs_optimiser():
    out = run("bench/bench_optimizer.py", "--seconds", "0.05", "--rounds", "1", "--only", "digits")
    rows = [line for line in out.splitlines() if line.startswith("| digits 8x8, MLP")]
    assert len(rows) == 1 and rows[0].rstrip().endswith("x |"), out
