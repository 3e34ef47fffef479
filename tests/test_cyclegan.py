"""CycleGAN (issue 38): the translation model, its training objective, exact resume, ONNX and the CLI."""

from __future__ import annotations

import json
import os
import re

import numpy as np
import pytest
import torch

import ganzoo
from ganzoo.cli import main as cli
from training.objectives import ImagePool
from training.recipes import RECIPES, apply_overrides, get_recipe
from training.train import main as train

from .test_training import read_log

NAME = "cyclegan-mnist-fashion-mnist"
# a few steps of a tiny network on the synthetic data sets; the rates decay from step 1 (0-based: the second
# update keeps the full rate), so a run resumed at step 2 continues the linear decay
TINY_RUN = [
    "--subset=64",
    "--batch_size=4",
    "--log_every=1",
    "--sample_every=2",
    "--ckpt_every=2",
    "--eval_every=0",
    "--decay_from=1",
    "--threads=1",
    "--quiet",
    "--model.g_width=4",
    "--model.g_blocks=1",
    "--model.d_width=4",
    "--model.pool_size=3",  # full after one step: the swaps (and their random draws) happen within the run
]


TINY_CFG = {"g_width": 4, "g_blocks": 1, "d_width": 4}


@pytest.fixture
def model(translator) -> ganzoo.model.TranslationModel:
    return translator  # conftest's tiny CycleGAN


