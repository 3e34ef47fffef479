from __future__ import annotations

import subprocess
import sys

import pytest
from PIL import Image

import ganzoo
from ganzoo.cli import main

from .conftest import make_tiny_folder


def test_list(capsys):
    assert main(["list", "--all", "cgan-*"]) == 0
    out = capsys.readouterr().out
    assert "cgan-mnist" in out and "cgan-fashion-mnist" in out and "dcgan-mnist" not in out


def test_sample_writes_grid(tmp_path, capsys):
    f = make_tiny_folder(tmp_path / "m", "cgan")
    out = tmp_path / "g.png"
    assert main(["sample", str(f), "-n", "6", "--seed", "0", "--labels", "Sneaker", "-o", str(out), "--nrow", "3"]) == 0
    assert Image.open(out).size == (3 * 30 + 2, 2 * 30 + 2)
    assert main(["sample", str(f), "-n", "3", "--labels", "3,3,7", "-o", str(out)]) == 0


def test_sample_errors(tmp_path, capsys):
    f = make_tiny_folder(tmp_path / "m", "cgan")
    assert main(["sample", str(f), "-n", "2", "--labels", "12", "-o", str(tmp_path / "x.png")]) == 2
    assert "out of range" in capsys.readouterr().err
    assert main(["sample", "wgan-gp-mnits", "-o", str(tmp_path / "x.png")]) == 2
    assert "Did you mean: wgan-gp-mnist" in capsys.readouterr().err
    assert main(["sample", str(f), "-n", "0", "-o", str(tmp_path / "x.png")]) == 2
    assert capsys.readouterr().err == (
        "error: ganzoo sample: argument -n: -n must be >= 1, got 0 (see `ganzoo sample -h`)\n"
    )


def test_ctrl_c_is_a_stop_not_a_traceback(tmp_path, capsys, monkeypatch):
    import ganzoo.cli

    def interrupted(a):
        raise KeyboardInterrupt

    monkeypatch.setattr(ganzoo.cli, "cmd_invert", interrupted)
    f = make_tiny_folder(tmp_path / "m", "dcgan")
    assert main(["invert", str(f), str(tmp_path / "d.png"), "-o", str(tmp_path / "x.png")]) == 130
    assert capsys.readouterr().err == "interrupted\n"


def test_console_script_entry_point(tmp_path):
    out = subprocess.run([sys.executable, "-m", "ganzoo", "list", "--all"], capture_output=True, text=True)
    assert out.returncode == 0 and "wgan-gp-fashion-mnist" in out.stdout


def test_messages_count_in_the_singular(tmp_path, capsys):
    f = make_tiny_folder(tmp_path / "m", "dcgan")
    assert main(["sample", str(f), "-n", "1", "-o", str(tmp_path / "one.png")]) == 0
    assert capsys.readouterr().out == f"wrote 1 sample of {f} to {tmp_path / 'one.png'}\n"
    assert main(["sample", str(f), "-n", "2", "-o", str(tmp_path / "two.png")]) == 0
    assert capsys.readouterr().out == f"wrote 2 samples of {f} to {tmp_path / 'two.png'}\n"


