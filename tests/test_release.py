"""Releasing a run as a new zoo version: a manifest, never a replacement in place, only what a recipe reproduces."""

from __future__ import annotations

import dataclasses
import json

import pytest
import torch

import ganzoo
from training import release as rel
from training.recipes import Recipe

from .conftest import make_tiny_folder

TINY = Recipe(
    name="dcgan-mnist",
    version="v4",
    arch="dcgan",
    dataset="mnist",
    objective="bce",
    model={"latent_dim": 8, "g_width": 8, "d_width": 8},
    steps=10,
    eval_every=0,
    sample_every=0,
    ckpt_every=0,
)


def _run(tmp_path, recipe=TINY, protocol=None):
    run = tmp_path / "run"
    make_tiny_folder(run / "model", "dcgan", dataset="mnist")
    conf = json.loads((run / "model" / "config.json").read_text())
    conf["class_names"], conf["num_classes"] = [], 0
    (run / "model" / "config.json").write_text(json.dumps(conf))
    (run / "run.json").write_text(
        json.dumps(
            {
                "command": "python -m training.train dcgan-mnist",
                "wall_seconds": 2.0,
                "cpu_seconds": 1.5,
                "hardware": "test CPU",
                "recipe": json.loads(json.dumps(dataclasses.asdict(recipe))),
            }
        )
    )
    ev = tmp_path / "eval.json"
    ev.write_text(
        json.dumps(
            {
                "metrics": {"fd_mnist_classifier": 1.0},
                "protocol": protocol or {"n_generated": 10000, "real_split": "test", "seed": 0},
            }
        )
    )
    return run, ev


@pytest.fixture
def zoo_copy(tmp_path, monkeypatch):
    """The real zoo's weights folder and zoo_extras/, copied: a release writes only there."""
    import shutil

    from ganzoo import registry

    weights = tmp_path / "weights"
    shutil.copytree(registry.WEIGHTS_DIR, weights)
    (tmp_path / "root" / "zoo_extras").mkdir(parents=True)
    monkeypatch.setattr(registry, "WEIGHTS_DIR", weights)
    monkeypatch.setattr(rel, "WEIGHTS_DIR", weights)
    monkeypatch.setattr(rel, "ROOT", tmp_path / "root")
    monkeypatch.setitem(rel.VERSIONS, "dcgan-mnist", {**rel.VERSIONS["dcgan-mnist"], "v4": TINY})
    return weights


def test_release_writes_folder_and_manifest_and_loads_pinned(tmp_path, zoo_copy):
    run, ev = _run(tmp_path)
    before = ganzoo.load("dcgan-mnist")
    assert before.version == "v3"
    dst = rel.release("dcgan-mnist", run, "v4", ev)
    m = json.loads((dst / "manifest.json").read_text())
    assert m["version"] == "v4" and m["recipe"]["version"] == "v4" and m["training"]["cpu_seconds"] == 1.5
    assert m["training"]["command"] == "python -m training.train dcgan-mnist --version=v4"
    assert sorted(m["files"]) == ["config.json", "model.safetensors"]
    assert (tmp_path / "root" / "zoo_extras" / "dcgan-mnist.discriminator.safetensors").is_file()
    after = ganzoo.load("dcgan-mnist", revision="v4")
    assert after.version == "v4" and after.latent_dim == 8
    assert torch.equal(after.sample(2, seed=0), ganzoo.load(run / "model").sample(2, seed=0))
    with pytest.raises(
        ganzoo.ModelFolderError, match="dcgan-mnist version 'v3' is not available: this ganzoo bundles v4"
    ):
        ganzoo.load("dcgan-mnist", revision="v3")
    assert not [p for p in zoo_copy.iterdir() if p.name.startswith(".")]  # no staging folder left behind


