from __future__ import annotations

import subprocess
import sys

from PIL import Image

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
    assert capsys.readouterr().err == "error: ganzoo sample: argument -n: -n must be >= 1, got 0 (see `ganzoo sample -h`)\n"


def test_console_script_entry_point(tmp_path):
    out = subprocess.run([sys.executable, "-m", "ganzoo", "list", "--all"], capture_output=True, text=True)
    assert out.returncode == 0 and "wgan-gp-fashion-mnist" in out.stdout
