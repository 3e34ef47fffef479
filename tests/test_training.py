"""Training recipes: a few steps each on a small subset, resume equality, diagnostics, errors."""

from __future__ import annotations

import csv
import dataclasses
import math
import re
import json
import subprocess
import sys

import pytest
import torch

import ganzoo
from ganzoo.errors import DataNotFoundError, TrainingError
from training.recipes import RECIPES, apply_overrides, get_recipe
from training.train import TrainingDiverged, hardware, main, reproduce_command, without_positional

# the recipes that sample from a latent (a translation recipe, CycleGAN's, has its own tests in test_cyclegan.py)
ZOO_RECIPES = [
    n
    for n, r in RECIPES.items()
    if r.dataset in ("mnist", "fashion-mnist") and not ganzoo.registry.ARCHITECTURES[r.arch].translation
]
FAST = [
    "--subset=256",
    "--batch_size=16",
    "--log_every=1",
    "--sample_every=2",
    "--ckpt_every=2",
    "--eval_n=200",
    "--model.latent_dim=8",
]


def small(arch: str) -> list[str]:
    if arch == "vae":
        return ["--model.width=8", "--model.hidden=32"]
    if arch == "stylegan2":
        return ["--model.w_dim=8", "--model.g_widths=8,8,4", "--model.d_widths=4,8,8"]
    if arch == "progan":  # grown to 28x28 by step 4 (1 step at 7x7, 1 fading 14x14 in, ...)
        widths = ["--model.g_widths=8,8,4", "--model.d_widths=4,8,8"]
        return [*widths, "--model.stable_steps=1", "--model.fade_steps=1", "--decay_from=0"]
    if arch == "biggan":
        return ["--model.g_widths=8,8,4", "--model.d_widths=4,8,8", "--model.embed_dim=4"]
    return (
        ["--model.g_hidden=32,64", "--model.d_hidden=64"]
        if arch == "gan"
        else ["--model.g_width=8", "--model.d_width=8"]
    )


def read_log(path) -> list[dict]:
    with open(path) as f:
        return list(csv.DictReader(f))


@pytest.mark.slow
@pytest.mark.parametrize("name", ZOO_RECIPES)
def test_recipe_runs_and_output_loads(name, tmp_path, data_root):
    r = RECIPES[name]
    out = tmp_path / "run"
    decay = ["--decay_from=2"] if r.decay_from else []  # a recipe that decays its rates does so here too
    res = main(
        [
            name,
            "--out",
            str(out),
            "--data-root",
            str(data_root),
            "--quiet",
            "--steps=3",
            "--eval_every=3",
            *decay,
            *FAST,
            *small(r.arch),
        ]
    )
    assert res["steps"] == 3 and res["best_step"] == 3
    m = ganzoo.load(out / "model")
    assert m.architecture == r.arch and m.config["dataset"] == r.dataset
    assert m.sample(2, seed=0).shape == (2, 1, 28, 28)
    adversarial = r.objective != "elbo"  # the VAE trains one network, without a discriminator
    assert (out / "model" / "samples.png").is_file()
    assert (out / "model" / "discriminator.safetensors").is_file() == adversarial
    assert (out / "samples" / "step_000002.png").is_file()
    rows = read_log(out / "log.csv")
    assert [int(x["step"]) for x in rows] == [1, 2, 3]
    for x in rows:
        norms = [float(x["grad_norm_d"]), float(x["grad_norm_g"])] if adversarial else [float(x["grad_norm_g"])]
        assert all(math.isfinite(v) and v > 0 for v in norms)
        if r.objective == "elbo":
            assert float(x["loss_g"]) == pytest.approx(float(x["recon"]) + float(x["kl"]), rel=1e-5)
        elif r.objective == "bce":
            assert 0 < float(x["d_real"]) < 1 and 0 < float(x["d_fake"]) < 1
        elif r.objective == "hinge":  # mean raw scores
            assert math.isfinite(float(x["d_real"])) and math.isfinite(float(x["d_fake"]))
        else:
            assert math.isfinite(float(x["wasserstein"]))
    fd = float(read_log(out / "eval.csv")[0]["fd"])
    assert math.isfinite(fd) and fd > 0
    # the curves PNG (in the run and the model folder) and the TensorBoard events are written and readable
    from PIL import Image
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    assert Image.open(out / "curves.png").size == (1260, 300)
    assert (out / "model" / "curves.png").read_bytes() == (out / "curves.png").read_bytes()
    ea = EventAccumulator(str(out / "tensorboard"))
    ea.Reload()
    assert [e.step for e in ea.Scalars("train/loss_g")] == [1, 2, 3]
    assert ea.Scalars("eval/fd")[0].value == pytest.approx(fd, rel=1e-6)  # stored as float32
    if r.objective == "wgan-clip":  # clipping holds after training
        assert all(
            p.abs().max() <= r.clip + 1e-7
            for p in ganzoo.load(out / "model", discriminator=True).discriminator.parameters()
        )


