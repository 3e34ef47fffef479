"""Bad or hostile input never returns a wrong model or result, and never ends in a traceback."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch

import ganzoo
from ganzoo.cli import main as cli

from .conftest import make_tiny_folder


# -- loading never returns the wrong model ------------------------------------------------------------------
def test_bare_zoo_name_beats_a_folder_of_that_name(tmp_path, monkeypatch):
    make_tiny_folder(tmp_path / "dcgan-mnist", "dcgan")  # latent_dim 8; the zoo entry's is 64
    monkeypatch.chdir(tmp_path)
    zoo = ganzoo.load("dcgan-mnist")
    assert zoo.latent_dim == 64 and zoo.source == "dcgan-mnist"
    local = ganzoo.load("./dcgan-mnist")
    assert local.latent_dim == 8 and local.source == "./dcgan-mnist"


def test_run_folder_and_weights_file_get_pointed_errors(tmp_path):
    make_tiny_folder(tmp_path / "run" / "model", "dcgan")
    with pytest.raises(ganzoo.ModelFolderError, match=r"is a training run folder; its model is in .*run/model"):
        ganzoo.load(tmp_path / "run")
    with pytest.raises(
        ganzoo.ModelFolderError,
        match=r"is a file, but a ganzoo model is a folder.*Pass the folder "
        r"that holds it: '.*model'",
    ):
        ganzoo.load(str(tmp_path / "run" / "model" / "model.safetensors"))


def copy_zoo_entry(name: str, tmp_path, monkeypatch):
    from ganzoo import registry

    shutil.copytree(registry.ZOO[name].folder, tmp_path / name)
    monkeypatch.setattr(registry, "WEIGHTS_DIR", tmp_path)
    return tmp_path / name


def test_every_bundled_file_is_hash_checked(tmp_path, monkeypatch):
    folder = copy_zoo_entry("cgan-fashion-mnist", tmp_path, monkeypatch)
    assert ganzoo.load("cgan-fashion-mnist").class_names[7] == "Sneaker"  # the copy loads as is
    conf = json.loads((folder / "config.json").read_text())
    conf["class_names"].reverse()  # labels="Sneaker" would silently draw class 2
    (folder / "config.json").write_text(json.dumps(conf, indent=2) + "\n")
    with pytest.raises(ganzoo.ModelFolderError, match=r"config.json fails its sha256 check.*reinstall ganzoo-models "):
        ganzoo.load("cgan-fashion-mnist")


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda c: c.pop("latent_dim"), "lacks 'latent_dim'"),
        (lambda c: c.update(latent_dim=9), "latent_dim is 9 but the architecture config says 8"),
        (lambda c: c.update(image_shape=[1, 32, 32]), r"image_shape is \[1, 32, 32\] but the architecture config says"),
        (lambda c: c.update(num_classes=3), "num_classes is 3 but the architecture config says 10"),
        (lambda c: c.update(class_names=["a"] * 10), "class_names must be 10 distinct strings"),
        (lambda c: c.pop("class_names"), "class_names must be 10 distinct strings"),
        (lambda c: c["config"].update(g_width="wide"), r"g_width' must be an int in \[0, 1048576\], got 'wide'"),
    ],
)
def test_config_json_is_validated_at_load(edit, message, tmp_path):
    f = make_tiny_folder(tmp_path / "m", "cgan")
    conf = json.loads((f / "config.json").read_text())
    edit(conf)
    (f / "config.json").write_text(json.dumps(conf))
    with pytest.raises(ganzoo.ModelFolderError, match=message):
        ganzoo.load(f)


@pytest.mark.parametrize("width", [3000, 100000])  # 1.7 GB and 1.28 TB if allocated before the check
def test_declared_sizes_are_checked_against_the_header_before_allocating(width, tmp_path):
    f = make_tiny_folder(tmp_path / "m", "dcgan")
    conf = json.loads((f / "config.json").read_text())
    conf["config"]["g_width"] = width
    (f / "config.json").write_text(json.dumps(conf))
    with pytest.raises(
        ganzoo.ModelFolderError,
        match=r"shape mismatches \['net\.0\.weight: file \(8, 16, 7, 7\) vs "
        rf"config \(8, {2 * width}, 7, 7\)",
    ):
        ganzoo.load(f)


# -- sampling: same checks in torch and in the torch-free runtime ------------------------------------------
@pytest.fixture(scope="module")
def pair(tiny_onnx):
    from ganzoo.runtime import OnnxGenerator

    folder, path = tiny_onnx("cgan")
    return ganzoo.load(folder), OnnxGenerator(path)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_latents_are_refused(bad, pair):
    m, rt = pair
    z = np.zeros((2, m.latent_dim), np.float32)
    z[1, 3] = bad
    for gen, zz in ((m.generate, torch.from_numpy(z)), (rt.generate, z)):
        with pytest.raises(
            ganzoo.GanzooError, match=r"z holds 1 NaN, infinite or out-of-float32-range value\(s\) out of 16"
        ):
            gen(zz, [0, 1])


def test_same_label_and_seed_rules_in_torch_and_runtime(pair):
    m, rt = pair
    for labels in (np.int64(3), np.array([1, 2]), [np.int32(1), 2], "Sneaker", ["3", "Bag"]):
        a = m.labels_tensor(labels, 2).numpy()
        assert np.array_equal(a, rt.labels_array(labels, 2))
    for labels, msg in (
        ([1.9, 2.2], "got 1.9 .float."),
        (True, "got True .bool."),
        ([True, 1], "got True"),
        (np.array([1.0, 2.0]), "got 1.0 .float."),
        (np.zeros((2, 1), np.int64), "flat sequence"),
    ):
        for f in (m.labels_tensor, rt.labels_array):
            with pytest.raises(ganzoo.LabelError, match=msg):
                f(labels, 2)
    for seed in (-1, 2**64, 1.5, True, "3"):
        for f in (m.sample_latent, rt.sample_latent):
            with pytest.raises(ganzoo.GanzooError, match=r"seed must be an int in \[0, 2\*\*64\)"):
                f(2, seed=seed)
    assert torch.equal(m.sample_latent(2, seed=np.int64(7)), m.sample_latent(2, seed=7))
    assert np.array_equal(rt.sample_latent(2, seed=2**64 - 1), rt.sample_latent(2, seed=2**64 - 1))


def test_same_seed_same_latents_and_images_in_torch_and_runtime(pair):
    m, rt = pair  # one portable latent generator (tests/test_latent.py)
    for seed in (0, 2**63 + 5, 2**64 - 1):
        assert np.array_equal(rt.sample_latent(6, seed), m.sample_latent(6, seed=seed).numpy())
        assert np.array_equal(rt.sample_latent(6, seed, 0.7), m.sample_latent(6, seed=seed, truncation=0.7).numpy())
        np.testing.assert_allclose(
            rt.sample(6, labels="Bag", seed=seed, truncation=0.7),
            m.sample(6, labels="Bag", seed=seed, truncation=0.7).numpy(),
            atol=1e-4,
        )


def test_large_n_is_chunked_and_impossible_n_refused_before_allocating(pair, monkeypatch):
    from ganzoo import model as model_mod

    m, _ = pair
    whole = m.sample(10, seed=3)
    monkeypatch.setattr(model_mod, "CHUNK", 3)  # 4 forward calls of at most 3 images
    calls = []
    g = m.inference_generator()  # what sample() runs (cached while the weights stay the same)
    real_forward = g.forward
    monkeypatch.setattr(g, "forward", lambda z, y=None: calls.append(len(z)) or real_forward(z, y))
    chunked = m.sample(10, seed=3)  # batch size changes float rounding in the convolutions, nothing more
    assert torch.allclose(chunked, whole, atol=1e-6) and calls == [3, 3, 3, 1]
    with pytest.raises(
        ganzoo.GanzooError,
        match=r"10000000000 images of 1x28x28 need about 32000\.0 GB of memory at "
        r"the peak, but only .* is available",
    ):
        m.sample(10**10)


def test_memory_is_checked_only_for_results_that_might_not_fit(pair, monkeypatch):
    from ganzoo import runtime

    m, _ = pair
    reads = []
    monkeypatch.setattr(runtime, "available_memory", lambda: reads.append(1) or 10**6)  # 1 MB free
    assert m.sample(4, seed=0).shape == (4, 1, 28, 28) and reads == []  # 12.5 KB: under ALWAYS_FITS, no read
    n = runtime.ALWAYS_FITS // (28 * 28 * 4) + 1
    with pytest.raises(
        ganzoo.GanzooError,
        match=rf"{n} images of 1x28x28 need about 0\.1 GB of memory at the peak, "
        r"but only 1 MB is available",
    ):
        m.sample(n)
    assert reads  # a result of ALWAYS_FITS or more is measured against the memory available


# -- the command line: one error line, exit code 2 ------------------------------------------------------------
def run_cli(capsys, *argv) -> tuple[int, str]:
    code = cli(list(argv))
    err = capsys.readouterr().err
    return code, err


@pytest.mark.parametrize(
    "args, message",
    [
        (["-o", "{tmp}/missing/x.png"], "folder {tmp}/missing does not exist"),
        (["-o", "{tmp}/x.pdf"], "a sample grid needs a file name ending in .png"),
        (["-o", "{tmp}/x"], "(got no extension)"),
        (["-o", "{tmp}"], "ending in .png"),
        (["-o", "/proc/ganzoo-test.png"], "cannot write /proc/ganzoo-test.png"),
        (["--device", "foo", "-o", "{tmp}/x.png"], "unknown device 'foo': use 'cpu', 'cuda', 'cuda:N' or 'mps'"),
        (["--seed", str(2**64), "-o", "{tmp}/x.png"], "seed must be in [0, 2**64)"),
        (["--nrow", "-3", "-o", "{tmp}/x.png"], "--nrow must be >= 1, got -3"),
        (["-n", "abc", "-o", "{tmp}/x.png"], "-n must be an int written in digits 0-9, got 'abc'"),
        (["-n", "\u0663", "-o", "{tmp}/x.png"], "-n must be an int written in digits 0-9, got '\u0663'"),
        (["-n", "1_000", "-o", "{tmp}/x.png"], "-n must be an int written in digits 0-9, got '1_000'"),
        (["-n", "9" * 40, "-o", "{tmp}/x.png"], "-n must have at most 30 digits, got 999999999999... (40 digits)"),
    ],
)
def test_sample_mistakes(args, message, tmp_path, capsys):
    args = [a.format(tmp=tmp_path) for a in args]
    code, err = run_cli(capsys, "sample", "dcgan-mnist", "-n", "4", *args)
    assert code == 2 and err.startswith("error: ") and err.count("\n") == 1, err
    assert message.format(tmp=tmp_path) in err


@pytest.mark.parametrize("n", ["0", "1", "2"])
def test_eval_needs_enough_samples(n, capsys):
    code, err = run_cli(capsys, "eval", "dcgan-mnist", "--n", n)
    assert code == 2 and f"--n must be >= 10, got {n}" in err


def test_export_mistakes(tmp_path, capsys):
    (tmp_path / "d.onnx").mkdir()
    code, err = run_cli(capsys, "export", "dcgan-mnist", "-o", str(tmp_path / "d.onnx"))
    assert code == 2 and "is an existing folder" in err
    assert not list(tmp_path.glob("*.tmp"))
    code, err = run_cli(capsys, "export", "dcgan-mnist", "-o", str(tmp_path / "g.onnx"), "--opset", "5")
    assert code == 2 and "opset must be an int from 18" in err and not (tmp_path / "g.onnx").exists()
    code, err = run_cli(capsys, "export", "dcgan-mnist", "-o", str(tmp_path / "g.txt"))
    assert code == 2 and "an ONNX export needs a file name ending in .onnx" in err
    code, err = run_cli(capsys, "export", "dcgan-mnist", "-o", str(tmp_path / "g.onnx"), "--fp16", "--quantize", "int8")
    assert code == 2 and "argument --quantize: not allowed with argument --fp16" in err
    code, err = run_cli(capsys, "export", "dcgan-mnist", "-o", str(tmp_path / "g.onnx"), "--quantize", "int4")
    assert code == 2 and "argument --quantize: invalid choice: 'int4'" in err
    assert not (tmp_path / "g.onnx").exists()


@pytest.mark.slow  # seconds of work: the full suite (the README's test command) runs it, `-m "not slow"` skips it
def test_cli_exports_an_int8_file_and_says_so(tmp_path, capsys):
    from ganzoo.cli import main

    q = str(tmp_path / "q.onnx")
    assert main(["export", "dcgan-mnist", "-o", q, "--quantize", "int8", "--convt", "phase"]) == 0
    out = capsys.readouterr().out
    assert f"wrote {tmp_path / 'q.onnx'}" in out and ", int8); checked with onnx.checker" in out
    assert "batch 64: mean|diff|" in out


@pytest.mark.parametrize(
    "argv, module, extra",
    [
        (["export", "dcgan-mnist", "-o", "x.onnx"], "onnx", "onnx"),
        (["export", "dcgan-mnist", "-o", "x.onnx"], "onnxscript", "onnx"),
        (["sample", "someone/some-model", "-o", "x.png"], "huggingface_hub", "hub"),
        (["sample", "g.onnx", "-o", "x.png"], "onnxruntime", "runtime"),
        (["publish", "dcgan-mnist", "--repo-id", "me/x", "--dry-run"], "huggingface_hub", "hub"),
        (["card", "dcgan-mnist", "-o", "c.md"], "huggingface_hub", "hub"),
        (["eval", "dcgan-mnist", "--inception-weights", "w.pth"], "torch_fidelity", "inception"),
        (["train", "dcgan-mnist"], "tqdm", "train"),
    ],
)
def test_missing_optional_dependency_names_the_extra(argv, module, extra, tmp_path, capsys, monkeypatch):
    import builtins
    import importlib.util

    real_find, real_import = importlib.util.find_spec, builtins.__import__
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == module else real_find(name, *a))

    def fake_import(name, *a, **k):
        if name == module or name.startswith(module + "."):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    monkeypatch.chdir(tmp_path)
    code, err = run_cli(capsys, *argv)
    assert code == 2 and err.count("\n") == 1 and f"pip install 'ganzoo-models[{extra}]'" in err, err
    assert not list(tmp_path.iterdir())  # refused before anything was written


def test_list_into_a_closed_pipe_is_quiet(tmp_path):
    p = subprocess.run(f"{sys.executable} -m ganzoo list --all | head -n 1", shell=True, capture_output=True, text=True)
    assert p.returncode == 0 and p.stdout.startswith("name") and p.stderr == ""


@pytest.mark.slow  # seconds of work: the full suite (the README's test command) runs it, `-m "not slow"` skips it
def test_train_mistake_through_ganzoo_cli(tmp_path):
    p = subprocess.run(
        [sys.executable, "-m", "ganzoo", "train", "dcgan-mnist", "--out", str(tmp_path / "o"), "--batch_size=0"],
        capture_output=True,
        text=True,
    )
    assert p.returncode == 2 and p.stderr == "error: batch_size must be a finite number >= 1, got 0\n"


@pytest.mark.parametrize("name, got", [("grid", "no extension"), ("grid.txt", "'.txt'"), ("grid.", "no extension")])
def test_save_grid_names_the_image_extensions(name, got, tmp_path):
    from ganzoo.images import save_grid

    path = tmp_path / name
    with pytest.raises(ganzoo.GanzooError) as e:
        save_grid(np.zeros((2, 1, 4, 4)), path)
    assert str(e.value) == (
        f"cannot write {path}: an image needs a file name ending in .png, .jpg, .jpeg, .webp, "
        f".bmp, .tif, .tiff, .gif (got {got}), e.g. {tmp_path / 'grid.png'}"
    )
    assert not list(tmp_path.iterdir())
    assert save_grid(np.zeros((2, 1, 4, 4)), tmp_path / "g.PNG").is_file()  # any case


def test_save_grid_failing_midway_keeps_the_earlier_picture(tmp_path, monkeypatch):
    """An image is written to a unique temporary file and renamed: a failure (a full disk) leaves the earlier file
    as it was and no partial file behind."""
    import errno

    from PIL import Image

    from ganzoo.errors import FileWriteError
    from ganzoo.images import save_grid

    path = save_grid(np.zeros((2, 1, 4, 4)), tmp_path / "g.png")
    before = path.read_bytes()

    def full(self, fp, format=None, **kw):
        fp.write(b"\x89PNG half")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Image.Image, "save", full)
    with pytest.raises(FileWriteError, match="disk is full"):
        save_grid(np.ones((2, 1, 4, 4)), path)
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["g.png"]
