"""Releasing a translation entry (issue 38): a tiny CycleGAN run trained here goes through `training.release`, its
card (translation grids, FD both ways, cycle error, the 10x10 class tables and their mean, one picture per
direction with a row per source class), its golden file and the zoo table, in a copy of the zoo."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil

import numpy as np
import pytest
import torch
from PIL import Image

import ganzoo
from ganzoo.errors import GanzooError
from ganzoo.metrics import evaluate_translation
from training import golden
from training import release as rel
from training.recipes import apply_overrides, get_recipe
from training.train import main as train

from .conftest import ROOT
from .test_cyclegan import NAME, TINY_RUN
from .test_golden import assert_golden


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory, data_root):
    """A 2-step run of a tiny network on the synthetic data sets, its recipe and its test-split eval JSON."""
    out = tmp_path_factory.mktemp("cyclegan") / "run"
    args = [*TINY_RUN, "--steps=2"]
    before = torch.get_num_threads()
    try:
        train([NAME, "--out", str(out), "--data-root", str(data_root), *args])
    finally:
        torch.set_num_threads(before)
    recipe = dataclasses.replace(
        apply_overrides(get_recipe(NAME), [a for a in args if "=" in a and "threads" not in a]), version="v1"
    )
    run = json.loads((out / "run.json").read_text())
    assert run["recipe"] == {**json.loads(json.dumps(dataclasses.asdict(recipe))), "version": ""}
    res = evaluate_translation(ganzoo.load(out / "model"), n=10000, root=data_root)
    assert res["protocol"]["n_translated"] == 256  # every synthetic test image: the count measured is recorded
    res["protocol"]["n_translated"] = 10000  # as the real 10,000-image test splits give
    (out.parent / "eval.json").write_text(json.dumps(res))
    return out, recipe, out.parent / "eval.json"


@pytest.fixture
def zoo_copy(tmp_path, monkeypatch, tiny_run):
    """An empty weights folder (the classifiers stay where they are), zoo_extras/ and golden folder; the tiny run's
    recipe is v1's literal."""
    from ganzoo import registry

    weights = tmp_path / "weights"
    weights.mkdir()
    (tmp_path / "root" / "zoo_extras").mkdir(parents=True)
    monkeypatch.setattr(registry, "WEIGHTS_DIR", weights)
    monkeypatch.setattr(rel, "WEIGHTS_DIR", weights)
    monkeypatch.setattr(rel, "ROOT", tmp_path / "root")
    monkeypatch.setattr(golden, "GOLDEN_DIR", tmp_path / "golden")
    monkeypatch.setitem(rel.VERSIONS, NAME, {"v1": tiny_run[1]})
    return weights