@pytest.mark.slow
@pytest.mark.parametrize("name", ["dcgan-mnist", "wgan-gp-mnist", "cgan-mnist", "vae-mnist"])
def test_resume_reproduces_uninterrupted_run(name, tmp_path, data_root):
    args = ["--data-root", str(data_root), "--quiet", "--eval_every=0", *FAST, *small(RECIPES[name].arch)]
    main([name, "--out", str(tmp_path / "a"), "--steps=6", *args])
    main([name, "--out", str(tmp_path / "b"), "--steps=4", *args])  # "interrupted" after step 4 (ckpt at 4)
    main([name, "--out", str(tmp_path / "b"), "--steps=6", "--resume", *args])
    a, b = read_log(tmp_path / "a" / "log.csv"), read_log(tmp_path / "b" / "log.csv")
    key = lambda rows: [(r["step"], r.get("loss_d"), r["loss_g"], r.get("d_real"), r["grad_norm_g"]) for r in rows]  # noqa: E731
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
    # each session names its hardware; the run names each distinct one once (here both are this CPU)
    assert run["sessions"][0]["hardware"] == run["sessions"][1]["hardware"] == run["hardware"]
    assert run["hardware"].endswith(f"thread(s), torch {torch.__version__}") and " + " not in run["hardware"]


def test_checkpoint_is_weights_only_loadable(tmp_path, data_root):
    main(
        [
            "dcgan-mnist",
            "--out",
            str(tmp_path),
            "--data-root",
            str(data_root),
            "--quiet",
            "--steps=2",
            "--eval_every=0",
            *FAST,
            *small("dcgan"),
        ]
    )
    ck = torch.load(tmp_path / "ckpt.pt", weights_only=True)
    assert ck["step"] == 2 and {"G", "D", "opt_g", "opt_d", "torch_rng", "noise_rng"} <= set(ck)
    assert not list(tmp_path.glob("*.tmp"))


def test_nan_detection(tmp_path, data_root):
    with pytest.raises(TrainingDiverged, match="diverged.*Lower the learning"):
        main(
            [
                "wgan-gp-mnist",
                "--out",
                str(tmp_path),
                "--data-root",
                str(data_root),
                "--quiet",
                "--steps=20",
                "--eval_every=0",
                "--lr_d=1e30",
                "--lr_g=1e30",
                "--gp_weight=1e30",
                *FAST,
                *small("wgan-gp"),
            ]
        )


def test_bad_override_keys():
    r = get_recipe("dcgan-mnist")
    with pytest.raises(TrainingError, match="unknown recipe key 'stpes'.*Did you mean: steps"):
        apply_overrides(r, ["--stpes=3"])
    with pytest.raises(TrainingError, match="unknown model key 'g_widht'.*model.g_width"):
        apply_overrides(r, ["--model.g_widht=3"])
    with pytest.raises(TrainingError, match="--key=value"):
        apply_overrides(r, ["--steps"])
    with pytest.raises(TrainingError, match="unknown recipe 'dcgan-mnst'.*dcgan-mnist"):
        get_recipe("dcgan-mnst")
    assert apply_overrides(r, ["--steps=7", "--model.g_width=4", "--betas=0,0.9"]).steps == 7


def test_missing_data_set_says_where(tmp_path):
    with pytest.raises(
        DataNotFoundError, match=r"mnist was not found under .*MNIST.*--data-root or GANZOO_DATA.*--download"
    ):
        main(["dcgan-mnist", "--out", str(tmp_path / "o"), "--data-root", str(tmp_path / "empty"), "--quiet"])


