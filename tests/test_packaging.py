"""The packaging promises, checked in a fresh virtual environment (needs the package index: slow)."""
from __future__ import annotations

import subprocess
import sys

import pytest

import ganzoo

from .conftest import ROOT


@pytest.mark.slow
def test_runtime_extra_installs_without_torch_and_runs_an_export(tmp_path):
    onnx_file = ganzoo.load("cgan-fashion-mnist").export_onnx(tmp_path / "g.onnx", check=False)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    # the one documented command for apps that only run exported generators
    pip = subprocess.run([str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                          f"{ROOT}[runtime]"], capture_output=True, text=True, timeout=900)
    assert pip.returncode == 0 and "ERROR" not in pip.stderr, pip.stderr[-3000:]
    code = f"""
import importlib.util, ganzoo
assert importlib.util.find_spec("torch") is None, "torch was installed"
assert importlib.util.find_spec("training") is None, "training/ must not be installed"
from ganzoo.runtime import OnnxGenerator
gen = OnnxGenerator({str(onnx_file)!r})
print(gen.sample(4, labels="Sneaker", seed=0).shape)
try:
    ganzoo.load("dcgan-mnist")
except ganzoo.GanzooError as e:
    print(e)
"""
    r = subprocess.run([str(py), "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["(4, 1, 28, 28)", "ganzoo.load needs PyTorch: pip install 'ganzoo[torch]' (or the "
                                     "torch build for your platform). Exported ONNX files run without it: "
                                     "ganzoo.runtime.OnnxGenerator."]
    listing = subprocess.run([str(venv / "bin" / "ganzoo"), "list"], capture_output=True, text=True)
    assert listing.returncode == 0 and "cgan-fashion-mnist" in listing.stdout


def test_no_upper_caps_and_extras_match_the_imports():
    import tomllib

    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    reqs = [*meta["project"]["dependencies"], *(r for v in meta["project"]["optional-dependencies"].values() for r in v)]
    assert not [r for r in reqs if "<" in r], "no upper caps on dependencies"
    extras = meta["project"]["optional-dependencies"]
    assert "torch" not in " ".join(meta["project"]["dependencies"]) and extras["runtime"] == ["onnxruntime>=1.18"]
    assert any(r.startswith("huggingface_hub") for r in extras["hub"])  # cards and publish import it
    assert not any(r.startswith("huggingface_hub") for r in extras["train"])  # training does not
    assert meta["build-system"]["requires"] == ["setuptools>=77"]
    assert meta["tool"]["setuptools"]["packages"]["find"]["include"] == ["ganzoo*"]


@pytest.mark.slow
def test_wheel_size_stays_installable(tmp_path):
    """The wheel ships generators only (discriminators live in zoo_extras/ and on the Hub) and must stay within
    60 MB as the zoo grows to twenty entries; new entries store float16 generators (recipe storage="float16",
    FD +-0.01 % by benchmarks/storage.py)."""
    import zipfile

    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path), str(ROOT)],
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    whl = next(tmp_path.glob("*.whl"))
    names = zipfile.ZipFile(whl).namelist()
    assert not [n for n in names if "discriminator" in n or n.startswith(("training/", "tests/", "benchmarks/"))]
    size = whl.stat().st_size
    print(f"wheel {whl.name}: {size / 1e6:.1f} MB for {len(ganzoo.list_models(with_weights=True))} entries")
    assert size <= 60e6
