"""The `file` data set: every format from small files written here, every option, every bad file."""

from __future__ import annotations

import gzip
import json
import struct

import numpy as np
import pytest
import torch
from vaestudio.datasets import DataError, load_dataset, max_data_bytes, set_max_data_bytes


def load(path, **opts):
    return load_dataset("file", path=str(path), **opts)


def bad(path, *fragments, **opts):
    """Load, expect DataError, check the message names the file and says each fragment."""
    with pytest.raises(DataError) as e:
        load(path, **opts)
    msg = str(e.value)
    assert path.name in msg, msg
    for f in fragments:
        assert f in msg, msg
    return msg


def write_idx(path, a: np.ndarray, code: int = 0x08, gz: bool = False, cut: int = 0, extra: bytes = b""):
    """LeCun's IDX: 00 00 type ndim, big-endian uint32 dims, big-endian data."""
    dt = {0x08: ">u1", 0x0B: ">i2", 0x0D: ">f4"}[code]
    raw = bytes([0, 0, code, a.ndim]) + struct.pack(f">{a.ndim}I", *a.shape) + a.astype(dt).tobytes() + extra
    raw = raw[: len(raw) - cut] if cut else raw
    path.write_bytes(gzip.compress(raw) if gz else raw)
    return path


@pytest.fixture
def imgs():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(20, 8, 8), dtype=np.uint8), rng.integers(0, 3, size=20)


# ---------------------------------------------------------------- formats

def test_npz_images_and_labels(tmp_path, imgs):
    x, y = imgs
    np.savez(tmp_path / "d.npz", x=x, y=y)
    ds = load(tmp_path / "d.npz")
    assert ds.name == "file" and ds.image_shape == (8, 8) and ds.likelihood == "bernoulli" and ds.channels == 1
    assert torch.allclose(ds.x, torch.from_numpy(x.reshape(20, 64) / 255.0).float())
    assert ds.labels.tolist() == y.tolist() and ds.num_classes == int(y.max()) + 1
    assert len(ds.test_idx) == 2 and ds.describe()["shape"] == [8, 8] and ds.describe()["n"] == 20
    np.savez(tmp_path / "e.npz", images=x, labels=y)
    assert torch.equal(load(tmp_path / "e.npz").x, ds.x)
    np.savez(tmp_path / "single.npz", x)  # one unnamed array (arr_0) is the data
    assert load(tmp_path / "single.npz").labels is None


def test_npy_shape_inference(tmp_path):
    rng = np.random.default_rng(1)
    cases = {
        "flat.npy": (rng.random((10, 256)), (16, 16)),  # D = 16*16: square grey images
        "vec.npy": (rng.normal(size=(10, 5)) * 3, ()),  # plain vectors
        "tiny.npy": (rng.random((10, 16)), ()),  # 4x4 is too small to be an image: vectors
        "hwc.npy": (rng.random((10, 12, 10, 3)), (12, 10, 3)),
        "chw.npy": (rng.random((10, 3, 12, 10)), (12, 10, 3)),  # channels-first is transposed
        "rgba.npy": (rng.random((10, 8, 8, 4)), (8, 8, 3)),  # alpha dropped
        "one.npy": (rng.random((10, 8, 8, 1)), (8, 8)),
    }
    for name, (a, shape) in cases.items():
        np.save(tmp_path / name, a)
        ds = load(tmp_path / name)
        assert ds.image_shape == shape, name
    chw = np.load(tmp_path / "chw.npy")
    hwc = torch.from_numpy(chw.transpose(0, 2, 3, 1).reshape(10, -1)).float()  # (10, h*w*c), C order
    assert torch.allclose(load(tmp_path / "chw.npy").x, hwc)
    vec = load(tmp_path / "vec.npy")  # auto: real-valued vectors are standardised, Gaussian
    assert vec.likelihood == "gaussian" and torch.allclose(vec.x.mean(0), torch.zeros(5), atol=1e-5)
    assert load(tmp_path / "flat.npy", image_shape=[]).image_shape == ()
    assert load(tmp_path / "vec.npy", image_shape=[]).input_dim == 5


