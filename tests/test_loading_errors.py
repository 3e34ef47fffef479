"""Bad input to `ganzoo.load` gets a clear error that says what to do."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch

import ganzoo

from .conftest import make_tiny_folder


def test_unknown_name_suggests_close_matches():
    with pytest.raises(ganzoo.UnknownModelError, match=r"Did you mean: dcgan-mnist.*ganzoo list"):
        ganzoo.load("dcgan-mnst")


def test_zoo_names_are_case_insensitive(tmp_path, monkeypatch, capsys):
    m = ganzoo.load("DCGAN-MNIST")
    assert m.source == "dcgan-mnist" and ganzoo.info("Dcgan-Mnist")["name"] == "dcgan-mnist"
    assert ganzoo.list_models("*-MNIST") == ganzoo.list_models("*-mnist")
    assert "dcgan-mnist" in ganzoo.list_models("DCGAN-*")
    with pytest.raises(ganzoo.UnknownModelError, match=r"Unknown model 'DCGAN-MNST'.*Did you mean: dcgan-mnist, "):
        ganzoo.load("DCGAN-MNST")
    # a case variant that is also a folder here is ambiguous: neither is picked silently
    monkeypatch.chdir(tmp_path)
    make_tiny_folder(tmp_path / "DCGAN-MNIST", "dcgan")
    with pytest.raises(ganzoo.GanzooError) as e:
        ganzoo.load("DCGAN-MNIST")
    assert str(e.value) == (
        "'DCGAN-MNIST' is both the zoo entry 'dcgan-mnist' (zoo names are case-insensitive) and a "
        "path here: pass 'dcgan-mnist' for the zoo entry or './DCGAN-MNIST' for the folder."
    )
    assert ganzoo.load("./DCGAN-MNIST").latent_dim == 8 and ganzoo.load("dcgan-mnist").latent_dim == 64
    from ganzoo.cli import main

    assert main(["info", "WGAN-GP-MNIST"]) == 0
    assert json.loads(capsys.readouterr().out)["name"] == "wgan-gp-mnist"


def test_missing_folder(tmp_path):
    with pytest.raises(ganzoo.ModelFolderError, match="does not exist"):
        ganzoo.load(str(tmp_path / "nothing" / "here"))


def test_folder_without_config(tmp_path):
    (tmp_path / "m").mkdir()
    with pytest.raises(ganzoo.ModelFolderError, match="no config.json"):
        ganzoo.load(tmp_path / "m")


def test_folder_without_weights(tmp_path):
    f = make_tiny_folder(tmp_path / "m", "dcgan")
    (f / "model.safetensors").unlink()
    with pytest.raises(ganzoo.ModelFolderError, match="weights are missing"):
        ganzoo.load(f)


def test_corrupt_safetensors(tmp_path):
    f = make_tiny_folder(tmp_path / "m", "dcgan")
    data = (f / "model.safetensors").read_bytes()
    (f / "model.safetensors").write_bytes(data[: len(data) // 2])
    with pytest.raises(ganzoo.ModelFolderError, match="corrupt"):
        ganzoo.load(f)


def edit_config(folder, edit) -> None:
    """Rewrite the folder's config.json after `edit(conf)` changed the parsed dict in place."""
    conf = json.loads((folder / "config.json").read_text())
    edit(conf)
    (folder / "config.json").write_text(json.dumps(conf))


def test_mismatched_weights_name_keys_and_shapes(tmp_path):
    f = make_tiny_folder(tmp_path / "m", "dcgan")
    edit_config(f, lambda conf: conf["config"].update(g_width=16))
    with pytest.raises(ganzoo.ModelFolderError, match=r"shape mismatches.*net\.0\.weight"):
        ganzoo.load(f)
    edit_config(f, lambda conf: conf.update(architecture="gan", config={"latent_dim": 8}))
    with pytest.raises(ganzoo.ModelFolderError, match="missing keys"):
        ganzoo.load(f)


def test_unknown_architecture(tmp_path):
    f = make_tiny_folder(tmp_path / "m", "dcgan")
    edit_config(f, lambda conf: conf.update(architecture="dcgann"))
    with pytest.raises(ganzoo.ModelFolderError, match=r"unknown architecture .dcgann.\.\s*Did you mean: dcgan"):
        ganzoo.load(f)


def test_unknown_config_key(tmp_path):
    f = make_tiny_folder(tmp_path / "m", "dcgan")
    edit_config(f, lambda conf: conf["config"].update(widht=3))
    with pytest.raises(ganzoo.ModelFolderError, match="widht"):
        ganzoo.load(f)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the no-CUDA message")
def test_cuda_unavailable(tmp_path):
    f = make_tiny_folder(tmp_path / "m", "gan")
    with pytest.raises(ganzoo.GanzooError, match="CUDA is not available.*device='cpu'"):
        ganzoo.load(f, device="cuda")


def test_import_is_light():
    code = (
        "import sys, ganzoo; ganzoo.list_models(); heavy = [m for m in "
        "('torch', 'torchvision', 'onnx', 'onnxruntime', 'huggingface_hub') if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
