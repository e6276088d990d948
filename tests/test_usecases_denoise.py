"""Denoising (protocol/README.md §5.4): over the wire on a trained digits model, and `vaestudio denoise`."""

import json
import time

import numpy as np
import pytest

from support.backends import vaestudio
from support.schema import check_result
from vaestudio.client import RemoteError, from_wire, to_wire

TRAIN_STEPS = 1000  # on digits at latent_dim 8 the decoder has learnt the digits' shapes by then


def _psnr(clean: np.ndarray, other: np.ndarray) -> np.ndarray:
    """(n, h, w) u8 images -> (n,) dB on the [0, 1] scale."""
    mse = ((clean.astype(np.float64) - other) / 255.0) ** 2
    return 10 * np.log10(1.0 / mse.reshape(len(mse), -1).mean(1))


def test_a_trained_digits_model_denoises_gaussian_noise_and_reproduces_its_noise(make_server):
    with make_server(latent_dim=8).client(timeout=60) as c:
        c.call("train.step", n=TRAIN_STEPS, timeout=120)
        r = c.call("denoise", noise={"kind": "gaussian", "level": 0.3}, seed=1)
        assert not check_result("denoise", r), check_result("denoise", r)
        clean, noisy, denoised = (from_wire(r[k]) for k in ("clean", "noisy", "denoised"))
        assert clean.shape == noisy.shape == denoised.shape == (180, 8, 8)  # the whole test split (< 256 rows)
        psnr_noisy, psnr_denoised = from_wire(r["psnr_noisy"]), from_wire(r["psnr_denoised"])
        assert psnr_noisy.shape == psnr_denoised.shape == (180,)
        # the per-row figures are those of the images sent (up to their rounding to 0-255)
        assert np.abs(_psnr(clean, noisy) - psnr_noisy).max() < 0.5
        assert np.abs(_psnr(clean, denoised) - psnr_denoised).max() < 0.5
        assert r["psnr_noisy_mean"] == pytest.approx(psnr_noisy.mean(), rel=1e-5)
        assert r["psnr_denoised_mean"] > r["psnr_noisy_mean"] + 0.3, (r["psnr_noisy_mean"], r["psnr_denoised_mean"])

        again = c.call("denoise", noise={"kind": "gaussian", "level": 0.3}, seed=1)
        other = c.call("denoise", noise={"kind": "gaussian", "level": 0.3}, seed=2)
        assert np.array_equal(from_wire(again["noisy"]), noisy) and np.array_equal(from_wire(again["denoised"]), denoised)
        assert not np.array_equal(from_wire(other["noisy"]), noisy)


def test_salt_pepper_and_mask_replace_a_level_fraction_of_the_values(make_server):
    with make_server(latent_dim=8).client(timeout=60) as c:
        c.call("train.step", n=200, timeout=60)
        rows = to_wire(np.arange(0, 400, 2), "i32")
        clean = from_wire(c.call("data.get", indices=rows)["images"])
        for kind, level in (("salt_pepper", 0.2), ("mask", 0.5)):
            r = c.call("denoise", indices=rows, noise={"kind": kind, "level": level})
            assert np.array_equal(from_wire(r["clean"]), clean)
            noisy = from_wire(r["noisy"])
            changed = noisy != clean
            assert set(np.unique(noisy[changed])) <= ({0, 255} if kind == "salt_pepper" else {0})
            hit = np.isin(noisy, (0, 255)) if kind == "salt_pepper" else noisy == 0
            # of the values the noise could visibly change, about `level` were hit
            could_change = clean != 0 if kind == "mask" else np.ones_like(clean, bool)
            assert changed.sum() / could_change.sum() == pytest.approx(level, abs=0.05 + 0.5 * level)
            assert hit.mean() >= level * 0.8
            assert np.isfinite(from_wire(r["psnr_denoised"])).all()


def test_rows_given_as_x_are_denoised_like_the_same_data_set_rows(make_server):
    with make_server(latent_dim=4).client(timeout=60) as c:
        c.call("train.step", n=100, timeout=60)
        idx = to_wire(np.array([3, 70, 1500]), "i32")
        by_index = c.call("denoise", indices=idx, noise={"kind": "mask", "level": 0.25}, seed=4)
        x = from_wire(c.call("data.get", indices=idx)["images"]).reshape(3, 64) / 255.0
        by_x = c.call("denoise", x=to_wire(x, "f32"), noise={"kind": "mask", "level": 0.25}, seed=4)
        assert np.array_equal(from_wire(by_x["noisy"]), from_wire(by_index["noisy"]))
        assert np.abs(from_wire(by_x["denoised"]).astype(int) - from_wire(by_index["denoised"])).max() <= 1


def test_bad_denoise_input_answers_invalid_argument_and_training_goes_on(make_server):
    with make_server(paused=False).client() as c:
        ok_noise = {"kind": "gaussian", "level": 0.3}
        cases = [
            ({}, "'noise' is required"),
            ({"noise": {"kind": "blur", "level": 0.3}}, "'noise.kind' must be one of gaussian, salt_pepper, mask"),
            ({"noise": {"kind": "mask", "level": 1.5}}, "'noise.level' must be a number from 0 to 1"),
            ({"noise": {"kind": "mask", "level": 0.1, "sigma": 2}}, "unknown key(s) ['sigma'] in 'noise'"),
            ({"noise": ok_noise, "indices": to_wire(np.array([0, 5000]), "i32")}, "'indices' must be data-set rows from 0 to 1796"),
            ({"noise": ok_noise, "x": to_wire(np.zeros((2, 63)), "f32")}, "'x' must have shape [n, 64]"),
            ({"noise": ok_noise, "x": to_wire(np.zeros((1, 64)), "f32"), "indices": to_wire(np.array([1]), "i32")},
             "at most one of 'indices'"),
            ({"noise": ok_noise, "seed": -1}, "'seed' must be an integer"),
        ]
        for args, words in cases:
            with pytest.raises(RemoteError) as err:
                c.call("denoise", args)
            assert err.value.code == "invalid_argument" and words in err.value.message, (args, err.value.message)
        s0 = c.call("status")["step"]
        time.sleep(0.3)
        assert c.call("status")["state"] == "training" and c.call("status")["step"] > s0


def test_vaestudio_denoise_prints_a_table_or_json_and_refuses_a_bad_level(tmp_path):
    runs = tmp_path / "runs"
    trained = vaestudio("train", "--steps", "200", "--latent-dim", "8", "-q", runs=runs)
    assert trained.returncode == 0, trained.stderr
    run = json.loads(trained.stdout)["run"]
    table = vaestudio("denoise", run, "--rows", "20", runs=runs)
    assert table.returncode == 0, table.stderr
    assert "20 test rows, gaussian noise at level 0.3" in table.stdout
    assert table.stdout.splitlines()[1].split() == ["PSNR", "(dB)", "mean", "min", "max"] and "gain:" in table.stdout
    out = [json.loads(vaestudio("denoise", run, "--noise", "salt_pepper", "--level", "0.2", "--seed", "3", "--json",
                                "--rows", "20", runs=runs).stdout) for _ in range(2)]
    assert out[0] == out[1]  # seeded
    assert out[0]["n"] == 20 and len(out[0]["psnr_denoised"]) == 20 and out[0]["noise"] == "salt_pepper"
    bad = vaestudio("denoise", run, "--level", "2", runs=runs)
    assert bad.returncode == 2 and "'noise.level' must be a number from 0 to 1" in bad.stderr
