"""A style-based entry's release sequence on a tiny model: release (with its two pictures), the truncation and
equal-CPU measurements (benchmarks/stylegan2.py), the card that shows them, and their refusals."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from PIL import Image

import ganzoo
from ganzoo import cards
from ganzoo.errors import GanzooError
from ganzoo.metrics import evaluate
from training import release as rel
from training.recipes import RECIPES, Recipe

from .conftest import TINY, make_tiny_folder
from .release_helpers import load_benchmark, release_tiny

RECIPE = Recipe(
    name="stylegan2-mnist",
    version="v1",
    arch="stylegan2",
    dataset="mnist",
    objective="bce",
    model=dict(TINY["stylegan2"]),
    steps=10,
    eval_every=0,
    sample_every=0,
    ckpt_every=0,
)


def _script():
    return load_benchmark("stylegan2.py", "sg2bench")


@pytest.fixture
def released(tmp_path, monkeypatch, data_root):
    """A tiny stylegan2-mnist v1 released into a copy of the zoo, with an ablation record of its 'run'."""
    return release_tiny(RECIPE, [], 100, tmp_path, monkeypatch, data_root)


def test_release_measure_and_card(released, tmp_path, monkeypatch, data_root):
    folder, cards_dir = released
    manifest = json.loads((folder / "manifest.json").read_text())
    assert {"truncation.png", "mixing.png"} <= set(manifest["files"])  # bundled and hash-checked
    m = ganzoo.load("stylegan2-mnist")
    assert m.version == "v1"
    # the pictures are the control helpers' images of these weights (PNG: 8-bit, so compare after rounding)
    from ganzoo.control import truncation_grid
    from ganzoo.images import make_grid

    png = np.array(Image.open(folder / "truncation.png"))
    assert (png == make_grid(truncation_grid(m), 8)[..., 0]).all()

    with pytest.raises(GanzooError, match=r"stylegan2-mnist.style.json is missing; run `python benchmarks/stylegan2"):
        cards.write_card("stylegan2-mnist", out=tmp_path / "card.md")

    sg = _script()
    for k, v in {"DOC": tmp_path / "doc.md", "RESULTS": tmp_path / "results", "CARDS": cards_dir}.items():
        monkeypatch.setattr(sg, k, v)
    (tmp_path / "doc.md").write_text("# x\n<!-- stylegan2-mnist begin -->\nold\n<!-- stylegan2-mnist end -->\n")
    args = ["stylegan2-mnist", "--data-root", str(data_root), "--n", "50", "--psi", "1,0.5", "--project", "2"]
    assert sg.main([*args, "--project-steps", "5", "--update-docs"]) == 0
    res = json.loads((cards_dir / "stylegan2-mnist.style.json").read_text())
    assert [r["psi"] for r in res["truncation"]] == [1.0, 0.5]
    assert {r["min_class"] for r in res["truncation"]} <= {str(i) for i in range(10)}  # MNIST's class names
    # psi 1.0 is the untruncated evaluation of the same seeds: the same FD as `ganzoo eval` without truncation
    plain = evaluate(m, n=50, seed=0, root=data_root)["metrics"]["fd_mnist_classifier"]
    assert res["truncation"][0]["fd"] == pytest.approx(plain)
    eq = res["equal_cpu"]
    assert eq["ref_record"] == "stylegan2-mnist-v1"
    # dcgan-mnist's released run: 4798.3 CPU-s; the fake curve's best reading within it (and fd_at's 5 s of an
    # evaluation's overshoot) is the one at 80 minutes
    dc = next(r for r in eq["full_runs"] if r["model"] == "dcgan-mnist")
    assert (dc["ref_step"], dc["ref_selection_fd"]) == (8000, 100 / 80)
    assert {r["model"] for r in eq["records"]} == {"dcgan-mnist", "wgan-gp-mnist"}  # the baselines' proxies
    assert all(r["ref"] == "stylegan2-mnist" for r in eq["records"])
    doc = (tmp_path / "doc.md").read_text()
    assert "old" not in doc and "stylegan2-mnist-truncation.png" in doc and "| 0.5 |" in doc
    for pic in ("truncation", "mixing-2", "mixing-4", "projection"):
        assert (tmp_path / "results" / f"stylegan2-mnist-{pic}.png").is_file()

    card = cards.write_card("stylegan2-mnist", out=tmp_path / "card.md").read_text()
    for text in (
        "![truncation: the same seeds at falling psi](truncation.png)",
        "](mixing.png)",
        f"| 0.5 | {res['truncation'][1]['fd']:.2f} |",
        "noise_const",
        f"| `dcgan-mnist` {dc['version']} | 80 |",
        "--space w -o stylegan2-mnist-w.onnx",
    ):
        assert text in card, text
    cards.check_card_against_eval(tmp_path / "card.md", manifest["evaluation"])
    # measured on other weights: refused, saying what to run
    res["model_sha256"] = "0" * 64
    (cards_dir / "stylegan2-mnist.style.json").write_text(json.dumps(res))
    with pytest.raises(GanzooError, match=r"measures stylegan2-mnist 'v1' \(weights 000000000000\.\.\.\), not the"):
        cards.write_card("stylegan2-mnist", out=tmp_path / "card.md")


def test_release_refuses_a_truncated_eval(tmp_path, monkeypatch):
    from ganzoo import registry

    for mod in (registry, rel):  # an empty zoo: the check reaches the protocol (v1 of the real entry is bundled)
        monkeypatch.setattr(mod, "WEIGHTS_DIR", tmp_path)
    run = {"recipe": json.loads(json.dumps(dataclasses.asdict(RECIPES["stylegan2-mnist"])))}
    proto = {"n_generated": 10000, "real_split": "test", "seed": 0, "truncation": 0.7}
    version = next(iter(rel.VERSIONS["stylegan2-mnist"]))
    with pytest.raises(GanzooError, match=r"not measured with the zoo's protocol .*'truncation': 0.7"):
        rel.check_release("stylegan2-mnist", version, run, {"protocol": proto})


@pytest.mark.parametrize(
    "args, err",
    [
        (["--psi", "1,2"], "--psi must be comma-separated numbers in [0, 1]"),
        (["--psi", "a"], "--psi must be comma-separated numbers in [0, 1]"),
        (["--n", "5"], "--n must be >= 10"),
        (["--project", "-1"], "--project must be 0..100"),
        (["--project-steps", "0"], "--project-steps must be >= 1"),
    ],
)
def test_script_bad_arguments(args, err, capsys):
    assert _script().main(["stylegan2-mnist", *args]) == 2
    got = capsys.readouterr().err
    assert got.startswith("error: ") and err in got and got.count("\n") == 1


def test_script_refuses_a_model_it_does_not_measure(tmp_path, capsys):
    sg = _script()
    folder = make_tiny_folder(tmp_path / "d", "dcgan", dataset="mnist")
    assert sg.main([str(folder)]) == 2
    assert "a model folder needs --entry" in capsys.readouterr().err
    assert sg.main([str(folder), "--entry", "stylegan2-mnist", "--json", str(tmp_path / "x.json")]) == 2
    assert "is not style-based: this script measures stylegan2-*" in capsys.readouterr().err
    assert sg.main(["dcgan-mnist"]) == 2
    assert "is not style-based" in capsys.readouterr().err