def test_steer_writes_one_morph_per_row_left_to_right(tmp_path, capsys, monkeypatch):
    import torch

    from ganzoo.model import GANModel

    # the optimisation itself is tested in test_control; here only the layout: a straight path whose first
    # image is the seed's (steps 0 .. steps-1 along the row)
    monkeypatch.setattr(
        GANModel, "steer", lambda self, z, toward, steps, labels, space="z", move_label=False: torch.stack([z] * steps)
    )
    f = make_tiny_folder(tmp_path / "m", "dcgan")
    out = tmp_path / "morph.png"
    assert main(["steer", str(f), "--toward", "7", "--steps", "5", "-o", str(out)]) == 0
    assert capsys.readouterr().out == f"wrote 1 morph of 5 steps toward 7 to {out} (one row per seed, left to right)\n"
    assert Image.open(out).size == (5 * 30 + 2, 1 * 30 + 2)
    assert (
        main(
            [
                "steer",
                str(f),
                "--seed",
                "0",
                "--seed",
                "1",
                "--seed",
                "2",
                "--toward",
                "7",
                "--steps",
                "4",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    assert "wrote 3 morphs of 4 steps" in capsys.readouterr().out
    assert Image.open(out).size == (4 * 30 + 2, 3 * 30 + 2)


@pytest.mark.slow  # seconds of work: the full suite (the README's test command) runs it, `-m "not slow"` skips it
def test_sample_an_onnx_file(tmp_path, capsys):
    import numpy as np

    import ganzoo
    from ganzoo.runtime import OnnxGenerator

    f = make_tiny_folder(tmp_path / "m", "cgan")
    onnx_file = ganzoo.load(f).export_onnx(tmp_path / "g.onnx", check=False, uint8=True)
    out = tmp_path / "s.png"
    assert main(["sample", str(onnx_file), "-n", "3", "--seed", "4", "--labels", "Sneaker", "-o", str(out)]) == 0
    assert capsys.readouterr().out == f"wrote 3 samples of {onnx_file} to {out}\n"
    want = OnnxGenerator(onnx_file).sample(3, labels="Sneaker", seed=4)  # uint8 N x H x W x 1
    grid = np.asarray(Image.open(out))
    assert grid.shape == (2 * 30 + 2, 2 * 30 + 2)  # 3 images, 2 per row
    assert np.array_equal(grid[2:30, 32:60], want[1, ..., 0])
    assert main(["sample", str(onnx_file), "--truncation", "0.5", "-o", str(out)]) == 2
    assert capsys.readouterr().err == (
        "error: --truncation is for zoo names, model folders and Hub repos, not an "
        "ONNX file (which onnxruntime samples on the CPU, untruncated): drop "
        "--truncation\n"
    )
    assert main(["sample", str(onnx_file), "--device", "cuda", "-o", str(out)]) == 2
    assert "error: --device cuda is for zoo names" in capsys.readouterr().err
    assert main(["sample", str(tmp_path / "none.onnx"), "-o", str(out)]) == 2
    assert "ONNX file" in capsys.readouterr().err


def test_help_says_what_works_without_torch(capsys):
    import pytest

    with pytest.raises(SystemExit) as e:
        main(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert (
        "Without torch (an app's install: pip install 'ganzoo-models[runtime]'), list, info and sample FILE.onnx work."
    ) in out
    assert "  sample, steer, invert, mix, directions, translate, eval: pip install 'ganzoo-models[torch]'\n" in out
    assert "  export: pip install 'ganzoo-models[onnx]'\n" in out
    assert "  publish, card: pip install 'ganzoo-models[torch,hub]'\n" in out


# Every command in a process where `import torch` fails, as in an install with only the runtime extra
# (tests/test_packaging.py runs them in a real one, slowly).
NO_TORCH = """
import contextlib, io, json, sys
for m in ("torch", "torchvision"):
    sys.modules[m] = None  # `import torch` raises ImportError; importlib.util.find_spec("torch") is None
from ganzoo.cli import main
runs = []
for argv in json.loads(sys.argv[1]):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as e:  # --help
            code = e.code
    runs.append([code, out.getvalue(), err.getvalue()])
print(json.dumps(runs))
"""


def torch_error(cmd: str, extra: str = "torch") -> str:
    return (
        f"error: ganzoo {cmd} needs torch, which is not installed: pip install 'ganzoo-models[{extra}]' (or the "
        "torch build for your platform). Without torch, list, info and sample FILE.onnx work.\n"
    )


@pytest.mark.slow  # seconds of work: the full suite (the README's test command) runs it, `-m "not slow"` skips it
def test_every_command_without_torch(tmp_path, tiny_onnx):
    import json

    onnx_file = tiny_onnx("cgan")[1]
    Image.new("L", (28, 28)).save(tmp_path / "d.png")
    png = str(tmp_path / "o.png")
    cases = [
        (["--help"], 0, None),
        (["list"], 0, ""),
        (["info", "dcgan-mnist"], 0, ""),
        (["sample", str(onnx_file), "-n", "4", "-o", png], 0, ""),
        (["sample", "dcgan-mnist", "-o", png], 2, torch_error("sample")),
        (["steer", "dcgan-mnist", "--toward", "7", "-o", png], 2, torch_error("steer")),
        (["invert", "dcgan-mnist", str(tmp_path / "d.png"), "-o", png], 2, torch_error("invert")),
        (["eval", "dcgan-mnist", "--n", "10"], 2, torch_error("eval")),
        (["export", "dcgan-mnist", "-o", str(tmp_path / "e.onnx")], 2, torch_error("export", "onnx")),
        (["publish", "dcgan-mnist", "--repo-id", "me/x", "--dry-run"], 2, torch_error("publish")),
        (["card", "dcgan-mnist", "-o", str(tmp_path / "c.md")], 2, torch_error("card")),
        (["train", "dcgan-mnist", "--out", str(tmp_path / "run")], 2, None),
    ]
    r = subprocess.run(
        [sys.executable, "-c", NO_TORCH, json.dumps([c[0] for c in cases])],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    runs = json.loads(r.stdout)
    for (argv, want_code, want_err), (code, out, err) in zip(cases, runs):
        assert code == want_code, (argv, out, err)
        if want_err is not None:
            assert err == want_err, argv
    (_, help_out, _), (_, list_out, _), (_, info_out, _), (_, onnx_out, _) = runs[:4]
    assert "Without torch" in help_out and "cgan-fashion-mnist" in list_out
    assert json.loads(info_out)["load"].startswith("ganzoo.load needs PyTorch: pip install 'ganzoo-models[torch]'")
    assert onnx_out == f"wrote 4 samples of {onnx_file} to {png}\n" and Image.open(png).size == (62, 62)
    train_err = runs[-1][2]  # its wording is the training CLI's; here: one line naming the extra
    assert train_err.startswith("error: ") and train_err.count("\n") == 1 and "'ganzoo-models[train]'" in train_err
    assert not (tmp_path / "e.onnx").exists() and not (tmp_path / "c.md").exists()


def test_invert_prints_the_error_in_context(tmp_path, capsys):
    """The MSE comes with its share of the image's own pixel variance, so a user can tell good from bad."""
    import re

    import numpy as np
    import torch

    import ganzoo

    m = ganzoo.load("dcgan-mnist")
    img = m.to_pil(m.sample(1, seed=4))[0]
    img.save(tmp_path / "d.png")
    assert main(["invert", "dcgan-mnist", str(tmp_path / "d.png"), "--steps", "5", "-o", str(tmp_path / "r.png")]) == 0
    line = capsys.readouterr().out.splitlines()[0]
    got = re.fullmatch(
        r".*d\.png: reconstruction MSE ([0-9.]+), (\d+)% of the image's own pixel variance "
        r"\(0 % would be a perfect copy, 100 % a flat grey image\)",
        line,
    )
    assert got, line
    x = torch.from_numpy(np.asarray(img, dtype=np.float32) / 255)
    assert int(got.group(2)) == round(100 * float(got.group(1)) / float(x.var(unbiased=False)))


@pytest.mark.slow  # seconds of work: the full suite (the README's test command) runs it, `-m "not slow"` skips it
def test_train_help_and_missing_checkout_name_the_command(monkeypatch):
    r = subprocess.run([sys.executable, "-m", "ganzoo", "train", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.startswith("usage: ganzoo train ")
    from ganzoo import registry

    monkeypatch.setattr(registry, "__file__", "/nonexistent/site-packages/ganzoo/registry.py")
    with pytest.raises(ganzoo.GanzooError) as e:
        registry.checkout_dir("training", "`ganzoo train`", "the recipes live in the checkout's training/")
    assert "`ganzoo train` needs the ganzoo repository's training/ folder" in str(e.value)
    assert "publish" not in str(e.value)