def test_zoo_entry_recipe_and_listing(capsys):
    e = ganzoo.registry.ZOO[NAME]
    assert e.domains == ("mnist", "fashion-mnist") and "cyclegan-mnist" not in ganzoo.registry.ZOO
    r = get_recipe(NAME)
    assert r.version == e.version and r.objective == "cyclegan" and r.model_config().domains == e.domains
    assert 0 < r.decay_from < r.steps  # linear decay over the second half, as the paper
    assert cli(["list", "cyclegan-*", "--all"]) == 0
    assert "mnist<>fashion-mnist" in capsys.readouterr().out
    assert cli(["list", "cyclegan-*", "--all", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["domains"] == ["mnist", "fashion-mnist"]
    assert ganzoo.info(NAME)["domains"] == ["mnist", "fashion-mnist"]


def test_recipe_refuses_mismatched_domains_and_objectives():
    r = RECIPES[NAME]
    with pytest.raises(ganzoo.GanzooError, match="domain_a is 'fashion-mnist' but dataset is 'mnist'"):
        apply_overrides(r, ["--model.domain_a=fashion-mnist", "--model.domain_b=mnist"])
    with pytest.raises(ganzoo.GanzooError, match="domain_a and domain_b must differ"):
        apply_overrides(r, ["--model.domain_b=mnist"])
    with pytest.raises(ganzoo.GanzooError, match="differ in shape"):
        apply_overrides(r, ["--model.domain_b=cifar10"])
    with pytest.raises(ganzoo.GanzooError, match="trains with the cyclegan objective, and only it"):
        apply_overrides(r, ["--objective=bce"])


def test_translate_shapes_and_directions(model):
    assert model.domains == ("mnist", "fashion-mnist") and model.latent_dim == 0
    x = torch.rand(5, 1, 28, 28)
    y = model.translate(x, to="fashion-mnist")
    assert y.shape == x.shape and 0 <= y.min() and y.max() <= 1
    with torch.no_grad():  # the translator into fashion-mnist is g_ab, in [-1, 1] inside
        ref = ((model.generator.g_ab(x * 2 - 1) + 1) / 2).clamp(0, 1)
    torch.testing.assert_close(y, ref)
    torch.testing.assert_close(model.translate(x[2], to="fashion-mnist"), y[2])  # (C, H, W) in, (C, H, W) out
    back = model.translate(y, to="mnist", source="fashion-mnist")
    with torch.no_grad():
        torch.testing.assert_close(back, ((model.generator.g_ba(y * 2 - 1) + 1) / 2).clamp(0, 1))
    assert torch.equal(model.translate(x, to="Fashion-MNIST"), y)  # domain names are case-insensitive
    pil = model.to_pil(x[:2])  # PIL images in: the same as the tensor they were made from, to 8 bits
    torch.testing.assert_close(model.translate(pil, to="fashion-mnist"), y[:2], atol=0.02, rtol=0)


@pytest.mark.parametrize(
    "images, kw, message",
    [
        (torch.rand(2, 1, 28, 28), {"to": "cifar10"}, "to='cifar10' is not a domain of .* 'mnist' and 'fashion-mnist'"),
        (torch.rand(2, 1, 28, 28), {"to": 3}, "to=3 is not a domain"),
        (torch.rand(2, 1, 28, 28), {"to": "mnist", "source": "mnist"}, "source and to are both 'mnist'.*'fashion"),
        (torch.rand(2, 1, 28, 28), {"to": "mnist", "source": "svhn"}, "source='svhn' is not a domain"),
        (torch.rand(2, 3, 28, 28), {"to": "mnist"}, r"shape \(N, 1, 28, 28\).*got \(2, 3, 28, 28\)"),
        (torch.rand(2, 1, 32, 32), {"to": "mnist"}, r"shape \(N, 1, 28, 28\).*got \(2, 1, 32, 32\)"),
        (torch.rand(2, 1, 28, 28) * 255, {"to": "mnist"}, r"in \[0, 1\]"),
        ("digit.png", {"to": "mnist"}, "tensor in .0, 1. .* or PIL images"),
    ],
)
def test_translate_bad_input(model, images, kw, message):
    with pytest.raises(ganzoo.GanzooError, match=message):
        model.translate(images, **kw)


def test_pil_of_the_wrong_size_is_refused(model):
    from PIL import Image

    with pytest.raises(ganzoo.GanzooError, match="size 32x32 does not match the model's 28x28"):
        model.translate(Image.new("L", (32, 32)), to="mnist")


@pytest.mark.parametrize("method", ["sample", "generate", "sample_latent", "interpolate", "invert", "steer"])
def test_latent_methods_name_translate(model, method):
    with pytest.raises(ganzoo.GanzooError, match=rf"{method}\(\) works in a latent space.*translate\(images, to="):
        getattr(model, method)(4)


def test_latent_spaces_name_translate(model, tmp_path, capsys):
    """A translator has no z, w or w+: checking a space (steer, invert, to_space) says so, not 'has only z'."""
    for space in ("z", "w", "w+"):
        want = rf"space='{re.escape(space)}' names a latent space, and .* has none"
        with pytest.raises(ganzoo.GanzooError, match=want):
            model.latent_shape(space)
    out = tmp_path / "x.png"
    assert cli(["steer", str(model.folder), "--toward", "1", "--space", "w", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: space='w' names a latent space") and "translate(images, to=" in err
    assert err.count("\n") == 1 and not out.exists()


def test_image_pool_follows_the_reference_rule():
    pool, noise = ImagePool(3), torch.Generator().manual_seed(0)
    first = torch.arange(2.0).reshape(2, 1, 1, 1)
    assert torch.equal(pool.query(first, noise), first)  # filling: passed through and kept
    x = torch.arange(10.0, 14.0).reshape(4, 1, 1, 1)
    out = pool.query(x, torch.Generator().manual_seed(1))
    assert torch.equal(out[0], x[0])  # the third slot was still free
    held = set(pool.images.flatten().tolist())
    # every image given out is a new one or one held before, and the pool holds each image once
    assert len(held) == 3 and set(out.flatten().tolist()) <= {0.0, 1.0, *x.flatten().tolist()}
    restored = ImagePool(3)
    restored.load_state_dict(pool.state_dict())
    assert torch.equal(restored.images, pool.images)
    assert torch.equal(ImagePool(0).query(x, noise), x)  # size 0: no pool


def test_discriminator_depth_sets_the_patch_size():
    from ganzoo.models import build, make_config

    x = torch.rand(2, 1, 28, 28, requires_grad=True)
    for layers, side, whole in ((2, 7, False), (3, 3, True)):
        torch.manual_seed(0)
        cfg = make_config("cyclegan", {"g_width": 4, "g_blocks": 1, "d_width": 4, "d_layers": layers})
        d_a = build("cyclegan", cfg)[1].d_a
        out = d_a(x)
        assert out.shape == (2, 1, side, side), layers
        # the receptive field: does the centre score see every pixel through the convs? (instance norm's
        # statistics reach every pixel whatever the depth, so it is left out here)
        d_a.net = torch.nn.Sequential(*(m for m in d_a.net if not isinstance(m, torch.nn.InstanceNorm2d)))
        (grad,) = torch.autograd.grad(d_a(x)[0, 0, side // 2, side // 2], x)
        assert bool((grad[0, 0] != 0).all()) == whole, layers
    # two layers keep the parameter names of the checkpoints written before d_layers existed
    keys = ["net.0.bias", "net.0.weight", "net.2.bias", "net.2.weight", "net.5.bias", "net.5.weight"]
    assert sorted(build("cyclegan", make_config("cyclegan", TINY_CFG))[1].d_a.state_dict()) == keys
    with pytest.raises(ValueError, match=re.escape("d_layers=4 halves a 28x28 image below 2x2; use at most 3")):
        make_config("cyclegan", {**TINY_CFG, "d_layers": 4})


def test_cycle_scale_b_weighs_the_b_cycle_apart(tmp_path, data_root):
    """At the first step (same seed: same networks and batches) loss_g - adv - identity_weight * identity is
    3 |a cycle| + 3 |b cycle| by default, 3 |a cycle| + 1.5 |b cycle| with cycle_scale_b=0.5 (both cycles logged)."""
    from ganzoo.models import make_config

    assert make_config("cyclegan", TINY_CFG).cycle_weights == (10.0, 10.0)
    assert make_config("cyclegan", {**TINY_CFG, "cycle_scale_b": 0.25}).cycle_weights == (10.0, 2.5)
    message = "cycle_scale_b must be >= 0 (1: the B cycle weighs as the A cycle), got -1"
    with pytest.raises(ValueError, match=re.escape(message)):
        make_config("cyclegan", {**TINY_CFG, "cycle_scale_b": -1})
    rows = []
    before = torch.get_num_threads()
    try:
        for i, extra in enumerate(([], ["--model.cycle_scale_b=0.5"])):
            out = tmp_path / str(i)
            train([NAME, "--out", str(out), "--steps=1", "--model.cycle_weight=3", "--data-root", str(data_root),
                   *TINY_RUN, "--decay_from=0", *extra])  # fmt: skip
            rows.append({k: float(v) for k, v in read_log(out / "log.csv")[0].items()})
    finally:
        torch.set_num_threads(before)
    idt_w = RECIPES[NAME].model.get("identity_weight", 5.0)
    rest = [r["loss_g"] - r["adv_g"] - idt_w * r["identity"] for r in rows]
    ca, cb = rows[0]["cycle_a"], rows[0]["cycle_b"]
    assert rows[1]["cycle_a"] == ca and rows[1]["cycle_b"] == cb and ca != cb
    assert rows[0]["cycle"] == pytest.approx(ca + cb, rel=1e-6)
    assert rest[0] == pytest.approx(3 * ca + 3 * cb, rel=1e-5)
    assert rest[1] == pytest.approx(3 * ca + 1.5 * cb, rel=1e-5)  # the b cycle at half weight, the a cycle's kept


def _first_step_rest(tmp_path, data_root, option: str, weights: tuple, extra: tuple = ()) -> tuple[list, list]:
    """One tiny step per weight of model.OPTION (and the EXTRA options): the logged rows, and each loss_g less its
    adversarial, cycle and identity parts (what an extra term adds)."""
    from ganzoo.models import make_config

    rows = []
    before = torch.get_num_threads()
    try:
        for i, w in enumerate(weights):
            out = tmp_path / str(i)
            train([NAME, "--out", str(out), "--steps=1", "--data-root", str(data_root), *TINY_RUN,
                   "--decay_from=0", f"--model.{option}={w}", *extra])  # fmt: skip
            rows.append({k: float(v) for k, v in read_log(out / "log.csv")[0].items()})
    finally:
        torch.set_num_threads(before)
    cfg = make_config("cyclegan", RECIPES[NAME].model)
    wa, wb = cfg.cycle_weights
    rest = [r["loss_g"] - r["adv_g"] - wa * r["cycle_a"] - wb * r["cycle_b"] - cfg.identity_weight * r["identity"]
            for r in rows]  # fmt: skip
    return rows, rest


def test_distance_term(tmp_path, data_root):
    """distance_loss is 0 for translations that keep every pair's relative distance (an affine map of the
    batch), about 1 for unrelated ones, finite in its gradient when every translation is the same image; with
    distance_weight w the generators' loss holds w x the logged distance term (0 and not logged at weight 0)."""
    from ganzoo.models import make_config
    from training.objectives import distance_loss

    g = torch.Generator().manual_seed(0)
    x = torch.rand(8, 1, 28, 28, generator=g)
    assert distance_loss(x, 0.5 * x - 0.2).item() == pytest.approx(0, abs=1e-5)
    assert distance_loss(x, torch.rand(8, 1, 28, 28, generator=g)).item() > 0.5
    y = torch.zeros(8, 1, 28, 28, requires_grad=True)
    distance_loss(x, y).backward()
    assert bool(torch.isfinite(y.grad).all())
    with pytest.raises(ValueError, match=re.escape("distance_weight must be >= 0, got -1")):
        make_config("cyclegan", {**TINY_CFG, "distance_weight": -1})
    rows, rest = _first_step_rest(tmp_path, data_root, "distance_weight", (0, 2))
    assert rows[0]["distance"] == 0 and rest[0] == pytest.approx(0, abs=1e-5)
    assert rows[1]["distance"] > 0.1 and rest[1] == pytest.approx(2 * rows[1]["distance"], rel=1e-4)


def test_mapping_term(tmp_path, data_root):
    """mapping_mi, with classifiers that read a class for sure: ln 10 for a one-to-one mapping of ten balanced
    classes, H(target) for a many-to-one mapping, 0 for a collapse or independent classes; its gradient reaches the
    translations only; with mapping_weight w the generators' loss holds -w x the logged term; the classifier that
    reads it is a steering ensemble member, never ganzoo's own."""
    import math

    from ganzoo.models import make_config
    from training.objectives import MAPPING_MEMBER, mapping_classifier, mapping_mi

    assert MAPPING_MEMBER.startswith("allconv")  # ganzoo's classifier (FD, mapping share) stays out of training
    assert isinstance(mapping_classifier("mnist")((torch.rand(2, 1, 28, 28)))[1], torch.Tensor)

    class Sure(torch.nn.Module):  # reads an image's class from its first pixel, (B, 1, 28, 28) -> logits
        def forward(self, v):
            c = (v[:, 0, 0, 0] * 10).long().clamp(0, 9)
            return None, torch.nn.functional.one_hot(c, 10).float() * 40 + v[:, 0, 0, :1] * 0

    def images(classes):  # in [-1, 1], first pixel encoding the class
        x = torch.zeros(len(classes), 1, 28, 28)
        x[:, 0, 0, 0] = (torch.tensor(classes).float() + 0.5) / 10
        return x * 2 - 1

    sure = Sure()
    src = [c for c in range(10) for _ in range(4)]  # 40 images, balanced
    perm = [(c * 3 + 1) % 10 for c in src]  # one-to-one
    two = [c % 2 for c in src]  # many-to-one: ten classes onto two, evenly
    spread = [(c + i % 4) % 10 for i, c in enumerate(src)]  # each source class evenly over four target classes
    assert mapping_mi(sure, sure, images(src), images(perm)).item() == pytest.approx(math.log(10), abs=1e-4)
    assert mapping_mi(sure, sure, images(src), images(two)).item() == pytest.approx(math.log(2), abs=1e-4)
    assert mapping_mi(sure, sure, images(src), images([5] * 40)).item() == pytest.approx(0, abs=1e-4)
    # a source class spread evenly over four classes: ln 10 - ln 4 (H(target) - H(target | source))
    assert mapping_mi(sure, sure, images(src), images(spread)).item() == pytest.approx(math.log(10 / 4), abs=1e-4)
    xg, yg = images(src).requires_grad_(True), images(perm).requires_grad_(True)
    mapping_mi(sure, sure, xg, yg).backward()
    assert xg.grad is None and yg.grad is not None
    with pytest.raises(ValueError, match=re.escape("mapping_weight must be >= 0, got -1")):
        make_config("cyclegan", {**TINY_CFG, "mapping_weight": -1})
    # 1000: the synthetic images' term is tiny (about 1e-5)
    rows, rest = _first_step_rest(tmp_path, data_root, "mapping_weight", (0, 1000))
    assert rows[0]["mapping_mi"] == 0 and rest[0] == pytest.approx(0, abs=1e-5)
    assert rows[1]["mapping_mi"] > 0 and rest[1] == pytest.approx(-1000 * rows[1]["mapping_mi"], rel=1e-3)
    # mapping_scale_b s weighs the B -> A term alone: the loss holds -w (mi_a + s mi_b), the log mi_a + mi_b
    with pytest.raises(ValueError, match=re.escape("mapping_scale_b must be >= 0 (1: the B mapping term weighs")):
        make_config("cyclegan", {**TINY_CFG, "mapping_scale_b": -1})
    rows, rest = _first_step_rest(
        tmp_path / "s", data_root, "mapping_scale_b", (0, 1, 3), ("--model.mapping_weight=1000",)
    )
    assert rows[0]["mapping_mi"] == rows[1]["mapping_mi"] == rows[2]["mapping_mi"] > 0  # the same first step
    mi_b = (rest[0] - rest[1]) / 1000  # scale 0 leaves out w mi_b
    assert mi_b > 0 and rest[1] - rest[2] == pytest.approx(2 * 1000 * mi_b, rel=1e-2)
    assert rest[0] == pytest.approx(-1000 * (rows[0]["mapping_mi"] - mi_b), rel=1e-2)


def test_training_resumes_bit_exactly(tmp_path, data_root):
    """A run interrupted at step 2 and resumed equals an uninterrupted one: weights, the image pools (in the
    checkpoint), both data streams and the learning-rate decay."""
    args = ["--data-root", str(data_root), *TINY_RUN]
    before = torch.get_num_threads()
    try:
        train([NAME, "--out", str(tmp_path / "a"), "--steps=4", *args])
        train([NAME, "--out", str(tmp_path / "b"), "--steps=2", *args])
        ck = torch.load(tmp_path / "b" / "ckpt.pt", weights_only=True)
        assert ck["batches_b"] == 2 and len(ck["objective"]["pool_a"]["images"]) == 3
        train([NAME, "--out", str(tmp_path / "b"), "--steps=4", "--resume", *args])
    finally:
        torch.set_num_threads(before)
    logs = [
        [{k: v for k, v in row.items() if k != "images_per_s"} for row in read_log(tmp_path / r / "log.csv")]
        for r in "ab"
    ]
    assert logs[0] == logs[1] and [row["step"] for row in logs[0]] == ["1", "2", "3", "4"]
    ca = torch.load(tmp_path / "a" / "ckpt.pt", weights_only=True)
    cb = torch.load(tmp_path / "b" / "ckpt.pt", weights_only=True)
    for part in ("G", "D"):
        assert all(torch.equal(ca[part][k], cb[part][k]) for k in ca[part])
    assert torch.equal(ca["objective"]["pool_b"]["images"], cb["objective"]["pool_b"]["images"])
    m = ganzoo.load(tmp_path / "a" / "model", discriminator=True)
    assert isinstance(m, ganzoo.model.TranslationModel) and m.domains == ("mnist", "fashion-mnist")
    assert sorted(m.discriminator.state_dict())[0].startswith("d_a.")
    from PIL import Image

    # the sample grid: 8 A images, their translations, 8 B images, their translations
    assert Image.open(tmp_path / "a" / "model" / "samples.png").size == (8 * 30 + 2, 4 * 30 + 2)


def test_late_cycle_weight_acts_from_decay_from_and_a_fork_there_is_exact(tmp_path, data_root):
    """late_cycle_weight replaces cycle_weight for the updates from decay_from on (the logged loss says which
    weight acted); a run stopped at decay_from and resumed with it set equals a fresh run of that recipe (one
    first phase shared by two second phases); past decay_from the change is refused, as it would rewrite history."""
    from ganzoo.models import make_config
    from ganzoo.errors import TrainingError

    cfg = make_config("cyclegan", {**TINY_CFG, "cycle_weight": 3, "late_cycle_weight": 7, "cycle_scale_b": 0.5})
    assert cfg.cycle_weights == cfg.cycle_weights_at(False) == (3, 1.5) and cfg.cycle_weights_at(True) == (7, 3.5)
    assert make_config("cyclegan", TINY_CFG).cycle_weights_at(True) == (10.0, 10.0)  # 0: cycle_weight throughout
    with pytest.raises(ValueError, match=re.escape("late_cycle_weight must be >= 0, got -1")):
        make_config("cyclegan", {**TINY_CFG, "late_cycle_weight": -1})
    args = ["--data-root", str(data_root), *TINY_RUN, "--model.cycle_weight=3"]
    before = torch.get_num_threads()
    try:
        train([NAME, "--out", str(tmp_path / "a"), "--steps=4", *args, "--decay_from=2", "--model.late_cycle_weight=7"])
        train([NAME, "--out", str(tmp_path / "b"), "--steps=2", *args, "--decay_from=0"])  # stopped at decay_from
        train([NAME, "--out", str(tmp_path / "b"), "--steps=4", "--decay_from=2", "--resume",
               "--data-root", str(data_root), "--model.late_cycle_weight=7"])  # fmt: skip
        message = (
            "--resume cannot change the cycle weight of updates already taken: update 3 of the checkpoint's 4 ran "
            "with cycle weights 7 / 7, the new recipe gives it cycle weights 9 / 9"
        )
        with pytest.raises(TrainingError, match=re.escape(message)):
            train([NAME, "--out", str(tmp_path / "b"), "--resume", "--data-root", str(data_root),
                   "--model.late_cycle_weight=9"])  # fmt: skip
    finally:
        torch.set_num_threads(before)
    rows = [{k: float(v) for k, v in row.items()} for row in read_log(tmp_path / "a" / "log.csv")]
    idt_w = RECIPES[NAME].model.get("identity_weight", 5.0)
    for r, w in zip(rows, (3, 3, 7, 7)):  # updates 0, 1 before decay_from=2; 2, 3 from it on
        rest = (
            r["loss_g"] - r["adv_g"] - idt_w * r["identity"] + RECIPES[NAME].model["mapping_weight"] * r["mapping_mi"]
        )
        assert rest == pytest.approx(w * r["cycle_a"] + w * r["cycle_b"], rel=1e-4), (r["step"], w)
    logs = [[{k: v for k, v in row.items() if k != "images_per_s"} for row in read_log(tmp_path / r / "log.csv")]
            for r in "ab"]  # fmt: skip
    assert logs[0] == logs[1]
    ca = torch.load(tmp_path / "a" / "ckpt.pt", weights_only=True)
    cb = torch.load(tmp_path / "b" / "ckpt.pt", weights_only=True)
    assert all(torch.equal(ca["G"][k], cb["G"][k]) for k in ca["G"])
    run = json.loads((tmp_path / "b" / "run.json").read_text())
    assert run["recipe"]["model"]["late_cycle_weight"] == 7 and "--model.late_cycle_weight=7" in run["command"]


def test_resume_keeps_the_cycle_weight_of_updates_taken():
    """With late_cycle_weight set, moving decay_from across an update already taken changes its cycle weight
    (which the learning-rate check does not see: the rate at decay_from is still 1): refused. Spelling out the
    default (0) on a run saved without the key changes nothing: allowed."""
    from ganzoo.errors import TrainingError
    from training.recipes import resume_overrides

    saved = apply_overrides(get_recipe(NAME), ["--steps=4", "--decay_from=2", "--model.late_cycle_weight=7"])
    for overrides, step in ((["--decay_from=1"], 2), (["--decay_from=3", "--steps=8"], 3), (["--decay_from=0"], 3)):
        with pytest.raises(TrainingError, match=r"cannot change the cycle weight of updates already taken"):
            resume_overrides(saved, overrides, step)
    assert resume_overrides(saved, ["--steps=8", "--decay_from=6"], 2).decay_from == 6  # no late update taken yet
    plain = apply_overrides(get_recipe(NAME), ["--steps=4", "--decay_from=2"])
    assert resume_overrides(plain, ["--model.late_cycle_weight=0"], 3).model["late_cycle_weight"] == 0
    with pytest.raises(TrainingError, match=r"--resume cannot change model"):
        resume_overrides(plain, ["--model.late_cycle_weight=7", "--model.g_width=8"], 1)


def test_training_evaluates_translations(tmp_path, data_root):
    """The selection metric of a translation run: classifier FD of translations in each target domain (their
    mean is `fd`) and the cycle error; the best step's model is the run's model."""
    out = tmp_path / "run"
    args = [x for x in TINY_RUN if not x.startswith("--eval_every")]
    res = train(
        [NAME, "--out", str(out), "--data-root", str(data_root), "--steps=2", "--eval_every=2", "--eval_n=16", *args]
    )
    assert res["best_step"] == 2
    (row,) = read_log(out / "eval.csv")
    fd_ab, fd_ba, cycle = float(row["fd_ab"]), float(row["fd_ba"]), float(row["cycle_mse"])
    assert float(row["fd"]) == pytest.approx((fd_ab + fd_ba) / 2) and fd_ab > 0 and fd_ba > 0 and 0 < cycle < 1
    model = ganzoo.load(out / "model")
    assert model.config["training"]["selection_fd_train"] == pytest.approx(float(row["fd"]))
    # the logged mapping shares are those of the saved model's translations of the same 16 training images
    from ganzoo.datasets import load_idx_split
    from ganzoo.metrics import class_table, features, load_classifier, mapping_summary

    for key, src, dst in (("ab", "mnist", "fashion-mnist"), ("ba", "fashion-mnist", "mnist")):
        x, labels = load_idx_split(src, "train", data_root)
        x = torch.from_numpy(x[:16].copy()).float().div(255)[:, None]
        _, pred = features(load_classifier(dst), model.translate(x, to=dst))
        s = mapping_summary(class_table(torch.from_numpy(labels[:16]), pred))
        assert float(row[f"mapping_{key}"]) == pytest.approx(s["mapping_share"], abs=1e-6)
        assert float(row[f"one_to_one_{key}"]) == pytest.approx(s["mapping_share_one_to_one"], abs=1e-6)
        assert 0 < s["mapping_share_one_to_one"] <= s["mapping_share"] <= 1


@pytest.mark.slow  # seconds of work: the full suite (the README's test command) runs it, `-m "not slow"` skips it
def test_export_both_directions_and_runtime(model, tmp_path):
    from ganzoo.export import verify_translator
    from ganzoo.runtime import OnnxGenerator, OnnxGeneratorError, OnnxTranslator

    x = torch.rand(3, 1, 28, 28)
    for to, src in (("fashion-mnist", "mnist"), ("mnist", "fashion-mnist")):
        path = model.export_onnx(tmp_path / f"to-{to}.onnx", to=to)  # verified at batch 1, 7, 64
        assert max(verify_translator(model, path, batch_sizes=(2, 5)).values()) <= 1e-4
        rt = OnnxTranslator(path)
        assert (rt.source_domain, rt.target_domain, rt.domains) == (src, to, ("mnist", "fashion-mnist"))
        np.testing.assert_allclose(rt.translate(x.numpy()), model.translate(x, to=to).numpy(), atol=1e-4)
        assert rt.translate(x[0].numpy()).shape == (1, 28, 28)
    with pytest.raises(OnnxGeneratorError, match=r"translates images \(fashion-mnist -> mnist\).*OnnxTranslator"):
        OnnxGenerator(path)
    with pytest.raises(OnnxGeneratorError, match=r"shape \(N, 1, 28, 28\)"):
        rt.translate(np.zeros((2, 28, 28), np.float32))
    with pytest.raises(OnnxGeneratorError, match=r"in \[0, 1\]"):
        rt.translate(np.full((1, 1, 28, 28), 2.0, np.float32))
    with pytest.raises(ganzoo.GanzooError, match="one direction per file: pass to='fashion-mnist'"):
        model.export_onnx(tmp_path / "x.onnx")


def test_cli_translate_writes_originals_above_translations(model, tmp_path, capsys):
    from PIL import Image

    files = []
    for i in range(3):
        files.append(tmp_path / f"d{i}.png")
        Image.fromarray((np.random.default_rng(i).random((28, 28)) * 255).astype(np.uint8)).save(files[-1])
    out = tmp_path / "out.png"
    assert cli(["translate", str(model.folder), *map(str, files), "--to", "fashion-mnist", "-o", str(out)]) == 0
    assert "wrote 3 originals (top) and their fashion-mnist translations (bottom)" in capsys.readouterr().out
    grid = np.asarray(Image.open(out).convert("L"), dtype=np.float32) / 255
    assert grid.shape == (2 * 30 + 2, 3 * 30 + 2)
    want = model.translate([Image.open(f) for f in files], to="fashion-mnist")
    got = torch.from_numpy(np.stack([grid[32:60, 2 + 30 * i : 30 + 30 * i] for i in range(3)]))[:, None]
    assert (got - want).abs().max() <= 1 / 255 + 1e-6
    for argv, message in (
        (["--to", "cifar10"], "--to='cifar10' is not a domain"),
        (["--to", "mnist", "--from", "mnist"], "--from and --to are both 'mnist'"),
        ([], "--to"),
    ):
        assert cli(["translate", str(model.folder), str(files[0]), "-o", str(out), *argv]) == 2
        assert message in capsys.readouterr().err
    assert cli(["sample", str(model.folder), "-o", str(out)]) == 2
    assert "sample() works in a latent space" in capsys.readouterr().err


def test_evaluation_of_both_directions(model, data_root, tmp_path, capsys):
    from ganzoo.datasets import load_idx_split
    from ganzoo.metrics import evaluate_translation

    res = evaluate_translation(model, n=40, root=data_root)
    m = res["metrics"]
    assert set(m) == {
        "fd_mnist_to_fashion-mnist",
        "fd_fashion-mnist_to_mnist",
        "cycle_mse_mnist",
        "cycle_mse_fashion-mnist",
        *(
            f"{k}_{d}"
            for k in ("mapping_share", "mapping_classes", "mapping_share_one_to_one", "top_target_share")
            for d in ("mnist_to_fashion-mnist", "fashion-mnist_to_mnist")
        ),
    }
    x = torch.from_numpy(load_idx_split("mnist", "test", data_root)[0][:40].copy()).float().div(255)[:, None]
    back = model.translate(model.translate(x, to="fashion-mnist"), to="mnist")
    assert m["cycle_mse_mnist"] == pytest.approx(float((back - x).square().mean()), rel=1e-5)
    t = res["tables"]["mnist_to_fashion-mnist"]
    counts = torch.tensor(t["counts"])
    assert counts.sum() == 40 and counts.sum(1).tolist() == [4] * 10  # the synthetic labels cycle 0..9
    assert t["share"] == [round(float(r.max() / 4), 4) for r in counts]
    assert m["mapping_share_mnist_to_fashion-mnist"] == pytest.approx(sum(t["share"]) / 10, abs=1e-4)
    # the one-to-one view of the same table: distinct classes, a different class per source class, top share
    assert m["mapping_classes_mnist_to_fashion-mnist"] == len(set(t["target_class"]))
    assert sorted(t["one_to_one_class"]) == list(range(10))
    assert t["one_to_one_share"] == [round(float(counts[i, j] / 4), 4) for i, j in enumerate(t["one_to_one_class"])]
    one = m["mapping_share_one_to_one_mnist_to_fashion-mnist"]
    assert (
        one == pytest.approx(sum(t["one_to_one_share"]) / 10, abs=1e-4)
        and one <= m["mapping_share_mnist_to_fashion-mnist"]
    )
    assert m["top_target_share_mnist_to_fashion-mnist"] == pytest.approx(float(counts.sum(0).max() / 40))
    assert 0 < m["fd_mnist_to_fashion-mnist"] and res["protocol"]["n_translated"] == 40
    out = tmp_path / "eval.json"
    assert cli(["eval", str(model.folder), "--n", "40", "--data-root", str(data_root), "--json", str(out)]) == 0
    assert (
        "mnist -> fashion-mnist: source class -> most common target class (share); one-to-one class (share)"
        in capsys.readouterr().out
    )
    assert json.loads(out.read_text())["metrics"]["cycle_mse_mnist"] == pytest.approx(m["cycle_mse_mnist"])


def _brute_force(w: list[list[float]]) -> float:
    import itertools

    return max(sum(w[i][j] for i, j in enumerate(p)) for p in itertools.permutations(range(len(w[0])), len(w)))


def test_best_assignment_matches_brute_force():
    from ganzoo.metrics import best_assignment

    rng = np.random.default_rng(0)
    for shape in [(5, 5)] * 20 + [(3, 5), (1, 4), (4, 6)]:  # square, and fewer rows than columns
        w = rng.integers(0, 20, shape).tolist()
        cols = best_assignment(w)
        assert len(set(cols)) == shape[0] and sum(w[i][j] for i, j in enumerate(cols)) == _brute_force(w)
    # 10x10 with a known optimum: a permutation's cells hold 100, every other cell 1..90 (any other assignment
    # trades at least two of the 100s for cells of at most 90)
    for seed in range(3):
        r = np.random.default_rng(seed)
        perm = r.permutation(10).tolist()
        w = r.integers(1, 91, (10, 10))
        w[np.arange(10), perm] = 100
        assert best_assignment(w.tolist()) == perm
    # a 10x10 whose optimum is not the rows' maxima: row 0 and row 1 both prefer column 0
    w = np.eye(10).tolist()
    w[0] = [5, 4] + [0] * 8
    w[1] = [6, 1] + [0] * 8
    assert best_assignment(w)[:2] == [1, 0]  # 4 + 6 beats 5 + 1
    with pytest.raises(ValueError, match="rows <= columns"):
        best_assignment([[1.0, 2.0]] * 3)


def test_mapping_summary_of_a_collapse_and_a_permutation():
    from ganzoo.metrics import mapping_summary

    collapse = [[0] * 3 + [100] + [0] * 6 for _ in range(10)]  # every source class becomes target class 3
    s = mapping_summary(collapse)
    assert s["mapping_share"] == 1.0 and s["mapping_classes"] == 1 and s["top_target_share"] == 1.0
    assert s["mapping_share_one_to_one"] == pytest.approx(0.1)  # one class keeps its share, nine get 0
    perm = [7, 2, 9, 0, 4, 1, 8, 3, 6, 5]
    table = [[90 if j == perm[i] else (10 if j == perm[(i + 1) % 10] else 0) for j in range(10)] for i in range(10)]
    s = mapping_summary(table)
    assert s["mapping_classes"] == 10 and s["one_to_one_class"] == perm and s["target_class"] == perm
    assert s["mapping_share"] == s["mapping_share_one_to_one"] == pytest.approx(0.9)
    assert s["top_target_share"] == pytest.approx(0.1)
    s = mapping_summary([[0] * 10 if i == 4 else [int(i == j) for j in range(10)] for i in range(10)])
    assert s["mapping_share_one_to_one"] == 1.0 and s["mapping_classes"] == 9  # an absent class is left out


def test_mapping_benchmark_reads_with_every_classifier(model, data_root, tmp_path, capsys):
    """benchmarks/cyclegan_mapping.py: ganzoo's classifier's reading equals `ganzoo eval`'s mapping numbers on the
    same images; every other reader (the two ensemble members, the judges) gives its own; a latent model is
    refused with a clear error."""
    import importlib.util

    from ganzoo.folder import sha256_file
    from ganzoo.metrics import evaluate_translation

    spec = importlib.util.spec_from_file_location("cyclegan_mapping", "benchmarks/cyclegan_mapping.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    out = tmp_path / "mapping.json"
    assert bench.main([str(model.folder), "--n", "40", "--data-root", str(data_root), "--json", str(out)]) == 0
    res = json.loads(out.read_text())["directions"]
    m = evaluate_translation(model, n=40, root=data_root)["metrics"]
    for d in ("mnist_to_fashion-mnist", "fashion-mnist_to_mnist"):
        r = res[d]["readers"]
        assert set(r) == {"ganzoo", "allconv-10", "allconv-11", "judge resnet", "judge mlp", "judge lenet"}
        assert r["ganzoo"]["agrees_with_ganzoo"] == 1.0 and res[d]["n"] == 40
        assert r["ganzoo"]["mapping_share"] == pytest.approx(m[f"mapping_share_{d}"], abs=1e-4)
        assert r["ganzoo"]["mapping_share_one_to_one"] == pytest.approx(m[f"mapping_share_one_to_one_{d}"], abs=1e-4)
        assert r["ganzoo"]["mapping_classes"] == m[f"mapping_classes_{d}"]
    assert "| judge lenet |" in capsys.readouterr().out
    assert json.loads(out.read_text())["model_sha256"] == sha256_file(model.folder / "model.safetensors")
    for args, message in (
        (["--n", "0"], "error: n must be a positive int, got 0"),
        (
            ["--json", str(tmp_path / "no" / "m.json")],
            f"error: --json {tmp_path / 'no' / 'm.json'}: folder {tmp_path / 'no'} does not exist",
        ),
        (["--update-docs"], f"error: --update-docs writes a zoo entry's card measurements; {model.folder} is not"),
    ):
        assert bench.main([str(model.folder), "--data-root", str(data_root), *args]) == 2
        assert message in capsys.readouterr().err
    assert bench.main(["dcgan-mnist", "--n", "4", "--data-root", str(data_root)]) == 2
    err = capsys.readouterr().err
    assert "error: dcgan-mnist is not a translation model; give a cyclegan-* entry or its folder" in err
    assert bench.main(["DCGAN-MNIST", "--update-docs", "--data-root", str(data_root)]) == 2  # a zoo name, any case
    assert "error: DCGAN-MNIST is not a translation model" in capsys.readouterr().err
    (tmp_path / "d.json").mkdir()
    for target, message in (
        (tmp_path / "d.json", "is an existing folder; give a file name"),
        (tmp_path / "m.txt", "needs a file name ending in .json"),
        (model.folder / "config.json", "is inside the model's folder; write the numbers elsewhere"),
    ):
        assert bench.main([str(model.folder), "--n", "4", "--json", str(target), "--data-root", str(data_root)]) == 2
        err = capsys.readouterr().err
        assert f"error: --json {target}" in err and message in err, err
    os.mkfifo(tmp_path / "pipe.json")  # a device or a pipe would be replaced by the atomic rename: refused
    assert bench.main([str(model.folder), "--json", str(tmp_path / "pipe.json"), "--data-root", str(data_root)]) == 2
    assert "is not a regular file; give a file name such as out.json" in capsys.readouterr().err
    assert (tmp_path / "pipe.json").is_fifo()


def test_card_says_what_the_training_read():
    """The translation card's opening names the class-mapping term, its weights per direction and the network
    that read the classes, and says nothing of it for a recipe without the term."""
    from ganzoo.cards import training_note
    from ganzoo.models.cyclegan import MAPPING_MEMBER
    from training.objectives import mapping_classifier

    cfg = {"domain_a": "mnist", "domain_b": "fashion-mnist", "mapping_weight": 0.0}
    assert training_note(cfg) == "" and training_note({**cfg, "mapping_weight": 0.0, "mapping_scale_b": 3}) == ""
    note = training_note({**cfg, "mapping_weight": 0.3})
    assert "a class-mapping term (weight 0.3) rewarded" in note and f"the target data set's {MAPPING_MEMBER}" in note
    note = training_note({**cfg, "mapping_weight": 0.3, "mapping_scale_b": 3})
    assert "(weight 0.3 for mnist -> fashion-mnist, 0.9 for fashion-mnist -> mnist)" in note
    assert mapping_classifier.__defaults__ == (MAPPING_MEMBER,)  # the card names the network the training reads
