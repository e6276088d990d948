"""A run's files over the wire: run.fetch (chunks, sha256, paths that stay inside the run folder),
run.delete, and run.list (newest first, which runs can be resumed, which one is live)."""

import hashlib
import os
import time

import pytest

from support.runs import wait_new_run
from support.schema import check_result
from vaestudio import run_files
from vaestudio.client import RemoteError
from vaestudio.runs import write_atomic


def run_folder(tmp_path, run):
    return tmp_path / "runs" / run


def test_fetched_chunks_reassemble_every_exported_file(client, tmp_path):
    client.call("train.step", n=20)
    run = client.call("run.export", items=["checkpoint", "latents", "samples"], timeout=120)["run"]
    folder = run_folder(tmp_path, run)
    for name in ("checkpoint.safetensors", "latents.npz", "samples.png", "config.json"):
        got = client.fetch_file(run, name, tmp_path / "fetched" / name, chunk=64 * 1024)
        original = (folder / name).read_bytes()
        assert (tmp_path / "fetched" / name).read_bytes() == original, name
        assert got["sha256"] == hashlib.sha256(original).hexdigest() and got["size"] == len(original)
    assert len((folder / "checkpoint.safetensors").read_bytes()) > 4 * 64 * 1024  # it took several chunks
    assert not [p for p in (tmp_path / "fetched").iterdir() if p.name.endswith(".part")]


def test_a_large_file_comes_in_4_mib_chunks_and_is_hashed_once(server, client, tmp_path, monkeypatch):
    run = client.call("status")["run"]
    blob = os.urandom(2 * run_files.MAX_CHUNK + 12345)
    (run_folder(tmp_path, run) / "godot").mkdir()
    (run_folder(tmp_path, run) / "godot" / "big.bin").write_bytes(blob)
    hashed = []
    real = run_files.RunFile.sha256
    monkeypatch.setattr(run_files.RunFile, "sha256", lambda f: hashed.append(f.name) or real(f))
    first = client.call("run.fetch", run=run, path="godot/big.bin")
    assert not check_result("run.fetch", first)
    assert first["offset"] == 0 and len(first["data"]) == run_files.MAX_CHUNK and first["size"] == len(blob)
    assert first["sha256"] == hashlib.sha256(blob).hexdigest() and first["path"] == "godot/big.bin"
    assert client.fetch_file(run, "godot/big.bin", tmp_path / "big.bin")["size"] == len(blob)
    assert (tmp_path / "big.bin").read_bytes() == blob
    assert hashed == ["godot/big.bin"]  # 1 + 3 chunk requests, one hash


def test_a_file_replaced_between_chunks_gets_a_new_sha256(client, tmp_path):
    run = client.call("status")["run"]
    path = run_folder(tmp_path, run) / "notes.txt"
    write_atomic(path, b"first version")
    before = client.call("run.fetch", run=run, path="notes.txt", length=5)
    write_atomic(path, b"second version, longer")
    after = client.call("run.fetch", run=run, path="notes.txt", offset=5, length=5)
    assert before["data"] == b"first" and after["data"] == b"d ver"
    assert after["sha256"] == hashlib.sha256(b"second version, longer").hexdigest() != before["sha256"]
    assert client.fetch_file(run, "notes.txt", tmp_path / "notes.txt", chunk=4)["size"] == 22


def test_offsets_at_and_beyond_the_end(client, tmp_path):
    run = client.call("status")["run"]
    size = (run_folder(tmp_path, run) / "config.json").stat().st_size
    at_end = client.call("run.fetch", run=run, path="config.json", offset=size)
    assert at_end["data"] == b"" and at_end["size"] == size
    with pytest.raises(RemoteError) as err:
        client.call("run.fetch", run=run, path="config.json", offset=size + 1)
    assert err.value.code == "invalid_argument" and f"beyond the file's end (size {size})" in err.value.message
    for args, words in [({"length": 0}, "'length'"), ({"length": run_files.MAX_CHUNK + 1}, "4194304"),
                        ({"offset": -1}, "'offset'"), ({"offset": 1.5}, "'offset'")]:
        with pytest.raises(RemoteError) as err:
            client.call("run.fetch", run=run, path="config.json", **args)
        assert err.value.code == "invalid_argument" and words in err.value.message, err.value.message
    assert client.call("status")["state"] == "paused"