@pytest.mark.slow
def test_training_cli_entry(tmp_path, data_root):
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "ganzoo",
            "train",
            "gan-mnist",
            "--out",
            str(tmp_path),
            "--data-root",
            str(data_root),
            "--quiet",
            "--steps=2",
            "--eval_every=0",
            *FAST,
            *small("gan"),
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    assert ganzoo.load(tmp_path / "model").architecture == "gan"


@pytest.mark.slow
def test_mode_collapse_warning_fires_on_untrained_generator(tmp_path, data_root):
    # after 2 steps the generator draws near-identical images: the diagnostics must say so
    with pytest.warns(RuntimeWarning, match="mode collapse"):
        res = main(
            [
                "dcgan-mnist",
                "--out",
                str(tmp_path),
                "--data-root",
                str(data_root),
                "--quiet",
                "--steps=2",
                "--eval_every=2",
                *FAST,
                *small("dcgan"),
            ]
        )
    assert any("mode collapse" in w for w in res["warnings"])


# -- reliability: runs are never lost or silently changed ------------------------------------------------
# one thread: the interrupted subprocess, the resume and the reference run in-process must sum floats alike
TINY_ARGS = ["--quiet", "--eval_every=0", "--sample_every=0", "--threads=1", *FAST, *small("dcgan")]


def train_cmd(out, data_root, *extra) -> list[str]:
    return [
        sys.executable,
        "-m",
        "training.train",
        "dcgan-mnist",
        "--out",
        str(out),
        "--data-root",
        str(data_root),
        *TINY_ARGS,
        *extra,
    ]


@pytest.mark.slow
def test_ctrl_c_saves_at_a_step_boundary_and_resume_equals_uninterrupted(tmp_path, data_root):
    import signal
    import time

    run = tmp_path / "run"
    # ckpt_every=0: the only checkpoint is the one Ctrl-C writes
    proc = subprocess.Popen(
        train_cmd(run, data_root, "--steps=100000", "--ckpt_every=0"), stderr=subprocess.PIPE, text=True
    )
    log = run / "log.csv"
    deadline = time.time() + 120
    while time.time() < deadline and (not log.exists() or len(read_log(log)) < 30):
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    ck = torch.load(run / "ckpt.pt", weights_only=True)
    step = ck["step"]
    assert f"stopped after step {step}; checkpoint saved" in err and "--resume" in err
    assert ck["batches"] == step  # n_critic = 1: one batch per step, none consumed by a half step
    # resume to a few steps past the interruption; an uninterrupted run to the same step must match exactly
    main(
        ["dcgan-mnist", "--out", str(run), "--data-root", str(data_root), "--resume", f"--steps={step + 5}", *TINY_ARGS]
    )
    main(
        [
            "dcgan-mnist",
            "--out",
            str(tmp_path / "ref"),
            "--data-root",
            str(data_root),
            f"--steps={step + 5}",
            *TINY_ARGS,
        ]
    )
    a = ganzoo.load(run / "model").generator.state_dict()
    b = ganzoo.load(tmp_path / "ref" / "model").generator.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    ref = read_log(tmp_path / "ref" / "log.csv")
    assert [r["loss_d"] for r in read_log(run / "log.csv")] == [r["loss_d"] for r in ref]


def test_resume_continues_with_the_checkpoints_thread_count(tmp_path, data_root):
    """CPU float sums depend on the thread count: a resume without --threads takes the checkpoint's."""
    before = torch.get_num_threads()
    base = [
        "dcgan-mnist",
        "--out",
        str(tmp_path / "run"),
        "--data-root",
        str(data_root),
        "--quiet",
        "--eval_every=0",
        "--sample_every=0",
        *FAST,
        *small("dcgan"),
    ]
    try:
        main([*base, "--steps=2", "--threads=1"])
        assert torch.load(tmp_path / "run" / "ckpt.pt", weights_only=True)["threads"] == 1
        torch.set_num_threads(2)
        main([*base, "--steps=3", "--resume"])
        assert torch.get_num_threads() == 1
        with pytest.warns(
            RuntimeWarning,
            match="resumed with 2 threads; the checkpoint ran with 1: the continuation "
            "will not bit-match an uninterrupted run",
        ):
            main([*base, "--steps=4", "--resume", "--threads=2"])
    finally:
        torch.set_num_threads(before)


