"""Every zoo entry in the registry: recipe, weights, card."""
from __future__ import annotations

import json

import pytest
import torch

import ganzoo
from ganzoo.metrics import fd_key
from ganzoo.registry import ZOO

WITH_WEIGHTS = [n for n, e in ZOO.items() if e.has_weights]


def test_every_entry_has_a_recipe():
    from training.recipes import RECIPES

    for name, entry in ZOO.items():
        assert name in RECIPES and RECIPES[name].arch == entry.arch and RECIPES[name].dataset == entry.dataset


def test_list_models():
    assert ganzoo.list_models("cgan-*") == ["cgan-mnist", "cgan-fashion-mnist"]
    assert set(ganzoo.list_models(with_weights=True)) == set(WITH_WEIGHTS)


def test_entry_without_weights_says_how_to_get_them(monkeypatch):
    from ganzoo import registry

    monkeypatch.setitem(registry.SHA256, "gan-mnist", None)
    monkeypatch.delitem(registry.SHA256, "gan-mnist")
    with pytest.raises(ganzoo.ModelFolderError, match="training.train gan-mnist"):
        ganzoo.load("gan-mnist")


@pytest.mark.parametrize("name", WITH_WEIGHTS)
def test_bundled_entry_loads_and_samples(name):
    m = ganzoo.load(name)
    x = m.sample(4, seed=0)
    assert x.shape == (4, 1, 28, 28) and 0 <= x.min() and x.max() <= 1
    assert m.config["dataset"] == ZOO[name].dataset and m.architecture == ZOO[name].arch
    assert torch.equal(x, ganzoo.load(name).sample(4, seed=0))


@pytest.mark.parametrize("name", WITH_WEIGHTS)
def test_bundled_weights_sha_checked(name, monkeypatch):
    from ganzoo import registry

    monkeypatch.setitem(registry.SHA256, name, {**registry.SHA256[name], "model.safetensors": "0" * 64})
    with pytest.raises(ganzoo.ModelFolderError, match="model.safetensors fails its sha256 check"):
        ganzoo.load(name)


@pytest.mark.parametrize("name", WITH_WEIGHTS)
def test_card_exists_parses_and_matches_eval(name):
    from huggingface_hub import ModelCard

    from ganzoo.cards import card_metrics, card_paths, check_card_against_eval

    p = card_paths(name)
    assert p["card"].is_file() and p["eval"].is_file(), f"{name} needs model_cards/{name}.md and .eval.json"
    card = ModelCard.load(p["card"])
    assert card.data.library_name == "ganzoo" and card.data.license
    ev = json.loads(p["eval"].read_text())
    got = {r.metric_type: r.metric_value for r in card.data.eval_results}
    assert got == card_metrics(ev)
    check_card_against_eval(p["card"], ev)
    fd = fd_key(ZOO[name].dataset)
    assert f"{ev['metrics'][fd]:.4f}" in card.text  # the table shows the same number