def test_paths_that_leave_the_run_folder_are_refused(client, tmp_path):
    run = client.call("status")["run"]
    folder = run_folder(tmp_path, run)
    secret = tmp_path / "secret.txt"
    secret.write_text("not for clients")
    (folder / "outside").symlink_to(secret)
    (folder / "exports").mkdir()
    (folder / "exports" / "inside").symlink_to(folder / "config.json")
    cases = [
        ("../../secret.txt", "'..' would leave the run folder"),
        ("exports/../../x", "'..' would leave the run folder"),
        (str(secret), "relative to the run folder"),
        ("/etc/passwd", "relative to the run folder"),
        ("exports\\..\\..\\secret.txt", "with '/' between folders"),
        ("outside", "leads outside the folder of run"),
        ("exports", "is a folder of run"),
        ("nothing.png", f"run {run} has no file 'nothing.png'; run.export writes"),
        ("", "'path' is required"),
    ]
    for path, words in cases:
        with pytest.raises(RemoteError) as err:
            client.call("run.fetch", run=run, path=path)
        assert err.value.code == "invalid_argument" and words in err.value.message, (path, err.value.message)
    with pytest.raises(RemoteError, match="no run 'no-such-run'"):
        client.call("run.fetch", run="no-such-run", path="config.json")
    with pytest.raises(RemoteError, match="not accepted"):
        client.call("run.fetch", run="../runs", path="config.json")
    linked = client.call("run.fetch", run=run, path="exports/inside")  # a link that stays inside is a file
    assert linked["data"] == (folder / "config.json").read_bytes()


def test_run_delete_removes_a_saved_run_but_never_the_live_one(client, tmp_path):
    client.call("train.step", n=5)
    old = client.call("status")["run"]
    with pytest.raises(RemoteError) as err:
        client.call("run.delete", run=old)
    assert err.value.code == "invalid_argument" and "live run" in err.value.message and "load another" in err.value.message
    new = wait_new_run(client, paused=True)["run"]  # saves the old run, which is no longer live
    assert client.delete_run(old) == {"run": old, "deleted": True}
    assert not run_folder(tmp_path, old).exists()
    assert [r["run"] for r in client.call("run.list")["runs"]] == [new]
    assert not [p for p in (tmp_path / "runs").iterdir() if p.name != new]  # no trash left behind
    for bad, words in [(old, f"no run '{old}'"), ("../runs", "not accepted"), (None, "'run' is required")]:
        with pytest.raises(RemoteError) as err:
            client.call("run.delete", **({} if bad is None else {"run": bad}))
        assert err.value.code == "invalid_argument" and words in err.value.message


def test_run_list_is_newest_first_and_says_which_runs_resume(client, tmp_path):
    first = client.call("status")["run"]
    client.call("train.step", n=3)
    second = wait_new_run(client, paused=True)["run"]  # saves `first`
    client.call("train.step", n=4)
    live = wait_new_run(client, paused=True)["run"]  # saves `second`; `live` is never saved
    now = time.time()
    for run, age in [(first, 100), (second, 300), (live, 200)]:  # last saved: first, then live, then second
        for p in run_folder(tmp_path, run).iterdir():
            os.utime(p, (now - age, now - age))
    listed = client.call("run.list")
    assert not check_result("run.list", listed)
    runs = listed["runs"]
    assert [r["run"] for r in runs] == [first, live, second]
    assert [(r["checkpoint"], r["live"], r["step"]) for r in runs] == [(True, False, 3), (False, True, 0), (True, False, 4)]
    assert runs[0]["updated"] == time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(now - 100))
    with pytest.raises(RemoteError, match="was never saved"):
        client.call("run.load", run=live, timeout=60)
