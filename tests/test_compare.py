"""benchmarks/compare.py runs end to end on tiny models and a synthetic data set."""

from __future__ import annotations

import importlib.util
import json

import numpy as np

import ganzoo

from .conftest import ROOT, make_tiny_folder, write_idx_split


def test_compare_script_on_tiny_models(tmp_path, monkeypatch):
    rng = np.random.default_rng(1)
    raw = tmp_path / "data" / "MNIST" / "raw"
    write_idx_split(raw, "train", rng.integers(0, 256, (300, 28, 28), dtype=np.uint8))
    write_idx_split(raw, "t10k", rng.integers(0, 256, (300, 28, 28), dtype=np.uint8))
    vae = make_tiny_folder(tmp_path / "vae", "vae", dataset="mnist")
    gan = make_tiny_folder(tmp_path / "gan", "dcgan", dataset="mnist")
    spec = importlib.util.spec_from_file_location("compare", ROOT / "benchmarks" / "compare.py")
    compare = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(compare)
    monkeypatch.setattr(compare, "RESULTS", tmp_path / "results")
    monkeypatch.setattr(compare, "N", 100)
    out = compare.main(
        [
            "--data-root",
            str(tmp_path / "data"),
            "--datasets",
            "mnist",
            "--only-extra",
            "--extra",
            f"vae-tiny={vae}",
            "--extra",
            f"dcgan-tiny={gan}",
            "--eval-n",
            "200",
            "--inversion",
        ]
    )
    res = out["mnist"]["models"]
    assert list(res) == ["vae-tiny", "dcgan-tiny"] and res["vae-tiny"]["architecture"] == "vae"
    assert all(0 <= r["copy_share"] <= 1 and r["sharpness"] > 0 and r["fd"] > 0 for r in res.values())
    # the VAE reports its test-split -ELBO and reconstructs through its encoder; the GAN folder is no zoo entry,
    # so the default --inversion (the VAEs and the best zoo GAN) leaves it out
    assert res["vae-tiny"]["neg_elbo_nats"] > 0 and "neg_elbo_nats" not in res["dcgan-tiny"]
    assert res["vae-tiny"]["inversion_by"] == "encoder" and "inversion_mse" not in res["dcgan-tiny"]
    assert res["vae-tiny"]["train_cpu_minutes"] is None
    saved = json.loads((tmp_path / "results" / "compare.json").read_text())
    assert saved["mnist"]["rows"] == ["vae-tiny", "dcgan-tiny"]
    assert (tmp_path / "results" / "compare-mnist.png").is_file()
    assert (tmp_path / "results" / "compare-nn-mnist.png").is_file()
    # --tables-only re-renders the docs from compare.json without sampling again
    doc = tmp_path / "doc.md"
    doc.write_text("# x\n<!-- compare begin -->\nold\n<!-- compare end -->\n")
    monkeypatch.setattr(compare, "DOC", doc)
    monkeypatch.setattr(compare, "measure", None)  # calling it would fail: nothing is measured
    again = compare.main(["--data-root", str(tmp_path / "data"), "--tables-only", "--update-docs"])
    assert again["mnist"]["models"] == res and "old" not in doc.read_text()
    assert "Rows of `compare-mnist.png`, top to bottom: vae-tiny, dcgan-tiny." in doc.read_text()


def test_same_training_reads_a_decay_as_part_of_the_recipe():
    """A record is comparable with a recipe up to a step when both trained the same rates up to it: a run with the
    recipe's own decay (its released run) throughout; a run without the decay only before the decay starts."""
    import dataclasses

    spec = importlib.util.spec_from_file_location("compare", ROOT / "benchmarks" / "compare.py")
    compare = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(compare)
    from training.recipes import RECIPES

    recipe = dataclasses.replace(RECIPES["stylegan2-fashion-mnist"], steps=28000, decay_from=17200)

    def record(**changes) -> dict:
        return {"full_recipe": json.loads(json.dumps(dataclasses.asdict(dataclasses.replace(recipe, **changes))))}

    assert compare.same_training(record(), recipe, 28000)
    assert not compare.same_training(record(steps=30000), recipe, 28000)  # the same decay start, a slower decay
    assert compare.same_training(record(steps=30000, decay_from=0), recipe, 17000)
    assert not compare.same_training(record(steps=30000, decay_from=0), recipe, 18000)
    assert not compare.same_training(record(lr_g=0.002), recipe, 1000)


def test_the_reference_is_its_longest_record_not_the_first_in_file_order(monkeypatch):
    """biggan-mnist's long run continues its 40-minute proxy of the same recipe: both records match the recipe,
    and the proxy's name (biggan-mnist-noattn) sorts before the run's (biggan-mnist-v1). The comparison must read
    the run's curve."""
    spec = importlib.util.spec_from_file_location("compare", ROOT / "benchmarks" / "compare.py")
    compare = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(compare)

    def rec(name: str, minutes: int) -> dict:
        curve = [{"cpu_seconds": 60.0 * m, "step": 100 * m, "fd": 100.0 / m} for m in range(1, minutes + 1)]
        return {"record": name, "hardware": "test CPU, 1 thread(s)", "curve": curve}

    recs = [("stylegan2-mnist", rec("a-proxy", 40)), ("stylegan2-mnist", rec("b-run", 200))]
    recs.append(("wgan-gp-mnist", rec("w-proxy", 60)))
    monkeypatch.setattr(compare, "_records", lambda dataset, models: recs)
    rows = compare.equal_cpu("mnist", {}, reference="stylegan2-mnist")
    assert [(r["model"], r["ref_record"], r["ref_fd"]) for r in rows] == [("wgan-gp-mnist", "b-run", 100.0 / 60)]
    res = compare.compare_equal_cpu("stylegan2-mnist", None, ("wgan-gp",))
    assert res["ref_record"] == "b-run" and res["ref_cpu_minutes"] == 200
    run = ganzoo.registry.ZOO["wgan-gp-mnist"].manifest["training"]["cpu_seconds"] / 60  # 82 minutes: past the proxy
    assert [r["ref_cpu_minutes"] for r in res["full_runs"]] == [int(run)]
