"""Embedded data sets, the registry contract and the data-path guard (files: test_datasets_files.py)."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import torch
from vaestudio.datasets import (
    DataError,
    DataPath,
    Dataset,
    dataset_options,
    list_datasets,
    load_dataset,
    resolve_data_path,
    resolve_file_options,
    split_indices,
)
from vaestudio.datasets import shapes as shapes_mod

# ---------------------------------------------------------------- record and split

def test_digits_split_is_pinned():
    # Pinned numbers, so runs stay comparable across versions of the loader.
    ds = load_dataset("digits")
    assert ds.test_idx[:8].tolist() == [1, 3, 7, 16, 29, 30, 51, 57] and int(ds.test_idx.sum()) == 156607
    assert len(ds.test_idx) == 180 and float(ds.x.sum()) == pytest.approx(35107.375)


def test_digits_split_is_deterministic_and_disjoint():
    a, b = load_dataset("digits"), load_dataset("digits")
    assert a.n == 1797 and a.x.shape == (1797, 64) and a.labels.shape == (1797,)
    assert torch.equal(a.train_idx, b.train_idx) and torch.equal(a.test_idx, b.test_idx)
    assert len(set(a.train_idx.tolist()) & set(a.test_idx.tolist())) == 0
    assert len(a.train_idx) + len(a.test_idx) == 1797
    assert a.x.min() >= 0 and a.x.max() <= 1


def test_digits_record_describes_itself():
    a = load_dataset("digits")
    assert a.describe() == {"name": "digits", "n": 1797, "shape": [8, 8], "num_classes": 10, "class_names": [str(i) for i in range(10)],
                            "source": {"name": "digits", "test_fraction": 0.1, "seed": 0, "binarize": None, "exclude_labels": []}}
    assert (a.likelihood, a.num_classes, a.channels, a.input_dim) == ("bernoulli", 10, 1, 64)


def test_digits_options_seed_moves_only_the_split_and_binarize_gives_zeros_and_ones():
    a, b = load_dataset("digits"), load_dataset("digits", seed=3, binarize=0.5)
    assert not torch.equal(a.test_idx, b.test_idx) and len(b.test_idx) == 180
    assert set(b.x.unique().tolist()) == {0.0, 1.0} and torch.equal(b.x, (a.x > 0.5).float())


def test_split_is_a_partition_and_deterministic():
    tr, te = split_indices(101, 0.25, seed=5)
    assert len(te) == 25 and sorted(torch.cat([tr, te]).tolist()) == list(range(101))
    assert torch.equal(te, split_indices(101, 0.25, seed=5)[1])


def test_dataset_record_properties():
    x = torch.zeros(6, 12)
    ds = Dataset("t", x, torch.tensor([0, 2, 1, 0, 0, 1]), (2, 2, 3), "bernoulli", torch.arange(5), torch.tensor([5]))
    assert (ds.n, ds.input_dim, ds.channels, ds.num_classes) == (6, 12, 3, 3)
    vec = Dataset("v", x, None, (), "gaussian", torch.arange(5), torch.tensor([5]))
    assert vec.channels == 0 and vec.num_classes == 0 and vec.describe() == {"name": "v", "n": 6, "shape": [12], "num_classes": 0, "class_names": None,
                                                                                  "source": vec.source}
    assert issubclass(DataError, ValueError)


# ---------------------------------------------------------------- shapes

@pytest.fixture(scope="module")
def shapes():
    return load_dataset("shapes", n=600, seed=0)


def test_shapes_rows_values_factors_and_labels(shapes):
    ds = shapes
    assert ds.x.shape == (600, 64 * 64) and ds.image_shape == (64, 64) and ds.likelihood == "bernoulli"
    assert set(ds.x.unique().tolist()) == {0.0, 1.0}
    assert set(ds.factors) == {"shape", "scale", "orientation", "x", "y"}
    sizes = {"shape": 3, "scale": 6, "orientation": 40, "x": 16, "y": 16}
    for k, f in ds.factors.items():
        assert f.shape == (600,) and f.dtype == torch.int64
        assert set(f.tolist()) == set(range(sizes[k])), f"factor {k} does not cover all its values"
        assert len(ds.factor_values[k]) == sizes[k]
    assert torch.equal(ds.labels, ds.factors["shape"]) and ds.class_names == ["square", "ellipse", "heart"]
    assert ds.num_classes == 3 and len(ds.test_idx) == 60
    # no sprite is clipped: the outer 2-pixel frame is always black, and every sprite has pixels
    img = ds.x.view(-1, 64, 64)
    assert img[:, :2].sum() == img[:, -2:].sum() == img[:, :, :2].sum() == img[:, :, -2:].sum() == 0
    assert img.sum((1, 2)).min() > 20
    # no two rows share a factor combination (drawn without replacement)
    combos = torch.stack([ds.factors[k] for k in sizes], 1)
    assert len(torch.unique(combos, dim=0)) == 600


def test_shapes_deterministic_by_seed(shapes):
    again = load_dataset("shapes", n=600, seed=0)
    assert torch.equal(again.x, shapes.x) and torch.equal(again.factors["orientation"], shapes.factors["orientation"])
    other = load_dataset("shapes", n=600, seed=1)
    assert not torch.equal(other.factors["x"], shapes.factors["x"])


def _draw(shape=0, scale=1.0, angle=0.0, cx=31.5, cy=31.5) -> np.ndarray:
    f = lambda v, t: np.array([v], dtype=t)  # noqa: E731
    return shapes_mod.render(f(shape, np.int64), f(scale, np.float32), f(angle, np.float32), f(cx, np.float32),
                             f(cy, np.float32))[0]


def test_each_shapes_factor_changes_the_picture_the_way_it_says():
    base = _draw(shape=1)
    assert not np.array_equal(base, _draw(shape=0)) and not np.array_equal(base, _draw(shape=2))
    assert not np.array_equal(_draw(shape=0), _draw(shape=2))
    assert _draw(shape=1, scale=0.5).sum() < 0.4 * base.sum()  # area goes with scale squared
    assert not np.array_equal(base, _draw(shape=1, angle=np.pi / 4))
    assert np.array_equal(_draw(shape=0), _draw(shape=0, angle=np.pi / 2))  # the square's quarter-turn symmetry
    cols = lambda im: np.nonzero(im)[1].mean()  # noqa: E731
    rows = lambda im: np.nonzero(im)[0].mean()  # noqa: E731
    assert cols(_draw(shape=1, cx=40)) - cols(base) == pytest.approx(8.5, abs=0.5)
    assert rows(_draw(shape=1, cy=20)) < rows(base) - 10


def test_shapes_factor_ids_match_the_pixels(shapes):
    ds = shapes
    img = ds.x.view(-1, 64, 64)
    area = img.sum((1, 2))
    big, small = ds.factors["scale"] == 5, ds.factors["scale"] == 0
    assert area[big].mean() > 3 * area[small].mean()
    yy, xx = torch.meshgrid(torch.arange(64.0), torch.arange(64.0), indexing="ij")
    cx = (img * xx).sum((1, 2)) / area
    cy = (img * yy).sum((1, 2)) / area
    assert torch.corrcoef(torch.stack([cx, ds.factors["x"].float()]))[0, 1] > 0.99
    assert torch.corrcoef(torch.stack([cy, ds.factors["y"].float()]))[0, 1] < -0.95  # y counts up, rows down


def test_shapes_options_checked():
    small = load_dataset("shapes", n=20, orientations=4, positions=4, seed=2)
    assert set(small.factors["orientation"].tolist()) <= set(range(4)) and small.source["orientations"] == 4
    for bad in ({"n": "100"}, {"n": True}, {"n": 1}, {"orientations": 0}, {"positions": 100}, {"n": 10**9}):
        with pytest.raises(DataError, match="option '"):
            load_dataset("shapes", **bad)


# ---------------------------------------------------------------- toy manifolds

@pytest.mark.parametrize("name,dim,labelled", [("moons", 2, True), ("circles", 2, True), ("swiss_roll", 3, False)])
def test_toy_sets_are_standardised_gaussian_vectors(name, dim, labelled):
    ds = load_dataset(name, n=500)
    assert ds.x.shape == (500, dim) and ds.image_shape == () and ds.likelihood == "gaussian" and ds.channels == 0
    assert torch.allclose(ds.x.mean(0), torch.zeros(dim), atol=1e-5)
    assert torch.allclose(ds.x.std(0, unbiased=False), torch.ones(dim), atol=1e-4)
    assert (ds.labels is not None) == labelled and ds.num_classes == (2 if labelled else 0)
    if labelled:
        assert set(ds.labels.tolist()) == {0, 1}
    assert torch.equal(load_dataset(name, n=500).x, ds.x)
    assert not torch.equal(load_dataset(name, n=500, seed=1).x, ds.x)
    raw = load_dataset(name, n=500, standardize=False)
    assert not torch.allclose(raw.x.std(0), torch.ones(dim), atol=0.05)


def test_toy_noise_and_swiss_roll_factors_and_dim():
    clean, noisy = load_dataset("moons", n=400, noise=0.0), load_dataset("moons", n=400, noise=0.3)
    assert not torch.allclose(clean.x, noisy.x)
    roll = load_dataset("swiss_roll", n=300)
    assert set(roll.factors) == {"t", "height"} and roll.factors["t"].shape == (300,)
    flat = load_dataset("swiss_roll", n=300, dim=2)
    assert flat.x.shape == (300, 2) and flat.describe()["shape"] == [2]
    with pytest.raises(DataError, match="option 'dim' must be an integer from 2 to 3"):
        load_dataset("swiss_roll", dim=4)


# ---------------------------------------------------------------- registry

def test_list_datasets_contract_is_cheap_and_json_able(monkeypatch):
    def boom(*a, **k):
        raise AssertionError("list_datasets must not draw sprites")

    monkeypatch.setattr(shapes_mod, "render", boom)
    listing = list_datasets()
    json.dumps(listing)
    names = [d["name"] for d in listing]
    assert names == ["digits", "shapes", "moons", "circles", "swiss_roll", "file"]
    for d in listing:
        assert set(d) == {"name", "description", "shape", "n", "labels", "factors"} and d["description"]
    by = {d["name"]: d for d in listing}
    assert by["shapes"] == {**by["shapes"], "shape": [64, 64], "n": 10_000, "labels": True,
                            "factors": ["shape", "scale", "orientation", "x", "y"]}
    assert by["file"]["shape"] is None and by["file"]["n"] is None
    assert by["swiss_roll"]["factors"] == ["t", "height"] and not by["swiss_roll"]["labels"]


@pytest.mark.parametrize("name", ["digits", "moons", "circles", "swiss_roll"])
def test_listing_matches_what_loads_with_defaults(name):
    entry = next(d for d in list_datasets() if d["name"] == name)
    ds = load_dataset(name)
    assert ds.describe()["shape"] == entry["shape"] and ds.n == entry["n"]
    assert (ds.labels is not None) == entry["labels"] and sorted(ds.factors or {}) == sorted(entry["factors"])


@pytest.mark.parametrize("name,opts", [("digits", {"seed": 4}), ("shapes", {"n": 50, "seed": 9}),
                                       ("moons", {"n": 80, "noise": 0.2}), ("circles", {"n": 80, "factor": 0.3}),
                                       ("swiss_roll", {"n": 80, "dim": 2})])
def test_source_is_json_and_rebuilds_the_same_data(name, opts):
    ds = load_dataset(name, **opts)
    source = json.loads(json.dumps(ds.source))
    again = load_dataset(**source)
    assert source["name"] == name and torch.equal(again.x, ds.x) and torch.equal(again.test_idx, ds.test_idx)
    assert set(source) - {"name"} == set(dataset_options(name))


def test_unknown_names_and_options_are_refused_with_what_is_accepted():
    with pytest.raises(DataError, match=r"unknown data set 'mnist'; available: digits, shapes, moons, circles, "
                                        r"swiss_roll, file\."):
        load_dataset("mnist")
    with pytest.raises(DataError, match=r"data set 'moons' has no options 'colour', 'size'; accepted: n, noise"):
        load_dataset("moons", size=3, colour=1)
    with pytest.raises(DataError, match="data set 'file' needs option 'path'"):
        load_dataset("file")
    for bad in ({"test_fraction": 1.0}, {"test_fraction": "0.1"}, {"seed": -1}, {"binarize": float("nan")}):
        with pytest.raises(DataError, match="option '"):
            load_dataset("digits", **bad)


# ---------------------------------------------------------------- data-path guard

@pytest.fixture
def data_tree(tmp_path):
    allowed, outside = tmp_path / "data", tmp_path / "private"
    (allowed / "sub").mkdir(parents=True)
    outside.mkdir()
    (allowed / "sub" / "a.npy").write_bytes(b"")
    (outside / "secret.npy").write_bytes(b"")
    return allowed, outside


def test_paths_inside_the_data_dir_resolve(data_tree):
    allowed, _ = data_tree
    real = (allowed / "sub" / "a.npy").resolve()
    assert resolve_data_path("sub/a.npy", [allowed]) == real
    assert resolve_data_path(str(allowed / "sub" / ".." / "sub" / "a.npy"), [allowed]) == real
    os.symlink(allowed / "sub" / "a.npy", allowed / "link.npy")  # a link that stays inside is fine
    assert resolve_data_path("link.npy", [allowed]) == real


@pytest.mark.parametrize("escape", ["../private/secret.npy", "sub/../../private/secret.npy", "ABS"])
def test_escapes_are_refused_with_how_to_allow(data_tree, escape):
    allowed, outside = data_tree
    path = str(outside / "secret.npy") if escape == "ABS" else escape
    with pytest.raises(DataError) as e:
        resolve_data_path(path, [allowed])
    msg = str(e.value)
    assert path in msg and "outside the allowed data folders" in msg and "--data-dir DIR" in msg
    assert str(allowed.resolve()) not in msg and str(allowed) not in msg  # the server's folders stay private


def test_symlinks_out_of_the_data_dir_are_refused(data_tree):
    allowed, outside = data_tree
    os.symlink(outside / "secret.npy", allowed / "innocent.npy")
    os.symlink(outside, allowed / "folder_link")
    for p in ("innocent.npy", "folder_link/secret.npy", str(allowed / "innocent.npy")):
        with pytest.raises(DataError, match="outside the allowed data folders"):
            resolve_data_path(p, [allowed])


def test_several_data_dirs_and_file_options(data_tree):
    allowed, outside = data_tree
    assert resolve_data_path("secret.npy", [allowed, outside]) == (outside / "secret.npy").resolve()
    opts = resolve_file_options({"path": "sub/a.npy", "labels_path": "secret.npy", "normalize": "none"},
                                [allowed, outside])
    assert opts == {"path": DataPath("sub/a.npy", (allowed / "sub" / "a.npy").resolve()),
                    "labels_path": DataPath("secret.npy", (outside / "secret.npy").resolve()), "normalize": "none"}
    with pytest.raises(DataError, match="outside the allowed"):
        resolve_file_options({"path": "sub/a.npy", "labels_path": "../private/secret.npy"}, [allowed])
    with pytest.raises(DataError, match="--data-dir DIR"):
        resolve_data_path("a.npy", [])
    with pytest.raises(DataError, match="non-empty"):
        resolve_data_path("", [allowed])


def test_a_relative_path_is_looked_up_in_each_data_dir_in_order(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    np.save(second / "only_here.npy", np.zeros((4, 3), np.float32))
    np.save(second / "both.npy", np.zeros((4, 3), np.float32))
    np.save(first / "both.npy", np.ones((4, 3), np.float32))
    assert resolve_data_path("only_here.npy", [first, second]) == (second / "only_here.npy").resolve()
    assert resolve_data_path("both.npy", [first, second]) == (first / "both.npy").resolve()  # the first wins
    with pytest.raises(DataError) as e:
        resolve_data_path("nowhere/missing.npy", [first, second])
    msg = str(e.value)
    assert "nowhere/missing.npy was not found in the server's data folders" in msg
    assert str(tmp_path) not in msg


def test_file_loader_messages_and_record_name_the_path_as_given(tmp_path):
    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    (data / "sub" / "broken.npy").write_bytes(b"\x93NUMPY garbage")
    rng = np.random.default_rng(0)
    np.save(data / "sub" / "ok.npy", rng.random((20, 3)).astype(np.float32))
    np.save(data / "labels.npy", np.arange(20) % 2)
    with pytest.raises(DataError) as e:
        load_dataset("file", **resolve_file_options({"path": "sub/broken.npy"}, [data]))
    assert str(e.value).startswith("sub/broken.npy") and str(tmp_path) not in str(e.value)
    with pytest.raises(DataError) as e:  # a labels file that does not fit is named as given, too
        load_dataset("file", **resolve_file_options({"path": "sub/ok.npy", "labels_path": "sub/broken.npy"}, [data]))
    assert "sub/broken.npy" in str(e.value) and str(tmp_path) not in str(e.value)
    ds = load_dataset("file", **resolve_file_options({"path": "sub/ok.npy", "labels_path": "labels.npy"}, [data]))
    assert ds.source["path"] == "sub/ok.npy" and ds.source["labels_path"] == "labels.npy"
    assert str(tmp_path) not in ds.description
    # The record reloads through the same guard, from the same folders.
    again = load_dataset(**resolve_file_options(ds.source, [data]))
    assert torch.equal(again.x, ds.x) and torch.equal(again.labels, ds.labels)