@pytest.mark.parametrize(
    "command, want",
    [
        (  # overrides relative to the recipe newest when the run ended (v5's run: v5's literal, float32 then)
            "python -m training.train cyclegan-mnist-fashion-mnist --data-root /d --threads 1 --quiet --out runs/x "
            "--version= --storage=float16 --model.d_layers=3 --seed=1",
            "python -m training.train cyclegan-mnist-fashion-mnist --data-root /d --threads 1 --quiet --out runs/x "
            "--version=v5",
        ),
        (  # CLI options written with '=' stay; recipe fields, a CPU budget and an older --version go
            "python -m training.train cyclegan-mnist-fashion-mnist --data-root=/d --max-cpu-minutes=10 --lr_g=0.1 "
            "--version v4 --threads=1 --max-cpu-minutes 3",
            "python -m training.train cyclegan-mnist-fashion-mnist --data-root=/d --threads=1 --version=v5",
        ),
        ("train", "python -m training.train cyclegan-mnist-fashion-mnist --version=v5"),
    ],
)
def test_retrain_command_names_the_released_literal(command, want):
    assert rel.retrain_command(command, "cyclegan-mnist-fashion-mnist", "v5") == want


@pytest.mark.parametrize(
    "version, recipe, protocol, message",
    [
        ("v3", TINY, None, r"dcgan-mnist v3 is bundled: a release must be a newer version than v3"),
        ("4", TINY, None, r"--version must look like v1, v2"),
        ("v5", TINY, None, r"training/recipes.py has no literal for dcgan-mnist v5"),
        (
            "v4",
            dataclasses.replace(TINY, seed=3),
            None,
            r"did not train the dcgan-mnist v4 recipe: seed differ \(run: "
            r"seed=3\)",
        ),
        ("v4", TINY, {"n_generated": 2000, "real_split": "test", "seed": 0}, r"not measured with the zoo's protocol"),
    ],
)
def test_release_refusals(tmp_path, zoo_copy, capsys, version, recipe, protocol, message):
    run, ev = _run(tmp_path, recipe, protocol)
    before = (zoo_copy / "dcgan-mnist" / "manifest.json").read_bytes()
    assert rel.main(["dcgan-mnist", "--run", str(run), "--version", version, "--eval-json", str(ev)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
    assert __import__("re").search(message, err), err
    assert (zoo_copy / "dcgan-mnist" / "manifest.json").read_bytes() == before


def test_half_precision_storage_round_trip(tmp_path):
    """storage="float16" writes the generator at half the size; it loads into float32 and draws what the
    float16-rounded float32 generator draws."""
    from ganzoo.folder import load_modules, save_folder
    from ganzoo.models import build, make_config

    torch.manual_seed(0)
    cfg = make_config("dcgan", {"latent_dim": 8, "g_width": 8, "d_width": 8})
    G, D = build("dcgan", cfg)
    full = save_folder(tmp_path / "f32", "dcgan", cfg, G, D, dataset="mnist")
    half = save_folder(tmp_path / "f16", "dcgan", cfg, G, D, dataset="mnist", generator_dtype=torch.float16)
    size = lambda p: (p / "model.safetensors").stat().st_size  # noqa: E731
    assert size(half) < 0.55 * size(full)
    _, g16, _ = load_modules(half)
    assert all(t.dtype == torch.float32 for t in g16.state_dict().values() if t.is_floating_point())
    with torch.no_grad():
        for t in G.state_dict().values():
            if t.is_floating_point():
                t.copy_(t.half().float())
    G.eval()
    z = torch.randn(4, 8)
    assert torch.equal(g16(z), G(z))
    assert not torch.equal(ganzoo.load(half).generate(z), ganzoo.load(full).generate(z))


def test_a_family_without_a_discriminator_releases_without_one(tmp_path, zoo_copy, monkeypatch):
    """The VAE is trained without a discriminator: none is required, kept or hashed."""
    vae = dataclasses.replace(
        TINY, name="vae-mnist", version="v9", arch="vae", objective="elbo", model={"latent_dim": 8, "width": 8}
    )
    monkeypatch.setitem(rel.VERSIONS, "vae-mnist", {**rel.VERSIONS["vae-mnist"], "v9": vae})
    run, ev = _run(tmp_path, recipe=vae)
    import shutil

    shutil.rmtree(run / "model")
    make_tiny_folder(run / "model", "vae", dataset="mnist")
    dst = rel.release("vae-mnist", run, "v9", ev)
    m = json.loads((dst / "manifest.json").read_text())
    assert m["discriminator_sha256"] is None and not list((tmp_path / "root" / "zoo_extras").iterdir())
    assert ganzoo.load("vae-mnist", revision="v9").has_encoder
