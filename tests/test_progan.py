"""ProGAN: the growth schedule, training through a growth step and a fade, exact resume mid-fade, sampling at each
resolution, ONNX at full resolution, and the errors of every new argument. Tiny configs: milliseconds to seconds."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import ganzoo
from ganzoo.folder import save_folder
from ganzoo.models import build, make_config
from ganzoo.models.progan import growth_at

from .conftest import FASHION, TINY, make_tiny_folder


@pytest.fixture(scope="module")
def pg(tmp_path_factory):
    return ganzoo.load(make_tiny_folder(tmp_path_factory.mktemp("pg") / "m", "progan", seed=1))


@pytest.fixture(scope="module")
def dcgan(tmp_path_factory):
    return ganzoo.load(make_tiny_folder(tmp_path_factory.mktemp("dc") / "m", "dcgan"))


def tiny_nets(**over):
    torch.manual_seed(0)
    return build("progan", make_config("progan", {**TINY["progan"], **over}))


# -- the schedule and the networks -------------------------------------------------------------------------------
def test_growth_schedule_is_a_pure_function_of_the_step():
    # 2 steps at 7x7, 3 fading 14x14 in, 2 at 14x14, 3 fading 28x28 in, then 28x28
    got = [growth_at(s, 2, 3, 3) for s in range(12)]
    third = [1 / 3, 2 / 3, 1.0]
    assert got == [(0, 1.0)] * 2 + [(1, a) for a in third] + [(1, 1.0)] * 2 + [(2, a) for a in third] + [(2, 1.0)] * 2
    G, D = tiny_nets(stable_steps=2, fade_steps=3)
    for s in (0, 3, 8, 10**6):
        G.at_step(s)
        assert G.growth() == growth_at(s, 2, 3, 3)


def test_each_stage_draws_its_own_resolution_and_fades_linearly():
    G, _ = tiny_nets(stable_steps=2, fade_steps=4)
    G.eval()
    z = torch.randn(3, 8)
    with torch.no_grad():
        at = {r: G(z, resolution=r) for r in (7, 14, 28)}
        for r, x in at.items():  # every output is 28x28; a stage below is nearest-upsampled, blocks of 28 / r
            assert x.shape == (3, 1, 28, 28)
            assert torch.equal(x, F.interpolate(x[..., :: 28 // r, :: 28 // r], scale_factor=28 // r, mode="nearest"))
        G.at_step(0)
        assert torch.equal(G(z), at[7])
        G.at_step(3)  # fading 14x14 in with alpha 2/4: the 7x7 image upsampled, blended with the 14x14 one
        torch.testing.assert_close(G(z), torch.lerp(at[7], at[14], 0.5), rtol=0, atol=1e-6)
        G.at_step(10**6)
        assert torch.equal(G(z), at[28])


def test_discriminator_judges_at_the_stage_resolution_and_shows_reals_as_the_generator_draws():
    _, D = tiny_nets(stable_steps=2, fade_steps=4)
    x = torch.rand(4, 1, 28, 28) * 2 - 1
    blocky = F.interpolate(F.avg_pool2d(x, 4), scale_factor=4, mode="nearest")
    with torch.no_grad():
        D.at_step(0)  # 7x7: D sees only the 7x7 average of its input (to float rounding)
        torch.testing.assert_close(D(x), D(blocky), rtol=0, atol=1e-5)
        assert torch.equal(D.show_reals(x), blocky)
        D.at_step(10**6)
        assert not torch.allclose(D(x), D(blocky), atol=1e-3) and torch.equal(D.show_reals(x), x)
        D.at_step(3)  # fading 14x14 in (alpha 1/2): the 14x14 reals blended with their 7x7 version
        x14 = F.interpolate(F.avg_pool2d(x, 2), scale_factor=2, mode="nearest")
        torch.testing.assert_close(D.show_reals(x), torch.lerp(blocky, x14, 0.5), rtol=0, atol=1e-6)


def test_minibatch_std_groups_never_mix_real_fake_and_interpolates():
    # contiguous groups: with real, fake and x_hat stacked, each group's std comes from one kind only
    _, D = tiny_nets()
    D.at_step(10**6)
    real, fake = torch.rand(8, 1, 28, 28), torch.rand(8, 1, 28, 28)
    with torch.no_grad():
        scores = D(torch.cat([real, fake]))
        assert torch.equal(D(torch.cat([real, fake * 3 - 1]))[:8], scores[:8])  # the fakes do not reach the reals
        # and within a group they do: reals 0, 1 share theirs with two fakes here
        mixed = [D(torch.cat([real[:2], f[:2], real[2:], fake[2:]]))[:2] for f in (fake, fake * 3 - 1)]
        assert not torch.allclose(*mixed, atol=1e-4)


def test_growth_step_is_saved_with_the_weights(tmp_path):
    G, D = tiny_nets(stable_steps=2, fade_steps=4)
    G.at_step(3)
    D.at_step(3)
    cfg = make_config("progan", TINY["progan"] | {"stable_steps": 2, "fade_steps": 4})
    folder = save_folder(tmp_path / "m", "progan", cfg, G, D, dataset="fashion-mnist", class_names=FASHION)
    m = ganzoo.load(folder, discriminator=True)
    assert m.generator.growth_step == 3 and m.discriminator.growth_step == 3
    assert m.generator.growth() == (1, 0.5)


def test_a_damaged_growth_step_is_refused(tmp_path):
    from safetensors.torch import load_file, save_file

    folder = make_tiny_folder(tmp_path / "m", "progan")
    state = load_file(folder / "model.safetensors")
    save_file({**state, "_extra_state": torch.tensor(-3)}, folder / "model.safetensors")
    with pytest.raises(ganzoo.ModelFolderError, match=re.escape("growth step (_extra_state) must be one int64 >= 0")):
        ganzoo.load(folder)


def test_config_errors():
    with pytest.raises(
        ValueError, match=re.escape("g_widths needs one width per resolution (3 for 28x28), got (8, 8)")
    ):
        make_config("progan", {"g_widths": (8, 8)})
    with pytest.raises(ValueError, match=re.escape("fade_steps must be >= 1, got 0")):
        make_config("progan", {"fade_steps": 0})
    with pytest.raises(ValueError, match=re.escape("d_mbstd must be 0 (off) or a group size >= 2, got 1")):
        make_config("progan", {"d_mbstd": 1})
    msg = (
        "progan is unconditional: its num_classes must be 0, got 10 (the class-conditional architectures: cgan, biggan)"
    )
    with pytest.raises(ValueError, match=re.escape(msg)):
        make_config("progan", {"num_classes": 10})


def test_drift_objective_adds_the_drift_of_the_real_scores():
    from training.objectives import make_objective

    class Const(torch.nn.Module):  # scores: reals 2, everything else 0; no gradient w.r.t. the input
        def forward(self, x, labels=None):
            return (x.flatten(1).mean(1) > 0.5).float() * 2 + 0 * x.sum((1, 2, 3))

    obj = make_objective("wgan-gp-drift", gp_every=2)
    real, fake = torch.ones(4, 1, 28, 28), torch.zeros(4, 1, 28, 28)
    loss, stats = obj.d_loss(Const(), real, fake, None, torch.Generator().manual_seed(0), d_iter=1)  # lazy: no gp
    assert stats["drift"] == 4.0 and stats["wasserstein"] == 2.0 and "gp" not in stats
    assert loss.item() == pytest.approx(0 - 2 + 0.001 * 4)
    _, stats = obj.d_loss(Const(), real, fake, None, torch.Generator().manual_seed(0), d_iter=0)
    assert stats["gp"] == 1.0  # zero gradient everywhere: (0 - 1)^2


# -- training ---------------------------------------------------------------------------------------------------
TRAIN = [
    "--quiet",
    "--eval_every=0",
    "--sample_every=0",
    "--subset=256",
    "--batch_size=16",
    "--log_every=1",
    "--ckpt_every=0",
    "--gp_every=2",
    "--threads=1",
    "--model.latent_dim=8",
    "--model.g_widths=8,8,4",
    "--model.d_widths=4,8,8",
    "--model.stable_steps=2",
    "--model.fade_steps=3",
    "--decay_from=0",  # progan-*-v1 decays its rates over its last 3,000 steps: constant rates in a 12-step run
]


def test_trains_through_growth_and_fades_and_resumes_exactly_mid_fade(tmp_path, data_root):
    from training.train import main

    from .test_training import read_log

    before = torch.get_num_threads()
    args = ["--data-root", str(data_root), *TRAIN]
    try:
        # steps 0-1 at 7x7, 2-4 fading 14x14 in, 5-6 at 14x14, 7-9 fading 28x28 in, 10-11 at 28x28
        main(["progan-mnist", "--out", str(tmp_path / "a"), "--steps=12", *args])
        main(["progan-mnist", "--out", str(tmp_path / "b"), "--steps=8", *args])  # stopped after step 8 of 12:
        main(["progan-mnist", "--out", str(tmp_path / "b"), "--steps=12", "--resume", *args])  # mid-fade (alpha 2/3)
    finally:
        torch.set_num_threads(before)
    a, b = read_log(tmp_path / "a" / "log.csv"), read_log(tmp_path / "b" / "log.csv")
    assert [int(r["step"]) for r in a] == list(range(1, 13))
    assert [r["gp"] != "" for r in a] == [True, False] * 6 and all(float(r["drift"]) >= 0 for r in a)
    cols = ("loss_d", "loss_g", "d_real", "gp", "drift", "grad_norm_g", "grad_norm_d")
    assert [[r[c] for c in cols] for r in a] == [[r[c] for c in cols] for r in b]
    ma, mb = ganzoo.load(tmp_path / "a" / "model"), ganzoo.load(tmp_path / "b" / "model")
    sa, sb = ma.generator.state_dict(), mb.generator.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert ma.generator.growth() == (2, 1.0)  # the finished run is at 28x28
    # the 28x28 layers trained only once they had faded in: the 7x7 toRGB trained from the start
    fresh, _ = tiny_nets(g_widths=(8, 8, 4), stable_steps=2, fade_steps=3)
    assert not torch.equal(ma.generator.to_rgb[0].weight, fresh.to_rgb[0].weight)
    x = ma.sample(3, seed=0)
    assert x.shape == (3, 1, 28, 28) and torch.equal(x, mb.sample(3, seed=0))


# -- sampling at each resolution ---------------------------------------------------------------------------------
def test_sample_at_each_resolution(pg):
    full = pg.sample(4, seed=5)
    assert pg.resolutions == (7, 14, 28)
    assert torch.equal(pg.sample(4, seed=5, resolution=28), full)
    for r in (7, 14):
        x = pg.sample(4, seed=5, resolution=r)
        assert x.shape == full.shape and not torch.equal(x, full)
        assert torch.equal(x, F.interpolate(x[..., :: 28 // r, :: 28 // r], scale_factor=28 // r, mode="nearest"))
        z = pg.sample_latent(4, seed=5)
        assert torch.equal(pg.generate(z, resolution=r), x)  # the same latents through the stage
    torch.testing.assert_close(  # batch 4 vs 1: rounding
        pg.sample(4, seed=5, resolution=7, truncation=0.5)[:1],
        pg.sample(1, seed=5, resolution=7, truncation=0.5),
        rtol=0,
        atol=1e-6,
    )


@pytest.mark.parametrize("bad", [8, 0, 28.0, "14", True])
def test_resolution_errors(pg, bad):
    msg = f"resolution must be one of 7, 14, 28 (the generator's growth stages), got {bad!r}"
    with pytest.raises(ganzoo.GanzooError, match=re.escape(msg)):
        pg.sample(2, resolution=bad)
    with pytest.raises(ganzoo.GanzooError, match=re.escape(msg)):
        pg.generate(pg.sample_latent(2, seed=0), resolution=bad)


def test_resolution_on_a_generator_that_does_not_grow(dcgan):
    msg = "resolution= needs a progressively grown generator (progan-*); "
    with pytest.raises(ganzoo.GanzooError, match=re.escape(msg)) as e:
        dcgan.sample(2, resolution=7)
    assert str(e.value).endswith("(dcgan) draws 28x28 images only: leave resolution out")


# -- ONNX -------------------------------------------------------------------------------------------------------
def test_onnx_at_full_resolution_and_the_torch_free_runtime(tiny_onnx):
    from ganzoo.runtime import OnnxGenerator

    folder, path = tiny_onnx("progan")  # exported once for the session, checked against torch at batch 1, 7, 64
    pg, rt = ganzoo.load(folder), OnnxGenerator(path)
    np.testing.assert_allclose(rt.sample(5, seed=3), pg.sample(5, seed=3, resolution=28).numpy(), atol=1e-4)
    np.testing.assert_allclose(
        rt.sample(5, seed=3, truncation=0.7), pg.sample(5, seed=3, truncation=0.7).numpy(), atol=1e-4
    )


def test_cli_sample_resolution(pg, dcgan, tmp_path, capsys):
    from PIL import Image

    from ganzoo.cli import main as cli

    out = tmp_path / "s.png"
    assert cli(["sample", str(pg.folder), "-n", "4", "--seed", "0", "--resolution", "7", "-o", str(out)]) == 0
    grid = np.asarray(Image.open(out))
    want = (pg.sample(4, seed=0, resolution=7)[0, 0] * 255).round().numpy()
    assert np.abs(grid[2:30, 2:30].astype(float) - want).max() <= 1
    capsys.readouterr()
    assert cli(["sample", str(pg.folder), "--resolution", "9", "-o", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err
    assert err == "error: resolution must be one of 7, 14, 28 (the generator's growth stages), got 9\n"
    assert cli(["sample", str(dcgan.folder), "--resolution", "7", "-o", str(tmp_path / "x.png")]) == 2
    assert capsys.readouterr().err.startswith("error: resolution= needs a progressively grown generator (progan-*)")
    assert not (tmp_path / "x.png").exists()