def test_rerun_without_resume_refuses_and_overwrite_moves_the_run_aside(tmp_path, data_root):
    run = tmp_path / "run"
    base = ["dcgan-mnist", "--out", str(run), "--data-root", str(data_root), *TINY_ARGS]
    main([*base, "--steps=4"])
    before = (run / "ckpt.pt").read_bytes()
    with pytest.raises(
        TrainingError,
        match=r"already holds a run \(ckpt.pt, log.csv, run.json, result.json, model\)"
        r"\. Continue it with --resume, start over with --overwrite",
    ):
        main([*base, "--steps=2"])
    assert (run / "ckpt.pt").read_bytes() == before  # untouched
    main([*base, "--steps=2", "--overwrite"])
    (old,) = tmp_path.glob("run.replaced-*")
    assert (old / "ckpt.pt").read_bytes() == before
    assert torch.load(run / "ckpt.pt", weights_only=True)["step"] == 2


def test_resume_uses_the_saved_recipe_and_refuses_changes(tmp_path, data_root):
    run = tmp_path / "run"
    base = ["--out", str(run), "--data-root", str(data_root), "--quiet"]
    main(["dcgan-mnist", *base, *TINY_ARGS, "--steps=3", "--model.g_width=4"])
    # resuming without any of the first command's overrides continues the saved recipe (no size mismatch)
    main(["dcgan-mnist", *base, "--steps=5", "--resume"])
    assert ganzoo.load(run / "model").config["config"]["g_width"] == 4
    rec = json.loads((run / "run.json").read_text())
    assert rec["recipe"]["steps"] == 5 and rec["recipe"]["subset"] == 256
    assert "--steps=5" in rec["command"] and "--model.g_width=4" in rec["command"] and "--resume" not in rec["command"]
    r = RECIPES["dcgan-mnist"]
    with pytest.raises(
        TrainingError,
        match=re.escape(
            f"--resume cannot change lr_g, lr_d: the checkpoint was trained with lr_g={r.lr_g!r}, lr_d={r.lr_d!r}"
        ),
    ):
        main(["dcgan-mnist", *base, "--steps=7", "--resume", "--lr_g=0", "--lr_d=0"])
    with pytest.raises(TrainingError, match=r"--resume cannot change model"):
        main(["dcgan-mnist", *base, "--steps=7", "--resume", "--model.g_width=8"])
    with pytest.raises(
        TrainingError,
        match=r"checkpoint of recipe 'dcgan-mnist' \(dcgan on mnist\), not "
        r"'dcgan-fashion-mnist'",
    ):
        main(["dcgan-fashion-mnist", *base, "--steps=7", "--resume"])
    with pytest.raises(TrainingError, match=r"no checkpoint at .*nowhere.*run without --resume"):
        main(["dcgan-mnist", "--out", str(tmp_path / "nowhere"), "--resume"])


def test_lr_decay_added_on_resume_equals_a_fresh_run_with_it(tmp_path, data_root):
    base = ["--data-root", str(data_root), "--quiet", "--eval_every=0", *TINY_ARGS]
    main(["dcgan-mnist", "--out", str(tmp_path / "a"), *base, "--steps=6", "--decay_from=3"])
    main(["dcgan-mnist", "--out", str(tmp_path / "b"), *base, "--steps=3"])  # trained with constant rates
    main(["dcgan-mnist", "--out", str(tmp_path / "b"), *base[:3], "--resume", "--steps=6", "--decay_from=3"])
    sa = ganzoo.load(tmp_path / "a" / "model").generator.state_dict()
    sb = ganzoo.load(tmp_path / "b" / "model").generator.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    r = RECIPES["dcgan-mnist"]
    ck = torch.load(tmp_path / "b" / "ckpt.pt", weights_only=True)
    # the last update (index 5) ran at 1/3 of the rates: linear decay from step 3 towards 0 at step 6
    assert ck["opt_g"]["param_groups"][0]["lr"] == pytest.approx(r.lr_g / 3)
    assert ck["opt_d"]["param_groups"][0]["lr"] == pytest.approx(r.lr_d / 3)
    # a decay that would have changed the rates of steps already taken is refused
    with pytest.raises(
        TrainingError,
        match=re.escape(
            "--resume cannot change the learning-rate decay of steps "
            "already taken (step 5 of the checkpoint's 6 ran with "
            "decay_from=3, steps=6). Choose decay_from >= 6"
        ),
    ):
        main(["dcgan-mnist", "--out", str(tmp_path / "b"), *base[:3], "--resume", "--steps=9"])