def test_release_card_golden_and_zoo_table(tiny_run, zoo_copy, data_root, tmp_path, capsys, monkeypatch):
    from ganzoo.cards import check_card_against_eval, write_card
    from training.report import rows, zoo_table

    run, _, ev = tiny_run
    args = [NAME, "--run", str(run), "--version", "v1", "--eval-json", str(ev), "--data-root", str(data_root)]
    assert rel.main(args) == 0
    out = capsys.readouterr().out
    assert f"released {NAME} v1" in out and "training.ablation collect" not in out  # no equal-CPU table to feed
    assert f"Next: `python benchmarks/cyclegan_mapping.py {NAME} --data-root DATA --update-docs`, `ganzoo card" in out
    folder = zoo_copy / NAME
    m = json.loads((folder / "manifest.json").read_text())
    pictures = ["classes-mnist-to-fashion-mnist.png", "classes-fashion-mnist-to-mnist.png"]
    assert set(m["files"]) == {"config.json", "model.safetensors", "samples.png", "curves.png", *pictures}
    assert (
        m["discriminator_sha256"] and (tmp_path / "root" / "zoo_extras" / f"{NAME}.discriminator.safetensors").is_file()
    )
    # the zoo entry loads (every file hash-checked) and translates as the run's model
    model = ganzoo.load(NAME)
    assert isinstance(model, ganzoo.model.TranslationModel) and model.version == "v1"
    x = torch.rand(3, 1, 28, 28)
    assert torch.equal(model.translate(x, to="mnist"), ganzoo.load(run / "model").translate(x, to="mnist"))

    # the class pictures: a row per source class, 8 test images of it on the left, their translations right
    pic = Image.open(folder / pictures[0])
    assert pic.size == (2 * (8 * 30 + 2) + 4, 10 * 30 + 2) and pic.mode == "L"
    from ganzoo.datasets import load_idx_split

    images, labels = load_idx_split("mnist", "test", data_root)
    row3 = [i for i in range(len(labels)) if labels[i] == 3][:8]
    px = torch.from_numpy(np.asarray(pic, dtype="float32") / 255)
    y0 = 2 + 3 * 30  # row of class 3
    originals = torch.stack([px[y0 : y0 + 28, 2 + 30 * k : 30 + 30 * k] for k in range(8)])
    assert torch.equal((originals * 255).round().to(torch.uint8), torch.from_numpy(images[row3]))
    x0 = 8 * 30 + 2 + 4
    translated = torch.stack([px[y0 : y0 + 28, x0 + 2 + 30 * k : x0 + 30 + 30 * k] for k in range(8)])
    want = model.translate(torch.from_numpy(images[row3]).float().div(255)[:, None], to="fashion-mnist")[:, 0]
    assert (translated - want).abs().max() <= 1 / 255 + 1e-6

    # the card needs the mapping read by the other classifiers, measured on these weights
    from ganzoo import cards

    from .release_helpers import load_benchmark

    cards_dir = tmp_path / "cards"
    cards_dir.mkdir()
    shutil.copy(ROOT / "model_cards" / "template-translation.md", cards_dir)
    monkeypatch.setattr(cards, "model_cards_dir", lambda: cards_dir)
    with pytest.raises(GanzooError, match=rf"{NAME}.mapping.json is missing; run `python benchmarks/cyclegan_mapping"):
        write_card(NAME, out=tmp_path / "card.md")
    bench = load_benchmark("cyclegan_mapping.py", "cyclegan_mapping")
    monkeypatch.setattr(bench, "CARDS", cards_dir)
    # the card's numbers are read on every test image: a shorter --n is refused before anything is written
    assert bench.main([NAME, "--n", "40", "--data-root", str(data_root), "--update-docs"]) == 2
    assert "error: --update-docs records the card's numbers, read on every test image: mnist's test split has 256" in (
        capsys.readouterr().err
    )
    assert not (cards_dir / f"{NAME}.mapping.json").exists()
    assert bench.main([NAME, "--n", "10000", "--data-root", str(data_root), "--update-docs"]) == 0
    readers = json.loads((cards_dir / f"{NAME}.mapping.json").read_text())
    assert readers["version"] == "v1" and readers["n"] == 256  # the images read, not the --n asked for
    assert readers["command"].endswith("--n 256 --data-root DATA --update-docs")

    # the card: numbers from the eval JSON, both 10x10 tables with their mean, the pictures, no latent usage
    card = write_card(NAME, out=tmp_path / "card.md")
    text = card.read_text()
    res = json.loads(ev.read_text())
    readers_part = text.split("### Read by other classifiers")[1].split("## Limitations")[0]
    first, second = readers_part.split("**fashion-mnist -> mnist**")
    for d, part in (("mnist_to_fashion-mnist", first), ("fashion-mnist_to_mnist", second)):  # each under its own
        assert part.count("| judge lenet |") == 1
        for reader, v in readers["directions"][d]["readers"].items():
            assert f"| {reader} | {v['mapping_share']:.3f} | {v['mapping_share_one_to_one']:.3f} |" in part
    assert "members (allconv-10, allconv-11) and by held-out judges (resnet, mlp, lenet:" in readers_part
    weight = model.config["config"]["mapping_weight"]  # the newest recipe's (v6: 0.3), which the tiny run keeps
    assert weight > 0 and f"training read class information: a class-mapping term (weight {weight:g})" in text
    for key in ("directions", "n"):  # not the script's output: refused, saying what to run
        (cards_dir / f"{NAME}.mapping.json").write_text(json.dumps({k: v for k, v in readers.items() if k != key}))
        with pytest.raises(GanzooError, match=rf"has no '{key}': it is not benchmarks/cyclegan_mapping.py's output"):
            write_card(NAME, out=tmp_path / "card2.md")
    # a damaged JSON: refused with the file, the key and what to run, never rendered or a traceback
    ab = "mnist_to_fashion-mnist"
    for change, message in (
        (lambda r: r.pop("version"), r"has no 'version' naming the weights it measured"),
        (lambda r: r.update(n=-1), r"n must be a positive whole number of test images, got -1"),
        (lambda r: r.update(command="python benchmarks/cyclegan_mapping.py x`\n# H"), r"command must be a plain"),
        (lambda r: r.update(command=None), r"command must be the one-line command of benchmarks/cyclegan_mapping"),
        (lambda r: r.update(directions={"x": {}}), r"directions must be an object with the directions mnist_to_"),
        (lambda r: r["directions"].update({ab: None}), rf"directions\['{ab}'\] must be an object with a non-empty"),
        (
            lambda r: r["directions"][ab]["readers"].pop("ganzoo"),
            r"holding ganzoo's classifier's, allconv-10's and the",
        ),
        (lambda r: r["directions"][ab]["readers"].pop("judge mlp"), r"\['readers'\] must be the readers of mnist_to_"),
        (
            lambda r: r["directions"][ab]["readers"]["ganzoo"].update(mapping_share=float("nan")),
            r"a number in \[0, 1\]",
        ),
        (lambda r: r["directions"][ab]["readers"]["ganzoo"].update(mapping_share="0.8"), r"got '0.8'"),
        (lambda r: r["directions"][ab]["readers"]["ganzoo"].update(mapping_classes=True), r"from 1 to 10, got True"),
        (lambda r: r["directions"][ab]["readers"].update({"a|b\n# H": {}}), r"keyed by reader names"),
    ):
        bad = json.loads(json.dumps(readers))
        change(bad)
        (cards_dir / f"{NAME}.mapping.json").write_text(json.dumps(bad))
        with pytest.raises(GanzooError, match=message + r".*; run `python benchmarks/cyclegan_mapping.py"):
            write_card(NAME, out=tmp_path / "card2.md")
        assert not (tmp_path / "card2.md").exists()
    readers["model_sha256"] = "0" * 64  # measured on other weights: refused, saying what to run
    (cards_dir / f"{NAME}.mapping.json").write_text(json.dumps(readers))
    with pytest.raises(GanzooError, match=r"not the bundled v1 .*; run `python benchmarks/cyclegan_mapping.py"):
        write_card(NAME, out=tmp_path / "card2.md")
    check_card_against_eval(card, res)
    for k, v in res["metrics"].items():  # the goals beside FD, cycle error and both mapping shares
        if k.startswith(("mapping_classes_", "top_target_share_")):
            assert re.search(rf"\| {re.escape(k)} \| {v if isinstance(v, int) else f'{v:.4f}'} \|  \|", text), k
        else:
            assert re.search(rf"\| {re.escape(k)} \| {v:.4f} \| (<=|>=) ", text), k
    assert "pipeline_tag: image-to-image" in text and "model.sample(16" not in text
    assert "![translations: mnist images, their fashion-mnist translations" in text
    for src, dst in (("mnist", "fashion-mnist"), ("fashion-mnist", "mnist")):
        share = res["metrics"][f"mapping_share_{src}_to_{dst}"]
        assert f"the mean of the kept shares (mapping_share_{src}_to_{dst}) is {share:.3f}" in text
        one = res["metrics"][f"mapping_share_one_to_one_{src}_to_{dst}"]
        assert f"the mean share is {one:.3f} (mapping_share_one_to_one_{src}_to_{dst})" in text
        assert f"The kept classes are {res['metrics'][f'mapping_classes_{src}_to_{dst}']} distinct" in text
        assert f"]({pictures[0] if src == 'mnist' else pictures[1]})" in text
        counts = res["tables"][f"{src}_to_{dst}"]["counts"]
        table = text.split(f"**{src} -> {dst}**")[1].split("\n\n")[1].splitlines()
        assert len(table) == 12  # header, rule, one row per source class
        cells = table[2 + 7].strip("|").split("|")  # class 7's row: percentages of its translations per class
        assert [float(c.strip(" *")) for c in cells[1:11]] == [round(100 * c / sum(counts[7])) for c in counts[7]]
        k = res["tables"][f"{src}_to_{dst}"]["one_to_one_class"][7]
        names = ganzoo.registry.DATASETS[dst].class_names
        assert cells[12].strip() == f"{names[k]} ({res['tables'][f'{src}_to_{dst}']['one_to_one_share'][7]:.3f})"
    assert "ganzoo translate cyclegan-mnist-fashion-mnist digit.png --to fashion-mnist" in text

    # golden: the first 8 test images of each domain and their translations; the check passes, and fails when
    # a weight moves
    out = golden.write(NAME, data_root)
    assert out == golden.GOLDEN_DIR / f"{NAME}-v1.safetensors" and golden.write(NAME, data_root) is None
    from safetensors.torch import load_file

    g = load_file(str(out))
    assert sorted(g) == ["a", "a_translated", "b", "b_translated"] and g["a"].shape == (8, 1, 28, 28)
    assert_golden(model, g)
    with torch.no_grad():  # the output conv's bias (earlier layers' scale and bias the instance norms undo)
        list(model.generator.g_ba.parameters())[-1].add_(0.05)
    with pytest.raises(AssertionError, match="published images moved"):
        assert_golden(model, g)

    # the zoo table shows it with both FDs; the sample-metric rows leave it out
    assert NAME not in {r["name"] for r in rows()}
    fd = res["metrics"]
    assert (
        f"`{NAME}` v1<br>mnist ↔ fashion-mnist, FD {fd['fd_mnist_to_fashion-mnist']:.1f} / "
        f"{fd['fd_fashion-mnist_to_mnist']:.1f}" in zoo_table()
    )


