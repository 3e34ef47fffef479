"""A run is never lost, mixed or silently corrupted; nothing ganzoo did not create is deleted or written
through; damaged data files and absurd training values are one clear error."""

from __future__ import annotations

import errno
import gzip
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

import ganzoo
from ganzoo.cli import main as ganzoo_main
from ganzoo.datasets import load_idx_split
from ganzoo.errors import DataFileError, FolderInUseError, GanzooError, TrainingError
from ganzoo.fileio import FileWriteError, FolderLock, atomic_folder, atomic_write, atomic_write_bytes, remove_leftovers
from training.train import cli as train_cli
from training.train import main

from .conftest import ROOT


# a small synthetic MNIST in torchvision's layout: these tests need no real data
def write_idx(path: Path, array) -> Path:
    """Write a uint8 array as an IDX file (MNIST's format: 00 00 08 NDIM, big-endian dims, the bytes)."""
    a = np.ascontiguousarray(array, dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes([0, 0, 8, a.ndim]) + b"".join(d.to_bytes(4, "big") for d in a.shape) + a.tobytes())
    return path


def write_mnist(root: Path, n_train: int = 256, n_test: int = 64, folder: str = "MNIST", seed: int = 0) -> Path:
    """A synthetic MNIST-format data set in torchvision's layout (ROOT/MNIST/raw/*-ubyte): random digits-sized
    images and balanced labels, for tests that must not need the real data."""
    rng = np.random.default_rng(seed)
    raw = root / folder / "raw"
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        write_idx(raw / f"{prefix}-images-idx3-ubyte", rng.integers(0, 256, (n, 28, 28)))
        write_idx(raw / f"{prefix}-labels-idx1-ubyte", np.arange(n) % 10)
    return root


@pytest.fixture
def synthetic_data(tmp_path) -> Path:
    """A data root holding a small synthetic MNIST (256 training images) for quick training tests."""
    return write_mnist(tmp_path / "data")


TINY = [
    "--quiet",
    "--batch_size=16",
    "--log_every=1",
    "--ckpt_every=2",
    "--eval_every=0",
    "--sample_every=0",
    "--model.latent_dim=8",
    "--model.g_width=8",
    "--model.d_width=8",
]


def train(out: Path, data: Path, *extra: str) -> dict:
    return main(["dcgan-mnist", "--out", str(out), "--data-root", str(data), *TINY, *extra])


def generator_state(folder: Path) -> dict:
    return ganzoo.load(folder).generator.state_dict()