@pytest.mark.parametrize(
    "override, message",
    [
        ("--steps=-5", "steps must be a finite number >= 1, got -5"),
        ("--batch_size=0", "batch_size must be a finite number >= 1, got 0"),
        ("--log_every=0", "log_every must be a finite number >= 1, got 0"),
        ("--n_critic=0", "n_critic must be a finite number >= 1, got 0"),
        ("--lr_d=nan", "lr_d must be a finite number >= 0, got nan"),
        ("--model.g_width=abc", "bad value for --model.g_width: expected an integer, got 'abc'"),
        (
            "--model.g_width=-3",
            "bad model settings for dcgan-mnist: dcgan config key 'g_width' must be an int in [0, 1048576]",
        ),
        ("--dataset=cifar", "unknown data set 'cifar'. Did you mean: cifar10?"),
        (
            "--decay_from=40000",
            "decay_from (40000) must be below steps (30000), or 0 for constant learning rates. "
            "For a run shorter than the recipe's decay, also pass --decay_from=0 or a step below "
            "--steps.",
        ),
        ("--d_joint_batch=true", "d_joint_batch applies to the wgan-clip objective only; dcgan-mnist trains with bce"),
    ],
)
def test_bad_recipe_values_fail_before_any_work(override, message, tmp_path, data_root):
    out = tmp_path / "run"
    with pytest.raises(TrainingError, match=re.escape(message)):
        main(["dcgan-mnist", "--out", str(out), "--data-root", str(data_root), "--quiet", override])
    assert not out.exists()


@pytest.mark.slow  # seconds of work: the full suite (the README's test command) runs it, `-m "not slow"` skips it
def test_cli_prints_one_error_line_and_exits_2(tmp_path, data_root):
    p = subprocess.run(
        [sys.executable, "-m", "training.train", "dcgan-mnist", "--out", str(tmp_path / "o"), "--steps=-5"],
        capture_output=True,
        text=True,
    )
    assert p.returncode == 2 and p.stderr == "error: steps must be a finite number >= 1, got -5\n"


def test_leftovers_are_cleaned_logs_rewritten_atomically_and_warnings_kept(tmp_path, data_root):
    run = tmp_path / "run"
    base = ["dcgan-mnist", "--out", str(run), "--data-root", str(data_root), "--quiet", *FAST, *small("dcgan")]
    with pytest.warns(RuntimeWarning, match="mode collapse"):
        first = main([*base, "--steps=2", "--eval_every=2"])
    assert first["warnings"]
    (run / ".ckpt.pt.x1y2z3.ganzoo-tmp").write_bytes(b"half a checkpoint")  # what a kill leaves
    (run / ".model.a1b2c3.ganzoo-tmp").mkdir()
    (run / "ckpt.pt.tmp").write_bytes(b"the user's")  # not a name ganzoo writes: kept
    with open(run / "log.csv", "a") as f:  # a line torn by a kill
        f.write("3,0.5,0.")
    main([*base, "--steps=4", "--eval_every=0", "--resume"])
    assert not list(run.glob("*ganzoo-tmp")) and (run / "ckpt.pt.tmp").read_bytes() == b"the user's"
    assert [int(r["step"]) for r in read_log(run / "log.csv")] == [1, 2, 3, 4]
    res = json.loads((run / "result.json").read_text())
    assert res["warnings"][: len(first["warnings"])] == first["warnings"]


def test_result_has_no_infinity_without_evaluation(tmp_path, data_root):
    main(["dcgan-mnist", "--out", str(tmp_path), "--data-root", str(data_root), "--steps=2", *TINY_ARGS])
    text = (tmp_path / "result.json").read_text()
    assert "Infinity" not in text and json.loads(text)["best_selection_fd"] is None