def test_idx_plain_and_gz_with_idx_labels(tmp_path, imgs):
    x, y = imgs
    for gz in (False, True):
        suffix = ".gz" if gz else ""
        data = write_idx(tmp_path / f"train-images-idx3-ubyte{suffix}", x, gz=gz)
        labels = write_idx(tmp_path / f"train-labels-idx1-ubyte{suffix}", y, gz=gz)
        ds = load(data, labels_path=str(labels))
        assert ds.image_shape == (8, 8) and ds.labels.tolist() == y.tolist()
        assert torch.allclose(ds.x, torch.from_numpy(x.reshape(20, 64) / 255.0).float())
        assert json.loads(json.dumps(ds.source))["labels_path"] == str(labels)
    floats = write_idx(tmp_path / "f.idx", (x / 255.0).astype(np.float32), code=0x0D)
    assert torch.allclose(load(floats).x, torch.from_numpy(x.reshape(20, 64) / 255.0).float())
    shorts = write_idx(tmp_path / "s.idx3-ubyte", x.astype(np.int16) * 100, code=0x0B)
    assert load(shorts, normalize="minmax").x.max() == 1.0


def test_npy_labels_file_overrides(tmp_path, imgs):
    x, y = imgs
    np.savez(tmp_path / "d.npz", x=x, y=y)
    np.save(tmp_path / "other.npy", (y + 1) % 3)
    assert load(tmp_path / "d.npz", labels_path=str(tmp_path / "other.npy")).labels.tolist() == ((y + 1) % 3).tolist()


