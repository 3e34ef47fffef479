"""A ProGAN and a BigGAN entry's release sequence on tiny models: release (with the family's pictures), the
measurements of benchmarks/progan_biggan.py (BigGAN's truncation table, the equal-CPU comparison with wgan-gp-* /
cgan-*), the docs section, the card that shows them, the golden file, and their refusals."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import load_file

import ganzoo
from ganzoo import cards
from ganzoo.errors import GanzooError
from ganzoo.images import make_grid
from ganzoo.metrics import evaluate
from training import ablation, golden
from training.recipes import Recipe

from .conftest import TINY
from .release_helpers import load_benchmark, release_tiny
from .test_golden import assert_golden

OBJECTIVE = {"progan": "wgan-gp-drift", "biggan": "hinge"}
BASELINE = {"progan": "wgan-gp-mnist", "biggan": "cgan-mnist"}


def _script():
    return load_benchmark("progan_biggan.py", "pgbgbench")


@pytest.fixture(params=["progan", "biggan"])
def released(request, tmp_path, monkeypatch, data_root):
    """A tiny ARCH-mnist v1 released into a copy of the zoo, with an ablation record of its 'run'."""
    arch = request.param
    name = f"{arch}-mnist"
    recipe = Recipe(
        name=name,
        version="v1",
        arch=arch,
        dataset="mnist",
        objective=OBJECTIVE[arch],
        model={k: v for k, v in TINY[arch].items() if k != "num_classes"},
        steps=10,
        eval_every=0,
        sample_every=0,
        ckpt_every=0,
    )
    class_names = [str(i) for i in range(10)] if arch == "biggan" else []  # MNIST's, as training writes
    return (name, *release_tiny(recipe, class_names, 200, tmp_path, monkeypatch, data_root))


def test_release_measure_document_card_and_golden(released, tmp_path, monkeypatch, data_root):
    from ganzoo.control import stage_grids, truncation_grid

    name, folder, cards_dir = released
    arch = name.split("-")[0]
    manifest = json.loads((folder / "manifest.json").read_text())
    m = ganzoo.load(name)  # the bundled folder: every file hash-checked on load
    assert m.version == "v1"
    # the pictures are the control helpers' images of these weights (PNG: 8-bit, so compare after rounding)
    if arch == "biggan":
        pics = {"truncation.png": (truncation_grid(m), 10)}
    else:
        pics = {f"resolution-{r}.png": (x, 8) for r, x in stage_grids(m).items()}
        # one grid per stage from the same seed: the 7x7 stage's pixels are 4x4 blocks, and the stages differ
        x7 = pics["resolution-7.png"][0]
        assert torch.equal(x7, x7[..., ::4, ::4].repeat_interleave(4, -1).repeat_interleave(4, -2))
        assert not torch.equal(x7, pics["resolution-28.png"][0])
    assert set(pics) <= set(manifest["files"])  # bundled and hash-checked
    for f, (x, nrow) in pics.items():
        assert (np.array(Image.open(folder / f)) == make_grid(x, nrow)[..., 0]).all(), f
    if arch == "biggan":  # column j: seed j as class j, the same in every row; row 0 untruncated
        x = pics["truncation.png"][0]
        assert torch.allclose(x[3], m.sample(1, seed=3, labels=3)[0], atol=1e-6)
        assert torch.allclose(x[4 * 10 + 3], m.sample(1, seed=3, labels=3, truncation=0.25)[0], atol=1e-6)

    with pytest.raises(GanzooError, match=rf"{name}.{arch}.json is missing; run `python benchmarks/progan_biggan"):
        cards.write_card(name, out=tmp_path / "card.md")

    sc = _script()
    for k, v in {"DOC": tmp_path / "doc.md", "RESULTS": tmp_path / "results", "CARDS": cards_dir}.items():
        monkeypatch.setattr(sc, k, v)
    (tmp_path / "doc.md").write_text(f"# x\n<!-- {name} begin -->\nold\n<!-- {name} end -->\n")
    args = [name, "--data-root", str(data_root), "--update-docs"]
    if arch == "biggan":
        args += ["--n", "50", "--truncations", "none,0.5"]
    assert sc.main(args) == 0
    res = json.loads((cards_dir / f"{name}.{arch}.json").read_text())
    eq = res["equal_cpu"]
    assert eq["ref_record"] == f"{name}-v1" and eq["baselines"] == [BASELINE[arch].split("-mnist")[0]]
    # the baseline's released run beside this run's best selection FD within the baseline's CPU time
    (b,) = eq["full_runs"]
    base = ganzoo.registry.ZOO[BASELINE[arch]].manifest
    minutes = base["training"]["cpu_seconds"] / 60
    best = ablation.best_within(json.loads((ablation.HERE / f"{name}-v1.json").read_text())["curve"], minutes)
    assert (b["model"], b["version"]) == (BASELINE[arch], base["version"])
    assert (b["ref_step"], b["ref_selection_fd"]) == (best["step"], best["fd"])
    assert all(r["model"] == BASELINE[arch] and r["ref"] == name for r in eq["records"])
    doc = (tmp_path / "doc.md").read_text()
    assert "\nold\n" not in doc and f"`{BASELINE[arch]}` {base['version']}" in doc
    card = cards.write_card(name, out=tmp_path / "card.md").read_text()
    if arch == "biggan":
        plain = evaluate(m, n=50, seed=0, root=data_root)["metrics"]
        cut = evaluate(m, n=50, seed=0, root=data_root, truncation=0.5)
        assert cut["protocol"]["truncation"] == 0.5
        none, half = res["truncation"]
        assert none["truncation"] is None and half["truncation"] == 0.5
        assert none["fd"] == pytest.approx(plain["fd_mnist_classifier"])  # none: the zoo's untruncated number
        assert half["fd"] == pytest.approx(cut["metrics"]["fd_mnist_classifier"]) != none["fd"]
        assert half["label_accuracy"] == cut["metrics"]["label_accuracy"]
        assert (tmp_path / "results" / f"{name}-truncation.png").is_file()
        assert "| 0.5 |" in doc and f"{name}-truncation.png" in doc
        for text in (
            "![truncation: the same seeds and labels at falling thresholds](truncation.png)",
            f"| 0.5 | {half['fd']:.2f} | {half['precision']:.3f} | {half['recall']:.3f} | "
            f"{half['label_accuracy']:.3f} |",
            "| none |",
            "ints or class names (0, 1, 2, 3, 4, 5, 6, 7, 8, 9)",
            "--labels 7",
        ):
            assert text in card, text
    else:
        assert "truncation" not in res
        for r in (7, 14, 28):
            assert (tmp_path / "results" / f"{name}-resolution-{r}.png").is_file()
            assert f"({name}-resolution-{r}.png)" not in card and f"](resolution-{r}.png)" in card
            assert f"{name}-resolution-{r}.png)" in doc
        assert "`model.sample(16, seed=0, resolution=7)`" in card
    assert f"| `{BASELINE[arch]}` {base['version']} |" in card
    cards.check_card_against_eval(tmp_path / "card.md", manifest["evaluation"])

    # the golden file of the release, and its check
    monkeypatch.setattr(golden, "GOLDEN_DIR", tmp_path / "golden")
    assert golden.main([name]) == 0
    assert_golden(m, load_file(str(tmp_path / "golden" / f"{name}-v1.safetensors")))

    # measured on other weights: refused, saying what to run
    res["model_sha256"] = "0" * 64
    (cards_dir / f"{name}.{arch}.json").write_text(json.dumps(res))
    with pytest.raises(GanzooError, match=rf"measures {name} 'v1' \(weights 000000000000\.\.\.\), not the"):
        cards.write_card(name, out=tmp_path / "card.md")


@pytest.mark.parametrize(
    "args, err",
    [
        (["biggan-mnist", "--truncations", "none,0"], "--truncations must be comma-separated thresholds t > 0 or none"),
        (["biggan-mnist", "--truncations", "a"], "--truncations must be comma-separated thresholds t > 0 or none"),
        (["biggan-mnist", "--truncations", "inf"], "--truncations must be comma-separated thresholds t > 0 or none"),
        (["biggan-mnist", "--n", "5"], "--n must be >= 10"),
        (["progan-mnist", "--truncations", "1"], "--truncations is for biggan-* entries"),
        (["dcgan-mnist"], "'dcgan-mnist' is not a ProGAN or BigGAN entry; this script measures progan-mnist"),
    ],
)
def test_script_bad_arguments(args, err, capsys):
    assert _script().main(args) == 2
    got = capsys.readouterr().err
    assert got.startswith("error: ") and err in got and got.count("\n") == 1, got


def test_script_refuses_a_model_it_does_not_measure(tmp_path, capsys, tiny_folder):
    sc = _script()
    folder = tiny_folder("dcgan")
    assert sc.main([str(folder)]) == 2
    assert "a model folder needs --entry" in capsys.readouterr().err
    assert sc.main([str(folder), "--entry", "biggan-mnist", "--json", str(tmp_path / "x.json")]) == 2
    assert "is a dcgan model, not a biggan one as biggan-mnist is" in capsys.readouterr().err
    big = tiny_folder("biggan")  # trained on fashion-mnist
    assert sc.main([str(big), "--entry", "biggan-mnist", "--json", str(tmp_path / "x.json")]) == 2
    assert "was trained on fashion-mnist, biggan-mnist is mnist" in capsys.readouterr().err
    assert not (tmp_path / "x.json").exists()


def test_eval_truncation_of_a_biggan_redraws_only_the_entries_beyond_t(tiny_folder, data_root, capsys):
    """`ganzoo eval --truncation t` of a BigGAN: the evaluation's own latents, the entries beyond t redrawn."""
    from ganzoo.cli import main as cli
    from ganzoo.metrics import eval_latents

    (plain, _), (cut, _) = (next(eval_latents(600, 8, 10, 0, truncation=t)) for t in (None, 0.5))
    inside = plain.abs() <= 0.5
    assert torch.equal(cut[inside], plain[inside]) and cut.abs().max() <= 0.5 and not inside.all()
    folder = tiny_folder("biggan")
    for bad, err in (("0", "truncation must be a positive number"), ("nan", "truncation must be a positive number")):
        assert cli(["eval", str(folder), "--n", "20", "--data-root", str(data_root), "--truncation", bad]) == 2
        got = capsys.readouterr().err
        assert got.startswith(f"error: {err}") and got.count("\n") == 1, got
    grid_err = "a truncation grid needs a style-based generator (stylegan2-*) or a BigGAN (biggan-*); "
    from ganzoo.control import stage_grids, truncation_grid

    with pytest.raises(GanzooError, match=re.escape(grid_err)):
        truncation_grid(ganzoo.load(tiny_folder("dcgan")))
    with pytest.raises(GanzooError, match="stage grids need a progressively grown generator"):
        stage_grids(ganzoo.load(folder))