@pytest.mark.slow
def test_the_model_folder_holds_the_best_evaluation_not_the_last(tmp_path, data_root, monkeypatch):
    from training.train import Trainer

    fds = iter([50.0, 20.0, 35.0, 40.0])  # best at step 2 of 4
    real = Trainer.evaluate

    def fake_evaluate(self):
        e = real(self)
        return {**e, "fd": next(fds)}

    monkeypatch.setattr(Trainer, "evaluate", fake_evaluate)
    out = tmp_path / "run"
    res = main(
        [
            "dcgan-mnist",
            "--out",
            str(out),
            "--data-root",
            str(data_root),
            "--quiet",
            "--steps=4",
            "--eval_every=1",
            "--eval_n=50",
            *FAST[:-1],
            *small("dcgan"),
        ]
    )
    assert res["best_step"] == 2 and res["best_selection_fd"] == 20.0
    model = ganzoo.load(out / "model")
    assert model.config["training"] == {"step": 2, "selection_fd_train": 20.0}
    last = torch.load(out / "ckpt.pt", weights_only=True)["G_ema"]
    best = model.generator.state_dict()
    assert not all(torch.equal(best[k], last[k]) for k in best)  # the shipped weights are not the last ones


def test_joint_batch_critic_scores_real_and_fake_as_one_batchnorm_batch():
    from ganzoo.models import make_config
    from ganzoo.models.wgan import WGANCritic
    from training.objectives import make_objective

    torch.manual_seed(0)
    D = WGANCritic(make_config("wgan", {"d_width": 8}))
    real, fake = torch.rand(6, 1, 28, 28) * 2 - 1, torch.rand(6, 1, 28, 28) * 2 - 1
    apart, joint = make_objective("wgan-clip"), make_objective("wgan-clip", joint=True)
    with torch.no_grad():
        _, s_apart = apart.d_loss(D, real, fake, None, None)
        _, s_joint = joint.d_loss(D, real, fake, None, None)
        together = D(torch.cat([real, fake]))  # BatchNorm statistics of all 12 images
        assert s_joint["d_real"] == pytest.approx(together[:6].mean().item(), rel=1e-5)
        assert s_joint["d_fake"] == pytest.approx(together[6:].mean().item(), rel=1e-5)
        assert s_apart["d_real"] == pytest.approx(D(real).mean().item(), rel=1e-5)
        assert abs(s_apart["d_real"] - s_joint["d_real"]) > 1e-4  # per-batch statistics do change the scores
        assert joint.g_loss(D, fake, None, real=(real, None)).item() == pytest.approx(-s_joint["d_fake"], rel=1e-5)
        D.eval()  # with running statistics the critic is per-sample, and both ways agree
        assert joint.d_loss(D, real, fake, None, None)[0].item() == pytest.approx(
            apart.d_loss(D, real, fake, None, None)[0].item(), rel=1e-5
        )
        assert joint.g_loss(D, fake, None, real=(real, None)).item() == pytest.approx(
            apart.g_loss(D, fake, None).item(), rel=1e-5
        )


