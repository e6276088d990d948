"""data.browse over real sockets: the server's --data-dir folders, one level at a time, and nothing
outside them (protocol/README.md §5.5); every entry's path is what run.new's `file` data set takes."""

import os

import numpy as np
import pytest

from support.runs import wait_new_run
from support.schema import check_result
from vaestudio.client import RemoteError
from vaestudio.datasets import resolve_data_path
from vaestudio.datasets.browse import MAX_ENTRIES, browse


@pytest.fixture
def data(tmp_path):
    """The test server's data folder (tmp_path/data): images, a subfolder, a hidden file, links in and out."""
    root = tmp_path / "data"
    root.mkdir(exist_ok=True)
    rng = np.random.default_rng(0)
    np.save(root / "imgs.npy", rng.integers(0, 256, (40, 8, 8), dtype=np.uint8))
    (root / "mnist").mkdir()
    (root / "mnist" / "rows.csv").write_text("a,b\n1,2\n3,4\n")
    (root / "mnist" / "deeper").mkdir()
    (root / ".secret").write_text("hidden")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "passwords.csv").write_text("x\n1\n")
    os.symlink(tmp_path / "outside", root / "way_out")
    os.symlink(tmp_path / "outside" / "passwords.csv", root / "file_out.csv")
    os.symlink(root / "mnist" / "rows.csv", root / "shortcut.csv")
    return root


def names(listing: dict) -> list[tuple[str, str]]:
    return [(e["name"], e["kind"]) for e in listing["entries"]]


def test_lists_the_data_folders_then_a_folder_then_a_subfolder(client, data):
    top = client.browse()
    assert not check_result("data.browse", top)
    assert top == {"path": "", "parent": None, "truncated": False,
                   "entries": [{"name": "data", "kind": "dir", "size": 0, "path": "."}]}
    root = client.browse(".")
    assert not check_result("data.browse", root)
    assert (root["path"], root["parent"], root["truncated"]) == (".", "", False)
    # folders first, then files, by name; the hidden file and the links that leave the folder are not shown
    assert names(root) == [("mnist", "dir"), ("imgs.npy", "file"), ("shortcut.csv", "file")]
    by = {e["name"]: e for e in root["entries"]}
    assert by["imgs.npy"]["size"] == (data / "imgs.npy").stat().st_size and by["mnist"]["size"] == 0
    assert by["shortcut.csv"] == {"name": "shortcut.csv", "kind": "file", "size": 12, "path": "shortcut.csv"}
    sub = client.browse(by["mnist"]["path"])
    assert (sub["path"], sub["parent"]) == ("mnist", ".")
    assert sub["entries"] == [{"name": "deeper", "kind": "dir", "size": 0, "path": "mnist/deeper"},
                              {"name": "rows.csv", "kind": "file", "size": 12, "path": "mnist/rows.csv"}]
    assert client.browse("mnist/deeper") == {"path": "mnist/deeper", "parent": "mnist", "entries": [], "truncated": False}
    assert client.browse(str(data / "mnist"))["path"] == "mnist"  # an absolute path inside is named relatively


@pytest.mark.parametrize("path,words", [
    ("..", "outside the allowed data folders"),
    ("../outside", "outside the allowed data folders"),
    ("mnist/../..", "outside the allowed data folders"),
    ("/etc", "outside the allowed data folders"),
    ("way_out", "outside the allowed data folders"),  # a link inside that leads out
    ("nowhere", "was not found in the server's data folders"),
    ("imgs.npy", "is a file, not a folder"),
])
def test_anything_outside_the_folders_is_refused(client, data, path, words):
    with pytest.raises(RemoteError) as err:
        client.browse(path)
    assert err.value.code == "invalid_argument" and words in err.value.message, err.value.message
    assert str(data.parent) not in err.value.message  # the server's own folders are not named


def test_the_absolute_path_of_something_outside_is_refused(client, data):
    with pytest.raises(RemoteError, match="outside the allowed data folders"):
        client.browse(str(data.parent / "outside"))
    with pytest.raises(RemoteError, match="'path' must be a string"):
        client.call("data.browse", path=3)


def test_a_file_entry_path_works_in_run_new(client, data):
    entry = next(e for e in client.browse(".")["entries"] if e["name"] == "imgs.npy")
    wait_new_run(client, model={"hidden": [16]}, data={"name": "file", "path": entry["path"]}, paused=True)
    status = client.call("status")
    assert status["dataset"]["name"] == "file" and status["dataset"]["n"] == 40 and status["dataset"]["shape"] == [8, 8]
    assert client.call("train.step", n=2)["step"] == 2


def test_a_name_shadowed_by_an_earlier_folder_is_given_absolute(tmp_path):
    """Two --data-dir folders both holding `x.npy`: a relative `x.npy` means the first one's, so the
    second one's entry must be named by its absolute path to stay that file."""
    a, b = tmp_path / "a", tmp_path / "b"
    for folder in (a, b):
        (folder / "only_here" if folder == b else folder).mkdir(parents=True)
        np.save(folder / "x.npy", np.zeros((2, 2)))
    (b / "only_here" / "y.npy").write_bytes(b"")
    top = browse("", [a, b])
    assert [e["path"] for e in top["entries"]] == [".", str(b)]
    listing = browse(str(b), [a, b])
    by = {e["name"]: e["path"] for e in listing["entries"]}
    assert by == {"only_here": "only_here", "x.npy": str(b / "x.npy")}
    assert resolve_data_path(by["x.npy"], [a, b]) == (b / "x.npy").resolve()
    assert resolve_data_path(by["only_here"], [a, b]) == (b / "only_here").resolve()
    assert resolve_data_path(top["entries"][1]["path"], [a, b]) == b.resolve()
    assert browse("only_here", [a, b])["parent"] == str(b)


def test_a_big_folder_is_cut_at_the_limit(tmp_path):
    for i in range(MAX_ENTRIES + 5):
        (tmp_path / f"f{i:05d}.csv").touch()
    (tmp_path / "zz_folder").mkdir()
    listing = browse(".", [tmp_path])
    assert listing["truncated"] and len(listing["entries"]) == MAX_ENTRIES
    assert listing["entries"][0]["name"] == "zz_folder" and listing["entries"][1]["name"] == "f00000.csv"


def test_a_server_without_data_folders_says_how_to_allow_one(tmp_path):
    from vaestudio.datasets import DataError

    with pytest.raises(DataError, match="start it with --data-dir DIR"):
        browse("", [])
