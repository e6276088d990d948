"""Generation quality (protocol/README.md §5.4): test reconstruction PSNR and sample diversity, over
the wire (a long op) and as `vaestudio generation`."""

import json
import time

import numpy as np
import pytest
from scipy.spatial.distance import pdist

from support.backends import vaestudio
from support.schema import check_result
from vaestudio.client import RemoteError, from_wire, to_wire
from vaestudio.datasets import load_dataset


def test_generation_reports_recon_psnr_and_diversity_against_the_test_rows(make_server):
    digits = load_dataset("digits")
    with make_server(latent_dim=8).client(timeout=60) as c:
        c.call("train.step", n=500, timeout=120)
        r = c.call("generation", n=64, seed=3, timeout=120)
        assert not check_result("generation", r), check_result("generation", r)
        assert r["n"] == 64 and r["n_data"] == 64 and r["n_recon"] == 180
        assert np.isfinite(r["recon_psnr"]) and r["recon_psnr"] > 10  # dB on [0, 1] pixels; measured ~16
        assert r["sample_diversity"] > 0 and r["diversity"] > 0
        assert r["diversity"] == pytest.approx(r["sample_diversity"] / r["data_diversity"])
        # data_diversity is the test rows' mean pairwise distance / sqrt(D), as a client computes it
        rows = digits.x[digits.test_idx[:64]].numpy().astype(np.float64)
        assert r["data_diversity"] == pytest.approx(pdist(rows).mean() / 8.0, rel=1e-6)
        # sample_diversity is that of the decodes of `sample` at the same seed (up to u8 rounding)
        samples = from_wire(c.call("sample", n=64, seed=3)["images"]).reshape(64, 64) / 255.0
        assert r["sample_diversity"] == pytest.approx(pdist(samples).mean() / 8.0, abs=0.01)

        assert c.call("generation", n=64, seed=3, timeout=120) == r  # seeded
        cold = c.call("generation", n=64, seed=3, temperature=0.1, timeout=120)
        assert cold["sample_diversity"] < r["sample_diversity"]  # samples near the prior's mode look alike


def test_generation_recon_psnr_is_that_of_the_test_reconstructions(make_server):
    digits = load_dataset("digits")
    with make_server(latent_dim=4).client(timeout=60) as c:
        c.call("train.step", n=200, timeout=60)
        test = digits.test_idx.numpy()
        mu = from_wire(c.call("encode", indices=to_wire(test, "i32"))["mu"])
        recon = from_wire(c.call("decode", z=to_wire(mu))["images"]).reshape(len(test), 64) / 255.0
        mse = ((digits.x[test].numpy().astype(np.float64) - recon) ** 2).mean(1)
        expected = np.mean(10 * np.log10(1.0 / mse))
        assert c.call("generation", timeout=120)["recon_psnr"] == pytest.approx(expected, abs=0.05)


def test_generation_on_vector_data_and_a_conditional_model(make_server):
    with make_server(dataset="moons", model="cvae").client(timeout=60) as c:
        c.call("train.step", n=100, timeout=60)
        r = c.call("generation", n=2, timeout=60)
        assert r["n"] == 2 and np.isfinite(r["recon_psnr"]) and r["sample_diversity"] > 0


@pytest.mark.parametrize("args,words", [
    ({"n": 1}, "'n' must be an integer from 2 to 4096"),
    ({"n": 4097}, "'n' must be an integer from 2 to 4096"),
    ({"temperature": 0.0}, "'temperature' must be a number from 0.001"),
    ({"seed": -1}, "'seed' must be an integer from 0"),
    ({"time_limit_s": 4000.0}, "'time_limit_s' must be a number from 0.1 to 3600"),
    ({"split": "test"}, "split"),
])
def test_generation_refuses_bad_input_and_training_goes_on(make_server, args, words):
    with make_server(paused=False).client() as c:
        with pytest.raises(RemoteError) as err:
            c.call("generation", **args)
        assert err.value.code == "invalid_argument" and words in err.value.message, err.value.message
        step = c.call("status")["step"]
        time.sleep(0.3)
        assert c.call("status")["step"] > step


def test_vaestudio_generation_prints_its_figures(tmp_path):
    runs = tmp_path / "runs"
    trained = vaestudio("train", "--steps", "200", "--latent-dim", "4", "-q", runs=runs)
    assert trained.returncode == 0, trained.stderr
    run = json.loads(trained.stdout)["run"]
    table = vaestudio("generation", run, "--n", "100", runs=runs)
    assert table.returncode == 0, table.stderr
    assert "100 prior samples (seed 0, temperature 1) against 100 test rows" in table.stdout
    assert "recon PSNR, 180 test rows (dB)" in table.stdout and "diversity ratio" in table.stdout
    out = json.loads(vaestudio("generation", run, "--n", "100", "--json", runs=runs).stdout)
    assert out["n"] == 100 and out["diversity"] > 0 and np.isfinite(out["recon_psnr"])
    bad = vaestudio("generation", run, "--n", "1", runs=runs)
    assert bad.returncode == 2 and "--n must be from 2 to 4096" in bad.stderr