def test_r1_penalty_is_the_lazy_squared_gradient_norm_on_real_images():
    from ganzoo.models import make_config
    from ganzoo.models.dcgan import DCGANDiscriminator
    from training.objectives import make_objective
    from training.recipes import get_recipe

    torch.manual_seed(0)
    D = DCGANDiscriminator(make_config("dcgan", {"d_width": 8, "d_norm": "spectral"}))
    D(torch.zeros(1, 1, 28, 28))
    D.eval()  # spectral norm's power iteration stands still: every call below sees the same weights
    real, fake = torch.rand(4, 1, 28, 28) * 2 - 1, torch.rand(4, 1, 28, 28) * 2 - 1
    plain, r1 = make_objective("bce"), make_objective("bce", r1_gamma=2.0, gp_every=4)
    base, _ = plain.d_loss(D, real, fake, None, None)
    x = real.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(D(x).sum(), x)  # per-sample gradients: D scores each image alone
    by_hand = g.square().flatten(1).sum(1).mean()
    loss, stats = r1.d_loss(D, real, fake, None, None, d_iter=8)
    assert stats["gp"] == pytest.approx(by_hand.item(), rel=1e-4)
    assert loss.item() == pytest.approx(base.item() + 2.0 / 2 * 4 * by_hand.item(), rel=1e-4)
    loss.backward()  # the penalty trains D through a double backward
    assert all(p.grad is not None for p in D.parameters())
    off, stats9 = r1.d_loss(D, real, fake, None, None, d_iter=9)  # lazy: only every 4th update
    assert off.item() == pytest.approx(base.item(), rel=1e-5)
    # a logged step between penalty steps shows the latest penalty (log_every 50 never meets every 16th update),
    # and the checkpoint carries it, so a resumed run logs the same
    assert stats9["gp"] == stats["gp"]
    fresh = make_objective("bce", r1_gamma=2.0, gp_every=4)
    assert "gp" not in fresh.d_loss(D, real, fake, None, None, d_iter=1)[1]  # no penalty yet: nothing to show
    fresh.load_state_dict(r1.state_dict())
    assert fresh.d_loss(D, real, fake, None, None, d_iter=10)[1]["gp"] == stats["gp"]
    assert "gp" not in plain.d_loss(D, real, fake, None, None, d_iter=9)[1]  # no R1 at all: no column
    with pytest.raises(
        TrainingError,
        match="r1_gamma applies to the bce and minimax objectives only; wgan-gp-mnist trains with wgan-gp. Leave it 0.",
    ):
        dataclasses.replace(get_recipe("wgan-gp-mnist"), r1_gamma=1.0)


def test_ablation_table_reads_each_curve_at_its_cpu_budgets_and_names_the_processor():
    from training.ablation import fd_at, table

    curve = [{"cpu_seconds": s, "step": 100 * i, "fd": 300.0 - i} for i, s in enumerate(range(60, 661, 60), 1)]
    assert fd_at(curve, 3)["step"] == 300  # the last evaluation within 180 s
    assert fd_at(curve, 12) is None  # the run stopped at 660 s, well before 12 minutes
    rec = {
        "name": "x",
        "recipe": "dcgan-mnist",
        "note": "a variant",
        "hardware": "Intel(R) Xeon(R) Processor, 1 thread(s), torch 2.14.1",
        "curve": curve,
    }
    row = table([rec]).splitlines()[2]
    assert row == (
        "| dcgan-mnist | a variant | Intel Xeon Processor | 297.0 (300) | 294.0 (600) | 292.0 (800) "
        "| 290.0 (1000) | 289.0 (1100, 11 CPU-min) | [x.json](ablation/x.json) |"
    )
    gpu = dict(rec, hardware="NVIDIA H200 (cuda) with a 16-core x86-64 CPU, 1 thread(s)")
    assert table([gpu]).splitlines()[2] == (  # a GPU run's process CPU time is not a CPU-training cost
        "| dcgan-mnist | a variant | NVIDIA H200 (cuda) with a 16-core x86-64 CPU | - | - | - | - "
        "| 289.0 (1100, GPU) | [x.json](ablation/x.json) |"
    )


def test_ablation_collect_of_an_unfinished_run_says_how_to_finish_it(tmp_path, capsys):
    from training.ablation import main

    (tmp_path / "eval.csv").write_text("step,fd,cpu_seconds\n250,300.0,60.0\n")  # stopped: no run.json yet
    with pytest.raises(SystemExit) as e:
        main(["collect", str(tmp_path), "--note", "a variant"])
    assert e.value.code == 2
    assert capsys.readouterr().err == (
        f"error: {tmp_path} has no run.json: the run has not finished. Finish it "
        f"(`python -m training.train NAME --out {tmp_path} --resume`, with --steps=STEP "
        "to end it at its last checkpoint's step), then collect it.\n"
    )


