"""The packaging promises, checked in a fresh virtual environment (needs the package index: slow)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from PIL import Image

import ganzoo

from .conftest import ROOT


@pytest.mark.slow
def test_runtime_extra_installs_without_torch_and_runs_an_export(tmp_path):
    onnx_file = ganzoo.load("cgan-fashion-mnist").export_onnx(tmp_path / "g.onnx", check=False)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # the venv's own ganzoo, not a checkout's
    # the one documented command for apps that only run exported generators
    pip = subprocess.run(
        [str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", f"{ROOT}[runtime]"],
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
    )
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
    r = subprocess.run([str(py), "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "(4, 1, 28, 28)",
        "ganzoo.load needs PyTorch: pip install 'ganzoo-models[torch]' "
        "(or the torch build for your platform). Exported ONNX files run without it: "
        "ganzoo.runtime.OnnxGenerator.",
    ]
    version = subprocess.run(
        [str(py), "-c", "import importlib.metadata as m; print(m.version('ganzoo-models'))"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert version.stdout == f"{ganzoo.__version__}\n", version.stderr

    # every command of the installed `ganzoo` script: it works, or one `error:` line names the extra (exit 2)
    def cli(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(venv / "bin" / "ganzoo"), *argv], capture_output=True, text=True, cwd=tmp_path, env=env
        )

    def torch_error(cmd: str, extra: str = "torch", needs: str = "torch, which is") -> str:
        return (
            f"error: ganzoo {cmd} needs {needs} not installed: pip install 'ganzoo-models[{extra}]' (or "
            "the torch build for your platform). Without torch, list, info and sample FILE.onnx work.\n"
        )

    listing = cli("list")
    assert listing.returncode == 0 and "cgan-fashion-mnist" in listing.stdout and listing.stderr == ""
    usage = cli("--help")
    assert usage.returncode == 0 and "list, info and sample FILE.onnx work" in usage.stdout
    info = cli("info", "dcgan-mnist")
    assert info.returncode == 0 and json.loads(info.stdout)["load"].startswith("ganzoo.load needs PyTorch")
    png = tmp_path / "s.png"
    sample = cli("sample", str(onnx_file), "-n", "4", "--labels", "Sneaker", "-o", str(png))
    assert (sample.returncode, sample.stdout, sample.stderr) == (0, f"wrote 4 samples of {onnx_file} to {png}\n", "")
    Image.new("L", (28, 28)).save(tmp_path / "d.png")
    for argv, want in [
        (["sample", "dcgan-mnist"], torch_error("sample")),
        (["steer", "dcgan-mnist", "--toward", "7"], torch_error("steer")),
        (["invert", "dcgan-mnist", "d.png"], torch_error("invert")),
        (["mix", "stylegan2-mnist", "--rows", "0", "--cols", "1", "--crossover", "1"], torch_error("mix")),
        (["eval", "dcgan-mnist"], torch_error("eval")),
        (
            ["export", "dcgan-mnist", "-o", "g.onnx"],
            torch_error("export", "onnx", "torch, onnx and onnxscript, which are"),
        ),
        (
            ["publish", "dcgan-mnist", "--repo-id", "me/x", "--dry-run"],
            torch_error("publish", "torch,hub", "torch and huggingface_hub, which are"),
        ),
        (["card", "dcgan-mnist"], torch_error("card", "torch,hub", "torch and huggingface_hub, which are")),
    ]:
        r = cli(*argv)
        assert (r.returncode, r.stdout, r.stderr) == (2, "", want), argv
    train = cli("train", "dcgan-mnist")  # an installed wheel has no training/: its message is the training CLI's
    assert train.returncode == 2 and train.stderr.startswith("error: ") and train.stderr.count("\n") == 1


def test_no_upper_caps_and_extras_match_the_imports():
    import tomllib

    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    extras = meta["project"]["optional-dependencies"].values()
    reqs = [*meta["project"]["dependencies"], *(r for v in extras for r in v)]
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

    r = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    whl = next(tmp_path.glob("*.whl"))
    names = zipfile.ZipFile(whl).namelist()
    assert not [n for n in names if "discriminator" in n or n.startswith(("training/", "tests/", "benchmarks/"))]
    size = whl.stat().st_size
    print(f"wheel {whl.name}: {size / 1e6:.1f} MB for {len(ganzoo.list_models(with_weights=True))} entries")
    assert size <= 60e6


def test_the_install_name_is_ours_everywhere_a_user_is_told_to_install():
    """PyPI's `ganzoo` is an unrelated package: every install hint names ganzoo-models (`import ganzoo` stays)."""
    import re
    import tomllib

    from ganzoo.errors import DIST_NAME, pip_install

    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert meta["name"] == DIST_NAME == "ganzoo-models" and meta["scripts"] == {"ganzoo": "ganzoo.cli:main"}
    assert meta["optional-dependencies"]["dev"][0] == "ganzoo-models[torch,hub,onnx,train,inception]"
    assert pip_install("torch", "hub") == "pip install 'ganzoo-models[torch,hub]'"
    files = [
        *(ROOT / "ganzoo").glob("*.py"),
        *(ROOT / "model_cards").glob("*.md"),
        *(ROOT / "training").glob("*.py"),
        *(ROOT / "web").glob("*.mjs"),
        *(ROOT / "web" / "src").iterdir(),
        ROOT / "web" / "package.json",
        ROOT / "README.md",
        ROOT / "training" / "README.md",
        *(ROOT / "docs").glob("*.md"),
    ]
    # `ganzoo[...]` or `pip install ganzoo` not followed by `-models`
    wrong = re.compile(r"""\bganzoo\[|pip install ['"]?ganzoo(?!-models)\b""")
    assert [f"{f.relative_to(ROOT)}: {m.group(0)}" for f in files for m in wrong.finditer(f.read_text())] == []
    card = (ROOT / "model_cards" / "dcgan-mnist.md").read_text()
    assert 'pip install "ganzoo-models[torch]"' in card and 'pip install "ganzoo-models[runtime]"' in card


def test_quickstart_outputs_are_ignored_and_nothing_tracked_is():
    if not (ROOT / ".git").exists() or shutil.which("git") is None:
        pytest.skip("not a git checkout")
    outputs = [
        "sneakers.png",
        "grid.png",
        "morph.png",
        "digit.png",
        "recon.png",
        "z.npy",
        "dcgan.onnx",
        "cgan.onnx",
        "dcgan-int8.onnx",
        "samples.png",
    ]
    r = subprocess.run(["git", "check-ignore", "--no-index", *outputs], cwd=ROOT, capture_output=True, text=True)
    assert r.stdout.split() == outputs
    tracked = subprocess.run(["git", "ls-files", "-ci", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True)
    assert tracked.returncode == 0 and tracked.stdout == ""  # no tracked picture (weights/, results/) is ignored


def test_npm_reads_web_npmrc_without_a_warning():
    """web/.npmrc keeps dependency install scripts off (onnxruntime-node's would fetch CUDA binaries from
    outside the npm registry) with a setting every npm knows, so `npm --prefix web ci` prints no warning."""
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed")
    r = subprocess.run(
        ["npm", "--prefix", str(ROOT / "web"), "config", "get", "ignore-scripts"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (r.returncode, r.stdout, r.stderr) == (0, "true\n", "")
