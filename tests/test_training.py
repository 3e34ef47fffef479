"""Training recipes: a few steps each on a small subset, resume equality, diagnostics, errors."""
from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest
import torch

import ganzoo
from training.recipes import RECIPES, apply_overrides, get_recipe
from training.train import TrainingDiverged, main

ZOO_RECIPES = [n for n, r in RECIPES.items() if r.dataset in ("mnist", "fashion-mnist")]
FAST = ["--subset=256", "--batch_size=16", "--log_every=1", "--sample_every=2", "--ckpt_every=2", "--eval_n=200",
        "--model.latent_dim=8"]


def small(arch: str) -> list[str]:
    return ["--model.g_hidden=32,64", "--model.d_hidden=64"] if arch == "gan" else \
        ["--model.g_width=8", "--model.d_width=8"]


def read_log(path) -> list[dict]:
    with open(path) as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("name", ZOO_RECIPES)
def test_recipe_runs_and_output_loads(name, tmp_path, data_root):
    r = RECIPES[name]
    out = tmp_path / "run"
    res = main([name, "--out", str(out), "--data-root", str(data_root), "--quiet", "--steps=3", "--eval_every=3",
                *FAST, *small(r.arch)])
    assert res["steps"] == 3 and res["best_step"] == 3
    m = ganzoo.load(out / "model")
    assert m.architecture == r.arch and m.config["dataset"] == r.dataset
    assert m.sample(2, seed=0).shape == (2, 1, 28, 28)
    assert (out / "model" / "samples.png").is_file() and (out / "model" / "discriminator.safetensors").is_file()
    assert (out / "samples" / "step_000002.png").is_file()
    rows = read_log(out / "log.csv")
    assert [int(x["step"]) for x in rows] == [1, 2, 3]
    assert all(x["grad_norm_d"] and x["grad_norm_g"] and x["d_real"] for x in rows)
    if r.objective.startswith("wgan"):
        assert all(x["wasserstein"] for x in rows)
    assert read_log(out / "eval.csv")[0]["fd"]
    if r.objective == "wgan-clip":  # clipping holds after training
        assert all(p.abs().max() <= r.clip + 1e-7 for p in ganzoo.load(out / "model", discriminator=True)
                   .discriminator.parameters())


@pytest.mark.parametrize("name", ["dcgan-mnist", "wgan-gp-mnist", "cgan-mnist"])
def test_resume_reproduces_uninterrupted_run(name, tmp_path, data_root):
    args = ["--data-root", str(data_root), "--quiet", "--eval_every=0", *FAST, *small(RECIPES[name].arch)]
    main([name, "--out", str(tmp_path / "a"), "--steps=6", *args])
    main([name, "--out", str(tmp_path / "b"), "--steps=4", *args])  # "interrupted" after step 4 (ckpt at 4)
    main([name, "--out", str(tmp_path / "b"), "--steps=6", "--resume", *args])
    a, b = read_log(tmp_path / "a" / "log.csv"), read_log(tmp_path / "b" / "log.csv")
    key = lambda rows: [(r["step"], r["loss_d"], r["loss_g"], r["d_real"], r["grad_norm_g"]) for r in rows]  # noqa: E731
    assert key(a) == key(b)
    sa = ganzoo.load(tmp_path / "a" / "model").generator.state_dict()
    sb = ganzoo.load(tmp_path / "b" / "model").generator.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    # run.json adds up both sessions and records the command that reproduces the run in one go
    run = json.loads((tmp_path / "b" / "run.json").read_text())
    assert len(run["sessions"]) == 2 and "--resume" in run["sessions"][1]["command"]
    assert "--resume" not in run["command"] and "--steps=6" in run["command"]
    assert run["train_cpu_seconds"] > 0 and run["train_wall_seconds"] > 0  # carried through the checkpoint
    assert run["wall_seconds"] == pytest.approx(sum(x["wall_seconds"] for x in run["sessions"]), abs=0.11)


def test_checkpoint_is_weights_only_loadable(tmp_path, data_root):
    main(["dcgan-mnist", "--out", str(tmp_path), "--data-root", str(data_root), "--quiet", "--steps=2",
          "--eval_every=0", *FAST, *small("dcgan")])
    ck = torch.load(tmp_path / "ckpt.pt", weights_only=True)
    assert ck["step"] == 2 and {"G", "D", "opt_g", "opt_d", "torch_rng", "noise_rng"} <= set(ck)
    assert not list(tmp_path.glob("*.tmp"))


def test_nan_detection(tmp_path, data_root):
    with pytest.raises(TrainingDiverged, match="diverged.*Lower the learning"):
        main(["wgan-gp-mnist", "--out", str(tmp_path), "--data-root", str(data_root), "--quiet", "--steps=20",
              "--eval_every=0", "--lr_d=1e30", "--lr_g=1e30", "--gp_weight=1e30", *FAST, *small("wgan-gp")])


def test_bad_override_keys():
    r = get_recipe("dcgan-mnist")
    with pytest.raises(SystemExit, match="unknown recipe key 'stpes'.*Did you mean: steps"):
        apply_overrides(r, ["--stpes=3"])
    with pytest.raises(SystemExit, match="unknown model key 'g_widht'.*model.g_width"):
        apply_overrides(r, ["--model.g_widht=3"])
    with pytest.raises(SystemExit, match="--key=value"):
        apply_overrides(r, ["--steps"])
    with pytest.raises(SystemExit, match="unknown recipe 'dcgan-mnst'.*dcgan-mnist"):
        get_recipe("dcgan-mnst")
    assert apply_overrides(r, ["--steps=7", "--model.g_width=4", "--betas=0,0.9"]).steps == 7


def test_missing_data_set_says_where(tmp_path):
    with pytest.raises(SystemExit, match=r"mnist was not found under .*MNIST.*--data-root or GANZOO_DATA.*--download"):
        main(["dcgan-mnist", "--out", str(tmp_path / "o"), "--data-root", str(tmp_path / "empty"), "--quiet"])


def test_training_cli_entry(tmp_path, data_root):
    out = subprocess.run([sys.executable, "-m", "ganzoo", "train", "gan-mnist", "--out", str(tmp_path),
                          "--data-root", str(data_root), "--quiet", "--steps=2", "--eval_every=0", *FAST,
                          *small("gan")], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert ganzoo.load(tmp_path / "model").architecture == "gan"


def test_mode_collapse_warning_fires_on_untrained_generator(tmp_path, data_root):
    # after 2 steps the generator draws near-identical images: the diagnostics must say so
    with pytest.warns(RuntimeWarning, match="mode collapse"):
        res = main(["dcgan-mnist", "--out", str(tmp_path), "--data-root", str(data_root), "--quiet", "--steps=2",
                    "--eval_every=2", *FAST, *small("dcgan")])
    assert any("mode collapse" in w for w in res["warnings"])