def test_ablation_collect_names_the_record_after_the_run_or_its_name_flag(tmp_path, monkeypatch):
    import json

    from training import ablation

    monkeypatch.setattr(ablation, "HERE", tmp_path / "records")
    run = tmp_path / "gfm-x"
    run.mkdir()
    (run / "eval.csv").write_text("step,fd,cpu_seconds\n250,300.0,60.0\n500,200.0,120.0\n")
    (run / "run.json").write_text(
        json.dumps(
            {
                "recipe": {"name": "gan-mnist"},
                "command": "python -m training.train",
                "hardware": "Intel(R) Xeon(R) Processor, 1 thread(s)",
            }
        )
    )
    assert ablation.collect(run, "a variant") == tmp_path / "records" / "gfm-x.json"
    path = ablation.collect(run, "a variant", name="gan-mnist-x")
    rec = json.loads(path.read_text())
    assert path.name == "gan-mnist-x.json" and rec["name"] == "gan-mnist-x"
    assert rec["curve"] == [
        {"cpu_seconds": 60.0, "step": 250, "fd": 300.0},
        {"cpu_seconds": 120.0, "step": 500, "fd": 200.0},
    ]


@pytest.mark.parametrize(
    "ours, ref, note",
    [
        ((2400, "Intel(R) Xeon(R) Processor, 1 thread(s)"), (2500, 2500, "Intel(R) Xeon(R) Processor, 1 thread"), ""),
        (
            (2400, "Intel(R) Xeon(R) Processor, 1 thread(s)"),
            (2000, 2000, "Intel(R) Xeon(R) Processor, 1 thread"),
            " (ref. to re-run)",
        ),
        (
            (2400, "Intel(R) Xeon(R) Processor, 1 thread(s)"),
            (3000, 3000, "Intel(R) Xeon(R) Processor, 1 thread"),
            " (ref. had more)",
        ),
        (
            (2400, "Intel(R) Xeon(R) Processor, 1 thread(s)"),
            (3000, 2214, "Intel(R) Xeon(R) Processor, 1 thread"),
            " (ref. ran to its end at 36.9 min)",
        ),
        (
            (2400, "Intel(R) Xeon(R) Processor, 1 thread(s)"),
            (3000, 3000, "AMD EPYC, 1 thread"),
            " (ref. to re-run: other processor)",
        ),
    ],
)
def test_reference_budget_note_compares_cpu_seconds_on_one_processor_only(ours, ref, note):
    from training.report import budget_note

    assert budget_note(*ours, *ref) == note


def test_hardware_names_the_gpu_only_for_a_cuda_run():
    cpu = hardware("cpu")
    assert cpu == hardware() and "(cuda)" not in cpu and cpu.endswith(f"torch {torch.__version__}")
    if torch.cuda.is_available():
        assert hardware("cuda").startswith(f"{torch.cuda.get_device_name()} (cuda) with ")


@pytest.mark.parametrize(
    "version, overrides",
    [
        ("v4", ["--ema=0.999", "--steps=8000", "--decay_from=0"]),
        ("v3", ["--ema=0.999", "--seed=7"]),  # v3's model has no d_layers: a command from v5 would add v5's
        (None, ["--model.cycle_weight=1.5"]),
        ("v3", []),
    ],
)
def test_reproduce_command_rebuilds_the_recipe(version, overrides):
    """The recorded command, parsed back (its one --version and overrides), gives exactly the run's recipe: it names
    the literal its values differ from (before: `--version=` for a changed recipe, which names none)."""
    name = "cyclegan-mnist-fashion-mnist"
    recipe = apply_overrides(get_recipe(name, version), overrides)
    opts = ["--out", "runs/x", "--version", "v2", "--threads", "1", "--version=v3"]  # the user's --version is replaced
    words = reproduce_command(recipe, opts, overrides).split()
    assert words[:8] == ["python", "-m", "training.train", name, "--out", "runs/x", "--threads", "1"]
    (named,) = [w.split("=", 1)[1] for w in words if w.startswith("--version")]
    assert named == recipe.version or not recipe.version  # its own literal; a changed recipe: the newest that fits
    assert apply_overrides(get_recipe(name, named), [w for w in words[8:] if not w.startswith("--version")]) == recipe


def test_without_positional_finds_the_recipe_name_anywhere():
    argv = ["--threads", "1", "--out", "dcgan-mnist", "dcgan-mnist", "--quiet"]
    assert without_positional(argv, "dcgan-mnist") == ["--threads", "1", "--out", "dcgan-mnist", "--quiet"]
    assert without_positional(["dcgan-mnist", "--steps=3"], "dcgan-mnist") == ["--steps=3"]
