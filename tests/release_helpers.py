"""The shared set-up of the release tests (tests/test_*_release.py): a tiny run released into a copy of the zoo,
with an ablation record of its 'run', and the benchmark script that measures it."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import shutil
from pathlib import Path

import ganzoo
from ganzoo import cards
from ganzoo.metrics import evaluate
from training import ablation
from training import release as rel
from training.recipes import RECIPES, Recipe

from .conftest import ROOT, make_tiny_folder


def load_benchmark(filename: str, module_name: str):
    """benchmarks/`filename` loaded as a module (benchmarks/ is not a package the tests import by name)."""
    spec = importlib.util.spec_from_file_location(module_name, ROOT / "benchmarks" / filename)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def release_tiny(
    recipe: Recipe, class_names: list[str], curve_len: int, tmp_path: Path, monkeypatch, data_root: Path
) -> tuple[Path, Path]:
    """`recipe` (a tiny ARCH-mnist v1) released into a copy of the zoo under tmp_path, from a tiny model folder with
    `class_names`, with an ablation record whose fake FD curve has `curve_len` readings: (the released folder, the
    model_cards folder)."""
    from ganzoo import registry

    name = recipe.name
    weights = tmp_path / "weights"
    shutil.copytree(registry.WEIGHTS_DIR, weights)
    shutil.rmtree(weights / name, ignore_errors=True)  # a bundled v1: the tiny run is released as v1
    (tmp_path / "root" / "zoo_extras").mkdir(parents=True)
    for mod in (registry, rel):
        monkeypatch.setattr(mod, "WEIGHTS_DIR", weights)
    monkeypatch.setattr(rel, "ROOT", tmp_path / "root")
    monkeypatch.setitem(rel.VERSIONS, name, {"v1": recipe})
    monkeypatch.setitem(RECIPES, name, recipe)
    run = tmp_path / "run"
    make_tiny_folder(run / "model", recipe.arch, dataset="mnist")
    conf = json.loads((run / "model" / "config.json").read_text())
    conf["class_names"] = class_names  # as training writes them
    conf["num_classes"] = len(class_names)
    (run / "model" / "config.json").write_text(json.dumps(conf))
    full = json.loads(json.dumps(dataclasses.asdict(recipe)))
    (run / "run.json").write_text(
        json.dumps(
            {"command": "train", "wall_seconds": 2.0, "cpu_seconds": 1.5, "hardware": "test CPU", "recipe": full}
        )
    )
    ev = evaluate(ganzoo.load(run / "model"), n=100, seed=0, root=data_root)
    ev["protocol"]["n_generated"] = 10000  # the zoo's protocol, as far as the release checks it
    (tmp_path / "eval.json").write_text(json.dumps(ev))
    # the run's ablation record, beside the real ones of the baselines
    records = tmp_path / "ablation"
    shutil.copytree(ablation.HERE, records)
    curve = [{"cpu_seconds": 60.0 * m, "step": 100 * m, "fd": 100.0 / m} for m in range(1, curve_len + 1)]
    (records / f"{name}-v1.json").write_text(
        json.dumps({"name": f"{name}-v1", "recipe": name, "note": "t", "command": "train", "full_recipe": full,
                    "hardware": "Intel(R) Xeon(R) Processor, 1 thread(s)", "curve": curve})
    )  # fmt: skip
    monkeypatch.setattr(ablation, "HERE", records)
    cards_dir = tmp_path / "cards"
    cards_dir.mkdir()
    shutil.copy(ROOT / "model_cards" / "template.md", cards_dir)
    monkeypatch.setattr(cards, "model_cards_dir", lambda: cards_dir)
    return rel.release(name, run, "v1", tmp_path / "eval.json"), cards_dir