def test_image_folder_with_class_subfolders(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    rng = np.random.default_rng(2)
    root = tmp_path / "pics"
    expect = []
    for cls in ("zebra", "ant"):  # ids follow sorted names: ant=0, zebra=1
        (root / cls).mkdir(parents=True)
        for i in range(3):
            a = rng.integers(0, 256, size=(10, 12), dtype=np.uint8)
            Image.fromarray(a).save(root / cls / f"{i}.png")
            expect.append((cls, a))
    (root / "zebra" / "notes.txt").write_text("not an image, ignored")
    ds = load(root)
    assert ds.image_shape == (10, 12) and ds.class_names == ["ant", "zebra"] and ds.num_classes == 2
    assert ds.labels.tolist() == [0, 0, 0, 1, 1, 1]
    assert torch.allclose(ds.x[0], torch.from_numpy(expect[3][1].reshape(-1) / 255.0).float())  # ant/0.png

    colour = tmp_path / "colour"
    colour.mkdir()
    Image.fromarray(rng.integers(0, 256, size=(8, 8, 3), dtype=np.uint8)).save(colour / "a.png")
    Image.fromarray(rng.integers(0, 256, size=(8, 8), dtype=np.uint8)).save(colour / "b.jpg")
    ds = load(colour)  # unlabelled; one colour image makes every image RGB
    assert ds.labels is None and ds.image_shape == (8, 8, 3) and ds.channels == 3
    assert load(colour, channels=1).image_shape == (8, 8)


def test_image_folder_16_bit_and_resize(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    root = tmp_path / "deep"
    root.mkdir()
    a = np.full((16, 16), 65535, dtype=np.uint16)
    a[:, :8] = 0
    Image.fromarray(a).save(root / "a.png")
    Image.fromarray(np.zeros((20, 10), dtype=np.uint8)).save(root / "b.png")
    bad(root, "differ in size", "a.png is 16x16 (height x width)", "b.png is 20x10", "resize=[height, width]")
    ds = load(root, resize=8)
    assert ds.image_shape == (8, 8) and ds.x[0].view(8, 8)[:, 4:].min() == 1.0 and ds.x[0].view(8, 8)[:, :4].max() == 0


def test_csv_with_header_and_named_text_label(tmp_path):
    (tmp_path / "t.csv").write_text("a,b,kind\n1,2,cat\n3,4.5,dog\n\n5,6,cat\n7,8,cat\n")
    ds = load(tmp_path / "t.csv", label_column="kind", normalize="none")
    assert ds.x.tolist() == [[1, 2], [3, 4.5], [5, 6], [7, 8]] and ds.image_shape == ()
    assert ds.class_names == ["cat", "dog"] and ds.labels.tolist() == [0, 1, 0, 0]
    assert ds.likelihood == "gaussian"


def test_csv_without_header_numeric_label_and_delimiters(tmp_path):
    (tmp_path / "n.csv").write_text("0.1;0.2;1\n0.3;0.4;0\n0.5;0.6;2\n")
    ds = load(tmp_path / "n.csv", label_column=-1)
    assert ds.labels.tolist() == [1, 0, 2] and ds.likelihood == "bernoulli" and ds.x.shape == (3, 2)
    assert ds.x[0].tolist() == pytest.approx([0.1, 0.2])
    (tmp_path / "u.tsv").write_text("x\ty\n1\t2\n3\t4\n")
    ds = load(tmp_path / "u.tsv")
    assert ds.labels is None and ds.x.shape == (2, 2)
    (tmp_path / "plain.csv").write_text("1,2\n3,4\n5,6\n")
    assert load(tmp_path / "plain.csv", header=False, normalize="none").x.tolist() == [[1, 2], [3, 4], [5, 6]]
    gz = tmp_path / "z.csv.gz"
    gz.write_bytes(gzip.compress(b"1,2\n3,4\n"))
    assert load(gz, normalize="none").x.tolist() == [[1, 2], [3, 4]]


def test_csv_of_flattened_images_is_seen_as_images(tmp_path, imgs):
    x, y = imgs
    rows = [",".join(map(str, [int(lbl)] + list(img.reshape(-1)))) for img, lbl in zip(x, y)]
    (tmp_path / "mnistlike.csv").write_text("\n".join(rows) + "\n")
    ds = load(tmp_path / "mnistlike.csv", label_column=0)
    assert ds.image_shape == (8, 8) and ds.labels.tolist() == y.tolist() and ds.likelihood == "bernoulli"


# ---------------------------------------------------------------- options

def test_normalize_and_binarize_options(tmp_path):
    a = np.array([[0, 50], [100, 200]], dtype=np.float32)
    np.save(tmp_path / "v.npy", a)
    v = tmp_path / "v.npy"
    assert load(v, normalize="none", test_fraction=0.5).x.tolist() == a.tolist()
    assert load(v, normalize="255", test_fraction=0.5).x.flatten().tolist() == pytest.approx(list(a.flatten() / 255))
    assert load(v, normalize="minmax", test_fraction=0.5).x.tolist() == [[0, 0], [1, 1]]  # per column for vectors
    st = load(v, normalize="standardize", test_fraction=0.5).x
    assert st.mean(0).abs().max() < 1e-6
    assert load(v, normalize="255", binarize=0.3, test_fraction=0.5).x.tolist() == [[0, 0], [1, 1]]
    img = np.zeros((4, 8, 8), dtype=np.float32)
    img[:, 0, 0] = 10
    img[:, 0, 1] = 20
    np.save(tmp_path / "i.npy", img)
    ds = load(tmp_path / "i.npy", normalize="minmax")  # images: one global range
    assert ds.x[0, :3].tolist() == [0.5, 1.0, 0.0]
    bin_ = load(tmp_path / "i.npy", binarize=0.03)  # auto: 0..255 images divided by 255, then threshold
    assert bin_.x[0, :3].tolist() == [1.0, 1.0, 0.0] and bin_.likelihood == "bernoulli"
    assert load(tmp_path / "i.npy", likelihood="gaussian").likelihood == "gaussian"
    bad(tmp_path / "v.npy", "bernoulli likelihood needs values in [0, 1]", normalize="none", likelihood="bernoulli")
    neg = tmp_path / "neg.npy"
    np.save(neg, -img)
    bad(neg, "normalize='255' expects values from 0 to 255", normalize="255")
    assert load(neg).x.max() <= 1.0  # auto: images outside 0..255 are min-max scaled


def test_large_images_refused_with_a_hint_or_resized(tmp_path):
    np.save(tmp_path / "big.npy", np.random.default_rng(3).random((3, 128, 96)).astype(np.float32))
    bad(tmp_path / "big.npy", "128x96 (height x width) images", "sides from 8 to 64", "resize=64")
    ds = load(tmp_path / "big.npy", resize=[32, 24])
    assert ds.image_shape == (32, 24) and 0 <= ds.x.min() and ds.x.max() <= 1
    assert ds.source["resize"] == [32, 24] and load_dataset(**ds.source).x.shape == (3, 32 * 24)
    np.save(tmp_path / "small.npy", np.zeros((3, 4, 4)))
    bad(tmp_path / "small.npy", "4x4 (height x width) images", "resize=8", "image_shape=[]")
    assert load(tmp_path / "small.npy", resize=8).image_shape == (8, 8)


def test_file_options_checked(tmp_path, imgs):
    np.save(tmp_path / "d.npy", imgs[0])
    for opts, text in [({"normalize": "zscore"}, "option 'normalize' must be one of"),
                       ({"binarize": 2}, "option 'binarize' must be a number from 0 to 1"),
                       ({"channels": 2}, "option 'channels' must be one of 1, 3"),
                       ({"resize": [8]}, "option 'resize'"),
                       ({"image_shape": [8, 0]}, "option 'image_shape'"),
                       ({"label_column": 0}, "apply to CSV files only"),
                       ({"image_shape": [7, 8]}, "needs 56 values per row")]:
        with pytest.raises(DataError, match=text.replace("(", r"\(").replace("[", r"\[")):
            load(tmp_path / "d.npy", **opts)
    np.save(tmp_path / "vec.npy", np.zeros((4, 3)))
    bad(tmp_path / "vec.npy", "plain vectors", "channels and resize do not apply", channels=1)


def test_source_round_trip_for_files(tmp_path, imgs):
    np.savez(tmp_path / "d.npz", x=imgs[0], y=imgs[1])
    ds = load(tmp_path / "d.npz", binarize=0.5, seed=3, test_fraction=0.25)
    again = load_dataset(**json.loads(json.dumps(ds.source)))
    assert torch.equal(again.x, ds.x) and torch.equal(again.test_idx, ds.test_idx) and len(ds.test_idx) == 5


# ---------------------------------------------------------------- bad files

def test_bad_idx_files(tmp_path, imgs):
    x, y = imgs
    wrong = tmp_path / "wrong-idx3-ubyte"
    wrong.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    bad(wrong, "is not an IDX file", "89 50 4e 47", "start with 00 00")
    bad(write_idx(tmp_path / "cut-idx3-ubyte", x, cut=10), "is truncated", "[20, 8, 8]", "1270 follow")
    bad(write_idx(tmp_path / "cutgz-idx3-ubyte.gz", x, gz=True, cut=10), "is truncated", "after decompression")
    bad(write_idx(tmp_path / "long-idx3-ubyte", x, extra=b"\0\0"), "more bytes than its header")
    (tmp_path / "head-idx1-ubyte").write_bytes(b"\0\0\x08\x03\0\0")
    bad(tmp_path / "head-idx1-ubyte", "is truncated", "declares 3 dimensions")
    (tmp_path / "tiny.idx").write_bytes(b"\0\0")
    bad(tmp_path / "tiny.idx", "is truncated", "4-byte IDX header")
    damaged = tmp_path / "damaged-idx3-ubyte.gz"
    damaged.write_bytes(gzip.compress(bytes(2000))[:-30])
    bad(damaged, "damaged gzip file")


def test_mismatched_label_counts(tmp_path, imgs):
    x, y = imgs
    data = write_idx(tmp_path / "train-images-idx3-ubyte", x)
    labels = write_idx(tmp_path / "train-labels-idx1-ubyte", y[:-1])
    msg = bad(data, "19 labels for 20 data rows", labels_path=str(labels))
    assert labels.name in msg
    np.savez(tmp_path / "m.npz", x=x, y=y[:5])
    bad(tmp_path / "m.npz", "5 labels for 20 data rows")
    (tmp_path / "lbl.txt").write_text("1\n")
    bad(data, "unsupported name", "IDX file", ".npy", labels_path=str(tmp_path / "lbl.txt"))
    bad(data, "does not exist", labels_path=str(tmp_path / "nope-idx1-ubyte"))


def test_labels_must_be_integers(tmp_path, imgs):
    x, _ = imgs
    np.savez(tmp_path / "f.npz", x=x, y=np.linspace(0, 1, 20))
    bad(tmp_path / "f.npz", "labels must be integers", "row 1")
    np.savez(tmp_path / "neg.npz", x=x, y=-np.ones(20, dtype=int))
    bad(tmp_path / "neg.npz", "class ids from 0")
    np.savez(tmp_path / "whole.npz", x=x, y=np.arange(20.0) % 2)  # floats holding whole numbers are fine
    assert load(tmp_path / "whole.npz").labels.dtype == torch.int64
    (tmp_path / "c.csv").write_text("1,2,0.5\n3,4,1\n")
    bad(tmp_path / "c.csv", "labels must be integers", label_column=2)


def test_nan_inf_and_empty_data(tmp_path):
    a = np.zeros((5, 3), dtype=np.float32)
    a[3, 1] = np.nan
    np.save(tmp_path / "nan.npy", a)
    bad(tmp_path / "nan.npy", "NaN or infinite values in 1 rows", "row 3")
    a[3, 1] = np.inf
    np.savez(tmp_path / "inf.npz", x=a)
    bad(tmp_path / "inf.npz", "NaN or infinite")
    (tmp_path / "nan.csv").write_text("1,2\n3,nan\n")
    bad(tmp_path / "nan.csv", "line 2, column 1 is 'nan'", "NaN and infinite values are not accepted")
    np.save(tmp_path / "empty.npy", np.zeros((0, 4)))
    bad(tmp_path / "empty.npy", "is empty")
    (tmp_path / "empty.csv").write_text("\n\n")
    bad(tmp_path / "empty.csv", "is empty")
    (tmp_path / "header_only.csv").write_text("a,b\n")
    bad(tmp_path / "header_only.csv", "header row but no rows")
    np.save(tmp_path / "one.npy", np.zeros((1, 4)))
    bad(tmp_path / "one.npy", "only 1 row", "at least 2")


def test_unreadable_csv_cells_and_ragged_rows(tmp_path):
    (tmp_path / "cell.csv").write_text("a,b\n1,2\n3,oops\n")
    bad(tmp_path / "cell.csv", "line 3, column 1 ('b') holds 'oops', which is not a number",
        "--data-opt label_column=", "data.label_column in run.new")  # says how to pass it, both ways
    (tmp_path / "gap.csv").write_text("1,2\n3,\n")
    bad(tmp_path / "gap.csv", "line 2, column 1 is empty")
    (tmp_path / "ragged.csv").write_text("1,2,3\n4,5\n")
    bad(tmp_path / "ragged.csv", "line 2 has 2 cells but the first row has 3")
    (tmp_path / "h.csv").write_text("a,b\n1,2\n")
    bad(tmp_path / "h.csv", "no column named 'c'", "'a', 'b'", label_column="c")
    bad(tmp_path / "h.csv", "label_column 5 is out of range", label_column=5)


def test_unsupported_and_missing_and_pickled_files(tmp_path):
    (tmp_path / "data.txt").write_text("1 2 3")
    bad(tmp_path / "data.txt", "unsupported file type", ".npz, .npy, IDX", ".csv", ".png")
    bad(tmp_path / "nothing.npy", "does not exist")
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    bad(tmp_path / "obj.npy", "Python objects", "never unpickled")
    (tmp_path / "junk.npy").write_bytes(b"\x93NUMPY garbage")
    bad(tmp_path / "junk.npy", "not a valid .npy file")
    (tmp_path / "junk.npz").write_bytes(b"PK not a zip")
    bad(tmp_path / "junk.npz", "not a readable .npz archive")
    np.savez(tmp_path / "keys.npz", a=np.zeros(3), b=np.zeros(3))
    bad(tmp_path / "keys.npz", "no data array", "'a', 'b'", "'x'")
    np.save(tmp_path / "text.npy", np.array(["a", "b"]))
    bad(tmp_path / "text.npy", "only numbers")


def test_bad_image_folders(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    empty = tmp_path / "empty"
    (empty / "cls").mkdir(parents=True)
    bad(empty, "holds no images", ".png")
    mixed = tmp_path / "mixed"
    (mixed / "cls").mkdir(parents=True)
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(mixed / "top.png")
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(mixed / "cls" / "in.png")
    bad(mixed, "mixes images at its top level", "top.png")
    broken = tmp_path / "broken"
    broken.mkdir()
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(broken / "ok.png")
    (broken / "bad.png").write_bytes(b"\x89PNG not really")
    bad(broken, "bad.png", "cannot be read")
    sizes = tmp_path / "sizes"
    (sizes / "a").mkdir(parents=True)
    (sizes / "b").mkdir()
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(sizes / "a" / "1.png")
    Image.fromarray(np.zeros((9, 8), np.uint8)).save(sizes / "b" / "1.png")
    bad(sizes, "differ in size", "a/1.png is 8x8", "b/1.png is 9x8")


@pytest.fixture
def data_limit():
    """Sets the process's data size limit for one test, and puts the old one back."""
    before = max_data_bytes()
    yield set_max_data_bytes
    set_max_data_bytes(before)


def test_data_over_the_size_limit_is_refused_before_it_is_read(tmp_path, data_limit, monkeypatch, imgs):
    assert max_data_bytes() == 2 << 30  # the default: 2 GiB
    np.save(tmp_path / "big.npy", np.zeros((64, 64), np.float32))  # 16 KiB and a header
    size = (tmp_path / "big.npy").stat().st_size
    data_limit(size)
    assert load(tmp_path / "big.npy").n == 64  # exactly at the limit is fine
    data_limit(size - 1)
    import vaestudio.datasets.files as files_mod

    def never(*_a, **_k):
        raise AssertionError("the file was read")

    monkeypatch.setattr(files_mod, "read_npy", never)
    msg = bad(tmp_path / "big.npy", "too large", f"({size} bytes)", f"limit of 16.1 KiB ({size - 1} bytes)", "--max-data-bytes")
    assert str(tmp_path) in msg  # a path given as absolute is named as given
    # A folder of images counts all of its images together, class subfolders included.
    Image = pytest.importorskip("PIL.Image")
    for k in range(2):
        (tmp_path / "imgs" / f"c{k}").mkdir(parents=True)
        for i in range(3):
            Image.fromarray(imgs[0][i]).save(tmp_path / "imgs" / f"c{k}" / f"{i}.png")
    total = sum(p.stat().st_size for p in (tmp_path / "imgs").rglob("*.png"))
    data_limit(total - 1)
    bad(tmp_path / "imgs", "too large", "its images come to", f"({total} bytes)")
    data_limit(total)
    assert load(tmp_path / "imgs").n == 6
    # A labels file is checked the same way, and a gzip CSV by what it unpacks to.
    np.save(tmp_path / "x.npy", np.zeros((6, 3), np.float32))
    np.save(tmp_path / "y.npy", np.zeros(1000, np.int64))
    data_limit(1000)
    bad(tmp_path / "x.npy", "labels file", "y.npy", "too large", labels_path=str(tmp_path / "y.npy"))
    with gzip.open(tmp_path / "t.csv.gz", "wt") as f:
        f.write("1,2,3\n" * 2000)
    assert (tmp_path / "t.csv.gz").stat().st_size < 1000
    bad(tmp_path / "t.csv.gz", "unpacks to more than", "1000 bytes", "--max-data-bytes")
    with pytest.raises(DataError, match="positive number of bytes"):
        set_max_data_bytes(0)
