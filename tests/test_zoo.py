"""Every zoo entry in the registry: recipe, weights, card."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest
import torch

import ganzoo
from ganzoo.metrics import fd_key
from ganzoo.registry import ARCHITECTURES, ZOO

from .conftest import patch_manifest

WITH_WEIGHTS = [n for n, e in ZOO.items() if e.has_weights]


def test_every_entry_has_a_recipe():
    from training.recipes import RECIPES

    for name, entry in ZOO.items():
        assert name in RECIPES and RECIPES[name].arch == entry.arch and RECIPES[name].dataset == entry.dataset


def test_list_models():
    assert ganzoo.list_models("cgan-*") == ["cgan-mnist", "cgan-fashion-mnist"]
    assert set(ganzoo.list_models(with_weights=True)) == set(WITH_WEIGHTS)


def test_entry_without_weights_says_how_to_get_them(monkeypatch):
    patch_manifest(monkeypatch, "gan-mnist", None)
    with pytest.raises(ganzoo.ModelFolderError, match="training.train gan-mnist"):
        ganzoo.load("gan-mnist")


@pytest.mark.parametrize("name", WITH_WEIGHTS)
def test_bundled_entry_loads_and_samples(name):
    m = ganzoo.load(name)
    if ARCHITECTURES[ZOO[name].arch].translation:  # no latent: it translates images, both ways
        x = torch.rand(4, 1, 28, 28, generator=torch.Generator().manual_seed(0))
        a, b = ZOO[name].domains
        assert m.domains == (a, b) and m.architecture == ZOO[name].arch
        for to in (a, b):
            y = m.translate(x, to=to)
            assert y.shape == x.shape and 0 <= y.min() and y.max() <= 1
            assert torch.equal(y, ganzoo.load(name).translate(x, to=to))
        return
    x = m.sample(4, seed=0)
    assert x.shape == (4, 1, 28, 28) and 0 <= x.min() and x.max() <= 1
    assert m.config["dataset"] == ZOO[name].dataset and m.architecture == ZOO[name].arch
    assert torch.equal(x, ganzoo.load(name).sample(4, seed=0))


@pytest.mark.parametrize("name", WITH_WEIGHTS)
def test_bundled_weights_sha_checked(name, monkeypatch):
    from ganzoo import registry

    m = registry.ZOO[name].manifest
    patch_manifest(monkeypatch, name, {**m, "files": {**m["files"], "model.safetensors": "0" * 64}})
    with pytest.raises(ganzoo.ModelFolderError, match="model.safetensors fails its sha256 check"):
        ganzoo.load(name)


@pytest.mark.parametrize("name", WITH_WEIGHTS)
def test_card_exists_parses_and_matches_eval(name):
    from huggingface_hub import ModelCard

    from ganzoo.cards import card_metrics, card_paths, check_card_against_eval, entry_records

    p = card_paths(name)
    assert p["card"].is_file(), f"{name} needs model_cards/{name}.md (`ganzoo card {name}`)"
    card = ModelCard.load(p["card"])
    assert card.data.library_name == "ganzoo" and card.data.license
    translation = ARCHITECTURES[ZOO[name].arch].translation
    assert card.data.pipeline_tag == ("image-to-image" if translation else "unconditional-image-generation")
    ev, run = entry_records(name)
    got = {r.metric_type: r.metric_value for r in card.data.eval_results}
    assert got == card_metrics(ev)
    check_card_against_eval(p["card"], ev)
    fd = "fd_{}_to_{}".format(*ZOO[name].domains) if translation else fd_key(ZOO[name].dataset)
    assert f"{ev['metrics'][fd]:.4f}" in card.text  # the table shows the same number
    assert f'revision="{ZOO[name].version}"' in card.text and run["command"] in card.text


@pytest.mark.parametrize("name", WITH_WEIGHTS)
def test_manifest_covers_every_file_and_matches_the_registry(name):
    from ganzoo.folder import sha256_file
    from ganzoo.registry import MANIFEST

    from .conftest import ROOT

    e = ZOO[name]
    m = e.manifest
    assert (m["name"], m["architecture"], m["dataset"]) == (name, e.arch, e.dataset)
    assert sorted(m["files"]) == sorted(p.name for p in e.folder.iterdir() if p.name != MANIFEST)
    disc = ROOT / "zoo_extras" / f"{name}.discriminator.safetensors"
    if ARCHITECTURES[e.arch].discriminator is None:  # the VAE: trained without one, so none is kept
        assert m["discriminator_sha256"] is None and not disc.exists()
    else:
        assert m["discriminator_sha256"] == sha256_file(disc)
    proto = m["evaluation"]["protocol"]
    if ARCHITECTURES[e.arch].translation:  # every test image of each domain translated; nothing drawn at random
        assert (proto["n_translated"], proto["real_split"], proto["domains"]) == (10000, "test", list(e.domains))
    else:
        want = (10000, "test", 0, e.dataset)
        assert (proto["n_generated"], proto["real_split"], proto["seed"], proto["dataset"]) == want
    assert m["training"]["cpu_seconds"] > 0 and m["training"]["hardware"] and m["training"]["command"]


@pytest.mark.parametrize("name", WITH_WEIGHTS)
def test_bundled_recipe_is_the_code_recipe_of_its_version(name):
    """The recipe a bundled entry was trained with is, field for field, training/recipes.py's literal for its
    version, and that literal builds the architecture config the weights were saved with."""
    from ganzoo.models import make_config
    from training.recipes import get_recipe

    e = ZOO[name]
    code = get_recipe(name, e.version)
    assert e.manifest["recipe"] == json.loads(json.dumps(dataclasses.asdict(code)))
    conf = json.loads((e.folder / "config.json").read_text())
    assert make_config(e.arch, conf["config"]) == code.model_config()  # fields added since take their defaults


def test_recipes_share_no_mutable_state():
    from training.recipes import RECIPES, VERSIONS

    models = [id(r.model) for v in VERSIONS.values() for r in v.values()]
    assert len(models) == len(set(models))
    assert all(RECIPES[n] is list(v.values())[-1] for n, v in VERSIONS.items())


@pytest.mark.parametrize("name", WITH_WEIGHTS)
def test_version_is_pinnable(name):
    e = ZOO[name]
    m = ganzoo.load(name, revision=e.version)
    assert m.version == e.version == ganzoo.load(name).version == ganzoo.info(name)["version"]
    assert e.version in repr(m)


def test_unavailable_version_is_a_clear_error():
    with pytest.raises(
        ganzoo.ModelFolderError,
        match=r"dcgan-mnist version 'v1' is not available: this ganzoo "
        r"bundles v3, and the entry is not on the Hugging Face Hub yet",
    ):
        ganzoo.load("dcgan-mnist", revision="v1")


def test_list_json_is_the_registry(capsys):
    from ganzoo.cli import main

    assert main(["list", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [e["name"] for e in out] == WITH_WEIGHTS
    cgan = next(e for e in out if e["name"] == "cgan-fashion-mnist")
    assert cgan["version"] == ZOO["cgan-fashion-mnist"].version and cgan["class_names"][7] == "Sneaker"
    assert cgan["latent_dim"] == ganzoo.load("cgan-fashion-mnist").latent_dim and cgan["conditional"]
    assert main(["list"]) == 0
    # the columns widen for long names (a translation entry's two data sets)
    out = capsys.readouterr().out
    assert re.search(r"^dcgan-mnist +dcgan +mnist +v3 +bundled ", out, re.M)
    header, row = out.splitlines()[0], next(line for line in out.splitlines() if line.startswith("dcgan-mnist "))
    for column, value in [("dataset", "mnist"), ("version", "v3"), ("weights", "bundled")]:  # under their headers
        assert row.index(f" {value} ") + 1 == header.index(column), (column, header, row)