# -- temporary files: unique, exclusive, never a user's ---------------------------------------------------------
def test_atomic_write_never_writes_through_an_existing_tmp_name(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    target = tmp_path / "model.onnx"
    (tmp_path / "model.onnx.tmp").symlink_to(victim)  # the trap `export -o` used to write through
    atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"new" and victim.read_text() == "precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.onnx", "model.onnx.tmp", "victim.txt"]
    assert oct(target.stat().st_mode & 0o777) == oct(0o666 & ~_umask())  # not mkstemp's 0600

    def fail(f):
        f.write(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(
        FileWriteError,
        match=re.escape(
            f"the disk is full: no space left to write {target} (in "
            f"{tmp_path.resolve()}). model.onnx was left as it was"
        ),
    ):
        atomic_write(target, fail)
    assert target.read_bytes() == b"new"  # unchanged, and no temporary file left behind
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.onnx", "model.onnx.tmp", "victim.txt"]


def _umask() -> int:
    u = os.umask(0)
    os.umask(u)
    return u


def test_save_pretrained_leaves_a_sibling_tmp_folder_alone_and_replaces_only_when_asked(tmp_path):
    m = ganzoo.load("dcgan-mnist")
    (tmp_path / "out.tmp").mkdir()
    (tmp_path / "out.tmp" / "mine.txt").write_text("user data")
    (tmp_path / "out.old").write_text("user data too")
    m.save_pretrained(tmp_path / "out")
    assert (tmp_path / "out.tmp" / "mine.txt").read_text() == "user data"
    assert (tmp_path / "out.old").read_text() == "user data too"
    with pytest.raises(GanzooError, match="already exists and is not empty.*overwrite=True"):
        m.save_pretrained(tmp_path / "out")
    m.save_pretrained(tmp_path / "out", overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "out.old", "out.tmp"]
    assert ganzoo.load(tmp_path / "out").sample(2, seed=0).shape == (2, 1, 28, 28)


def test_atomic_folder_failure_leaves_the_old_folder_and_no_leftovers(tmp_path):
    dst = tmp_path / "model"
    atomic_folder(dst, lambda t: (t / "a").write_text("old"))

    def fail(t):
        (t / "a").write_text("new")
        raise OSError(errno.EDQUOT, "Disk quota exceeded")

    with pytest.raises(FileWriteError, match="the disk is full"):
        atomic_folder(dst, fail, replace=True)
    assert (dst / "a").read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["model"]
    with pytest.raises(GanzooError, match="already exists; it was left as it was"):
        atomic_folder(dst, lambda t: None)


def test_leftover_cleanup_removes_only_ganzoos_names_and_restores_a_half_swapped_folder(tmp_path):
    for name in ("notes.tmp", "ckpt.pt.tmp", "x.old", ".hidden", "model.ganzoo-tmp"):  # the user's
        (tmp_path / name).write_text("mine")
    (tmp_path / "stuff.tmp").mkdir()
    (tmp_path / ".ckpt.pt.k2j3h4.ganzoo-tmp").write_bytes(b"half")  # a killed atomic write
    (tmp_path / ".best.a1b2c3.ganzoo-tmp").mkdir()  # a killed folder build
    aside = tmp_path / ".model.q9w8e7.ganzoo-old"  # killed between the two renames of a swap
    aside.mkdir()
    (aside / "config.json").write_text("{}")
    (tmp_path / "best").mkdir()
    (tmp_path / ".best.zz.ganzoo-old").mkdir()  # swap finished: the old copy only
    remove_leftovers(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".hidden",
        "best",
        "ckpt.pt.tmp",
        "model",
        "model.ganzoo-tmp",
        "notes.tmp",
        "stuff.tmp",
        "x.old",
    ]
    assert (tmp_path / "model" / "config.json").read_text() == "{}"


def test_a_fresh_run_never_deletes_the_users_files_in_its_folder(tmp_path, synthetic_data):
    out = tmp_path / "run"
    out.mkdir()
    (out / "notes.tmp").write_text("mine")
    (out / "drafts.old").mkdir()
    (out / "drafts.old" / "a.txt").write_text("mine")
    (out / "model.tmp").mkdir()
    train(out, synthetic_data, "--steps=2")
    assert (out / "notes.tmp").read_text() == "mine" and (out / "drafts.old" / "a.txt").read_text() == "mine"
    assert (out / "model.tmp").is_dir()
    assert not [p for p in out.iterdir() if "ganzoo-tmp" in p.name or "ganzoo-old" in p.name]


def test_a_fresh_run_refuses_a_folder_holding_files_of_the_names_it_writes(tmp_path, synthetic_data):
    out = tmp_path / "mine"
    (out / "samples").mkdir(parents=True)
    (out / "curves.png").write_bytes(b"my plot")
    with pytest.raises(
        TrainingError,
        match=re.escape(
            f"{out} holds files a run writes (curves.png, samples), which "
            "it would overwrite: choose another --out (a new or empty "
            f"folder), or pass --overwrite to move {out} aside first"
        ),
    ):
        train(out, synthetic_data, "--steps=2")
    assert (out / "curves.png").read_bytes() == b"my plot" and sorted(p.name for p in out.iterdir()) == [
        ".ganzoo.lock",
        "curves.png",
        "samples",
    ]


@pytest.mark.slow
def test_export_never_writes_through_a_tmp_symlink(tmp_path, capsys):
    victim = tmp_path / "victim.bin"
    victim.write_bytes(b"precious")
    (tmp_path / "g.onnx.tmp").symlink_to(victim)
    assert ganzoo_main(["export", "dcgan-mnist", "-o", str(tmp_path / "g.onnx")]) == 0, capsys.readouterr().err
    assert victim.read_bytes() == b"precious" and (tmp_path / "g.onnx.tmp").is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.onnx", "g.onnx.tmp", "victim.bin"]


# -- one run at a time -----------------------------------------------------------------------------------------
def test_a_second_run_into_a_locked_folder_is_refused(tmp_path, synthetic_data):
    out = tmp_path / "run"
    out.mkdir()
    with FolderLock(out, "another training run"):  # as a run in another process holds it
        for extra in ([], ["--resume"], ["--overwrite"]):
            with pytest.raises(
                FolderInUseError,
                match=re.escape(f"{out} is in use by another training run (pid {os.getpid()} on ")
                + r".*\): wait for it to finish "
                r"or choose another folder. \(The lock is released when that process ends, even if "
                r"it is killed.\)",
            ):
                train(out, synthetic_data, "--steps=2", *extra)
    assert sorted(p.name for p in out.iterdir()) == [".ganzoo.lock"]  # nothing written by the refused runs
    train(out, synthetic_data, "--steps=2")  # released: the next run goes ahead


def test_a_killed_run_does_not_leave_its_folder_locked(tmp_path, synthetic_data):
    out = tmp_path / "run"
    out.mkdir()
    code = (
        f"import os, signal; from ganzoo.fileio import FolderLock; FolderLock({str(out)!r}).acquire(); "
        "os.kill(os.getpid(), signal.SIGKILL)"
    )
    p = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert p.returncode == -signal.SIGKILL and (out / ".ganzoo.lock").read_text().startswith("pid ")
    assert train(out, synthetic_data, "--steps=2")["steps"] == 2


# -- checkpoints: checksums, the previous one kept, a full disk -------------------------------------------------
def flip_bit(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x10
    path.write_bytes(bytes(data))


def test_a_damaged_checkpoint_is_named_with_the_intact_previous_one(tmp_path, synthetic_data):
    out = tmp_path / "run"
    train(out, synthetic_data, "--steps=4")  # checkpoints at steps 2 (ckpt.prev.pt) and 4 (ckpt.pt)
    assert torch.load(out / "ckpt.prev.pt", weights_only=True)["step"] == 2
    # the checksum files are in sha256sum's format
    assert (
        subprocess.run(["sha256sum", "--quiet", "-c", "ckpt.pt.sha256", "ckpt.prev.pt.sha256"], cwd=out).returncode == 0
    )
    ck, prev = out / "ckpt.pt", out / "ckpt.prev.pt"
    flip_bit(ck, ck.stat().st_size // 2)  # inside a tensor: torch.load alone would not notice
    with pytest.raises(
        TrainingError,
        match=re.escape(f"checkpoint {ck} is damaged: its SHA-256 (")
        + r"[0-9a-f]{16}"
        + re.escape(
            f"...) is not the one recorded when it was saved (in ckpt.pt.sha256). The previous checkpoint {prev} "
            f"(step 2) is intact: to continue from it, move the damaged file aside and put it in its place (`mv {ck} "
            f"{ck}.damaged && mv {prev} {ck}`), then --resume again; or start over with --overwrite."
        ),
    ):
        train(out, synthetic_data, "--steps=6", "--resume")
    os.replace(ck, out / "ckpt.pt.damaged")
    os.replace(prev, ck)
    assert train(out, synthetic_data, "--steps=6", "--resume")["steps"] == 6  # from step 2, as told
    # both damaged: nothing to fall back on
    flip_bit(ck, ck.stat().st_size // 2)
    flip_bit(prev, prev.stat().st_size // 2)
    with pytest.raises(
        TrainingError,
        match=r"is damaged: .*No intact earlier checkpoint is left \(.*ckpt.prev.pt is "
        r"missing or damaged too\): start over with --overwrite",
    ):
        train(out, synthetic_data, "--steps=8", "--resume")


def test_a_checkpoint_stays_verifiable_whenever_saving_is_killed(tmp_path, synthetic_data, monkeypatch):
    """Kill the save after each of its renames: every checkpoint left matches a recorded hash."""
    import training.runlog as runlog
    from training.train import read_checkpoint

    out = tmp_path / "run"
    train(out, synthetic_data, "--steps=4")
    real_replace = os.replace
    for k in range(4):
        run = tmp_path / f"k{k}"
        subprocess.run(["cp", "-a", str(out), str(run)], check=True)
        calls = []

        def dying(src, dst, calls=calls, k=k):
            if len(calls) == k:
                raise KeyboardInterrupt  # the process dies here
            calls.append(dst)
            real_replace(src, dst)

        monkeypatch.setattr(runlog.os, "replace", dying)
        ck, digest = read_checkpoint(run)
        with pytest.raises(KeyboardInterrupt):
            runlog.save_checkpoint({**ck, "step": 99}, run, digest)
        monkeypatch.setattr(runlog.os, "replace", real_replace)
        assert not [p for p in run.iterdir() if "ganzoo-tmp" in p.name]
        if k in (1, 2, 3):  # ckpt.pt moved to ckpt.prev.pt, the new one not yet in place
            with pytest.raises(
                TrainingError,
                match=re.escape(
                    f"{run / 'ckpt.pt'} is missing (the run was killed "
                    f"while saving?), but {run / 'ckpt.prev.pt'} (step 4) "
                    "is intact"
                ),
            ):
                read_checkpoint(run)
        else:
            assert read_checkpoint(run)[0]["step"] == 4
    # and the finished save: new at ckpt.pt, the former at ckpt.prev.pt, both intact
    ck, digest = read_checkpoint(out)
    runlog.save_checkpoint({**ck, "step": 99}, out, digest)
    assert read_checkpoint(out)[0]["step"] == 99
    os.replace(out / "ckpt.prev.pt", out / "ckpt.pt")
    assert read_checkpoint(out)[0]["step"] == 4


def test_a_checkpoint_without_checksums_still_resumes_with_a_note(tmp_path, synthetic_data, capsys):
    out = tmp_path / "run"
    train(out, synthetic_data, "--steps=2")
    for f in out.glob("*.sha256"):
        f.unlink()  # as written by ganzoo before checksums
    assert train(out, synthetic_data, "--steps=4", "--resume")["steps"] == 4
    assert "has no checksum file (it was saved by an older ganzoo); it cannot be checked" in capsys.readouterr().err


def test_a_full_disk_while_saving_keeps_the_previous_checkpoint(tmp_path, synthetic_data, monkeypatch, capsys):
    import training.runlog as runlog

    real_save, saves = torch.save, []

    def save(obj, f, *a, **k):
        saves.append(obj["step"])
        if len(saves) == 2:  # the checkpoint of step 4: half written, then the disk is full
            f.write(b"PK\x03\x04 half a zip")
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_save(obj, f, *a, **k)

    monkeypatch.setattr(runlog.torch, "save", save)
    out = tmp_path / "run"
    code = train_cli(["dcgan-mnist", "--out", str(out), "--data-root", str(synthetic_data), *TINY, "--steps=6"])
    err = capsys.readouterr().err
    ck = out / "ckpt.pt"
    assert code == 2 and err == (
        f"error: could not save the checkpoint of step 4: the disk is full: no space left to write {ck} (in "
        f"{out.resolve()}). ckpt.pt was left as it was; free space on that disk or write elsewhere. The last "
        f"checkpoint, {ck} (step 2), is kept: continue from it with --resume.\n"
    )
    assert not [p for p in out.iterdir() if "ganzoo-tmp" in p.name]
    monkeypatch.setattr(runlog.torch, "save", real_save)
    assert train(out, synthetic_data, "--steps=6", "--resume")["steps"] == 6  # verified, and it goes on


# -- `ganzoo train` is the trainer itself: signals, help, errors -----------------------------------------------
def test_ganzoo_train_help_and_missing_checkout(monkeypatch, capsys):
    with pytest.raises(SystemExit) as e:
        ganzoo_main(["train", "--help"])
    out = capsys.readouterr().out
    assert e.value.code == 0 and out.startswith("usage: ganzoo train [-h]") and "python -m training" not in out
    assert ganzoo_main(["train"]) == 2
    assert capsys.readouterr().err == (
        "error: ganzoo train: the following arguments are required: recipe (see `ganzoo train -h`)\n"
    )
    import ganzoo.registry

    monkeypatch.setattr(ganzoo.registry, "__file__", "/nonexistent/site-packages/ganzoo/registry.py")
    assert ganzoo_main(["train", "dcgan-mnist"]) == 2
    err = capsys.readouterr().err
    assert (
        err.startswith("error: `ganzoo train` needs the ganzoo repository's training/ folder")
        and err.endswith("(the recipes live in the checkout's training/, like torchvision's references/).\n")
        and "publish" not in err
    )


def ganzoo_train(out: Path, data: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ganzoo",
            "train",
            "dcgan-mnist",
            "--out",
            str(out),
            "--data-root",
            str(data),
            *TINY,
            "--ckpt_every=0",
            *extra,
        ],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_ganzoo_train_stops_on_a_signal_like_the_trainer_saves_and_resumes_exactly(sig, tmp_path, synthetic_data):
    run = tmp_path / "run"
    proc = ganzoo_train(run, synthetic_data, "--steps=100000")  # ckpt_every=0: only the signal saves
    deadline = time.time() + 120
    while time.time() < deadline and (
        not (run / "log.csv").exists() or len((run / "log.csv").read_text().splitlines()) < 12
    ):
        time.sleep(0.1)
    # the `ganzoo` process is the trainer: there is no child to lose or leave behind
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    assert not children.exists() or children.read_text().strip() == ""
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    step = torch.load(run / "ckpt.pt", weights_only=True)["step"]
    assert proc.returncode == 130, err
    assert (
        f"{sig.name}: stopped after step {step}; checkpoint saved to {run / 'ckpt.pt'}. Continue with --resume." in err
    )
    assert "Traceback" not in err
    train(run, synthetic_data, "--resume", f"--steps={step + 3}")
    train(tmp_path / "ref", synthetic_data, "--ckpt_every=0", f"--steps={step + 3}")
    a, b = generator_state(run / "model"), generator_state(tmp_path / "ref" / "model")
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert (run / "log.csv").read_text().splitlines()[1:] != []
    rows = lambda p: [r.split(",")[:3] for r in p.read_text().splitlines()]  # noqa: E731 - step, loss_d, loss_g
    assert rows(run / "log.csv") == rows(tmp_path / "ref" / "log.csv")


# -- damaged data files ----------------------------------------------------------------------------------------
def _images(raw: Path) -> Path:
    return raw / "t10k-images-idx3-ubyte"


DAMAGE = {
    "empty": (lambda p: p.write_bytes(b""), "it is empty (0 bytes)"),
    "truncated": (
        lambda p: p.write_bytes(p.read_bytes()[:-100]),
        "it is truncated: its header declares 10,000 images (7,840,000 bytes of data) but it holds "
        "7,839,900 bytes (an interrupted download?)",
    ),
    "header cut": (lambda p: p.write_bytes(p.read_bytes()[:10]), "it ends inside its header (10 bytes)"),
    "oversized header": (
        lambda p: p.write_bytes(p.read_bytes()[:4] + (2**31).to_bytes(4, "big") + p.read_bytes()[8:]),
        "its header declares 2147483648 x 28 x 28 = 1,683,627,180,032 bytes, more than any MNIST-format file holds",
    ),
    "not idx": (
        lambda p: p.write_bytes(b"<html>404 Not Found</html>"),
        "it is not an IDX file of unsigned bytes (it starts with 3c 68 74 6d; an MNIST image file starts "
        "with 00 00 08 03)",
    ),
    "labels in its place": (
        lambda p: write_idx(p, np.arange(10000) % 10),
        "it holds a 1-dimensional array, but an MNIST image file holds 3 dimensions",
    ),
    "wrong size": (
        lambda p: write_idx(p, np.zeros((10000, 32, 32))),
        "its header declares 32x32 images, but mnist images are 28x28",
    ),
    "too few images": (
        lambda p: write_idx(p, np.zeros((500, 28, 28))),
        "it holds 500 images, but t10k-labels-idx1-ubyte beside it holds 10,000: the two files come "
        "from different downloads",
    ),
    "extra bytes": (
        lambda p: p.write_bytes(p.read_bytes() + b"\0" * 7),
        "it holds more data than the 10,000 images its header declares",
    ),
    "bad gzip": (
        lambda p: (p.with_name(p.name + ".gz").write_bytes(gzip.compress(p.read_bytes())[:5000]), p.unlink()),
        "it cannot be read (EOFError: Compressed file ended before the end-of-stream marker was reached)",
    ),
}


@pytest.mark.parametrize("kind", sorted(DAMAGE))
def test_a_damaged_mnist_file_is_named_with_what_is_wrong_and_what_to_do(kind, tmp_path):
    root = write_mnist(tmp_path / "data", n_train=16, n_test=10000)
    damage, what = DAMAGE[kind]
    path = _images(root / "MNIST" / "raw")
    damage(path)
    named = path.with_name(path.name + ".gz") if kind == "bad gzip" else path
    with pytest.raises(DataFileError) as e:
        load_idx_split("mnist", "test", root)
    assert str(e.value) == (
        f"{named} is damaged: {what}. Replace it with an intact copy: delete it and download mnist again "
        f"(torchvision.datasets.MNIST({str(root)!r}, download=True), or `ganzoo train <recipe> --data-root {root} "
        f"--download`), which puts the files in {path.parent}."
    )


def test_labels_and_split_sizes_are_checked(tmp_path):
    root = write_mnist(tmp_path / "data", n_train=16, n_test=10000)
    raw = root / "MNIST" / "raw"
    write_idx(raw / "t10k-labels-idx1-ubyte", np.full(10000, 200))
    with pytest.raises(
        DataFileError, match="t10k-labels-idx1-ubyte is damaged: it holds label 200, but mnist has classes 0-9"
    ):
        load_idx_split("mnist", "test", root)
    write_mnist(root, n_train=5, n_test=10000)
    with pytest.raises(
        DataFileError,
        match=re.escape(
            "train-images-idx3-ubyte is damaged: it holds 5 images, too few "
            "to use (at least 10; the official mnist train split has "
            "60,000)"
        ),
    ):
        load_idx_split("mnist", "train", root)  # the metrics need 10 real images
    assert len(load_idx_split("mnist", "train", root, min_images=1)[0]) == 5  # training: one batch is the limit


def test_damaged_data_in_ganzoo_eval_and_train_is_one_error_line(tmp_path, capsys):
    root = write_mnist(tmp_path / "data", n_train=64, n_test=10000)
    raw = root / "MNIST" / "raw"
    raw.joinpath("t10k-images-idx3-ubyte").write_bytes(raw.joinpath("t10k-images-idx3-ubyte").read_bytes()[:5000])
    assert ganzoo_main(["eval", "dcgan-mnist", "--n", "10", "--data-root", str(root)]) == 2
    err = capsys.readouterr().err
    assert (
        err.startswith(f"error: {raw / 't10k-images-idx3-ubyte'} is damaged: it is truncated") and err.count("\n") == 1
    )
    raw.joinpath("train-images-idx3-ubyte").write_bytes(b"")
    out = tmp_path / "run"
    assert ganzoo_main(["train", "dcgan-mnist", "--out", str(out), "--data-root", str(root), *TINY]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {raw / 'train-images-idx3-ubyte'} is damaged: it is empty (0 bytes). Replace it")
    assert err.count("\n") == 1


# -- absurd training values ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "arg, message",
    [
        (f"--seed={2**70}", f"seed must be an integer in [0, 2**32), got {2**70}"),
        ("--seed=2**70", "bad value for --seed: expected an integer, got '2**70'"),
        ("--seed=-1", "seed must be an integer in [0, 2**32), got -1"),
        ("--model.latent_dim=1e20", "bad value for --model.latent_dim: expected an integer, got '1e20'"),
        (
            f"--model.latent_dim={10**20}",
            "bad model settings for dcgan-mnist: dcgan config key 'latent_dim' must be an int in [0, 1048576], "
            f"got {10**20}",
        ),
        ("--model.g_width=1048576", "the networks of dcgan-mnist with these model settings have "),  # under the cap
        (
            "--threads=1e11",
            "ganzoo train: argument --threads: --threads must be an int written in digits 0-9, got '1e11' (see `ganzoo "
            "train -h`)",
        ),
        (
            f"--threads={10**11}",
            f"--threads must be between 1 and {os.cpu_count()} (the CPUs of this machine), got {10**11}",
        ),
        ("--max-cpu-minutes=inf", "--max-cpu-minutes must be a finite number >= 0 (0: no limit), got inf"),
    ],
)
def test_absurd_training_values_fail_before_any_work(arg, message, tmp_path, capsys):
    out = tmp_path / "run"
    assert ganzoo_main(["train", "dcgan-mnist", "--out", str(out), "--data-root", str(tmp_path / "none"), arg]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: " + message) and err.count("\n") == 1, err
    assert not out.exists()


def test_a_batch_larger_than_the_data_is_refused_before_training(tmp_path, synthetic_data):
    with pytest.raises(
        TrainingError,
        match=re.escape(
            "batch_size 100000 is larger than the training data (256 "
            "images of mnist): choose --batch_size=256 or smaller."
        ),
    ):
        train(tmp_path / "run", synthetic_data, "--batch_size=100000")
    assert not (tmp_path / "run" / "ckpt.pt").exists() and not (tmp_path / "run" / "log.csv").exists()