def test_release_refuses_a_generator_protocol_and_other_domains(tiny_run, zoo_copy, tmp_path, capsys):
    run, _, ev = tiny_run
    res = json.loads(ev.read_text())
    for change, message in (
        ({"n_translated": 200}, r"not measured with the zoo's protocol .*n_translated.: 200"),
        ({"domains": ["fashion-mnist", "mnist"]}, r"measured domains \['fashion-mnist', 'mnist'\], not"),
    ):
        bad = tmp_path / "bad.json"
        bad.write_text(json.dumps({**res, "protocol": {**res["protocol"], **change}}))
        assert rel.main([NAME, "--run", str(run), "--version", "v1", "--eval-json", str(bad)]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and err.count("\n") == 1 and re.search(message, err), err
    assert not (zoo_copy / NAME).exists() and not [p for p in zoo_copy.iterdir() if p.name.startswith(".")]


def test_card_refuses_an_eval_json_without_the_tables(tiny_run, zoo_copy, data_root, tmp_path, capsys):
    from ganzoo.cli import main as cli

    run, _, ev = tiny_run
    assert rel.release(NAME, run, "v1", ev, data_root).is_dir()
    res = json.loads(ev.read_text())
    del res["tables"]["fashion-mnist_to_mnist"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(res))
    assert cli(["card", NAME, "--eval-json", str(bad), "-o", str(tmp_path / "c.md")]) == 2
    err = capsys.readouterr().err
    assert "tables['fashion-mnist_to_mnist']['counts'] must be a 10x10 list of counts" in err
    assert not (tmp_path / "c.md").exists()
