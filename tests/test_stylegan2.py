"""StyleGAN2: the networks, training through the real trainer, truncation in W, style mixing, projection into
W / W+, the w-input ONNX file, and the errors of every new argument. Tiny configs: milliseconds to seconds."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

import ganzoo
from ganzoo.cli import main as cli
from ganzoo.models import build, make_config

from .conftest import TINY, make_tiny_folder


@pytest.fixture(scope="module")
def sg2(tmp_path_factory):
    return ganzoo.load(make_tiny_folder(tmp_path_factory.mktemp("sg2") / "m", "stylegan2", seed=1))


@pytest.fixture(scope="module")
def dcgan(tmp_path_factory):
    return ganzoo.load(make_tiny_folder(tmp_path_factory.mktemp("dc") / "m", "dcgan"))


def tiny_nets(**over):
    torch.manual_seed(0)
    return build("stylegan2", make_config("stylegan2", {**TINY["stylegan2"], **over}))


# -- the networks ---------------------------------------------------------------------------------------------
def test_forward_shapes_and_style_inputs():
    G, D = tiny_nets()
    assert G.num_ws == 6 and G.w_dim == 8 and G.w_space
    z = torch.randn(5, 8)
    for mode in (G.train, G.eval):
        mode()
        assert G(z).shape == (5, 1, 28, 28)
    assert G.styles(z).shape == (5, 6, 8)
    assert G(torch.randn(5, 8), space="w").shape == G(torch.randn(5, 6, 8), space="w+").shape == (5, 1, 28, 28)
    assert D(torch.randn(8, 1, 28, 28)).shape == (8,)
    # the default config is the recipes' starting point: about 260k generator parameters (260,768 released)
    g, _ = build("stylegan2", make_config("stylegan2", {}))
    assert 240_000 < sum(p.numel() for p in g.parameters()) < 280_000


def test_eval_noise_is_saved_and_training_noise_is_fresh():
    G, _ = tiny_nets()
    z = torch.randn(3, 8)
    G.eval()
    with torch.no_grad():
        for conv in G.synthesis.convs:
            conv.noise_strength.fill_(0.5)  # noise that shows
        assert torch.equal(G(z), G(z))
        assert all(f"synthesis.convs.{i}.noise_const" in G.state_dict() for i in range(len(G.synthesis.convs)))
        G.train()
        assert not torch.equal(G(z), G(z))


def test_training_forward_mixes_styles_and_tracks_w_avg():
    G, _ = tiny_nets(mixing_prob=1.0)
    z = torch.randn(64, 8)
    G.eval()
    ws = G.styles(z)
    assert torch.equal(G.w_avg, torch.zeros(8))  # eval mode: no update
    assert torch.equal(ws, ws[:, :1].expand_as(ws))  # and no mixing: one w for every layer
    G.train()
    ws = G.styles(z)
    assert not torch.equal(G.w_avg, torch.zeros(8))
    w = G.mapping(z)
    # every sample keeps its own w up to a crossover in 1..5, then another latent's w to the end
    assert torch.equal(ws[:, 0], w)
    first_other = (ws != w[:, None]).any(2).float().argmax(1)
    assert ((first_other >= 1) & (first_other <= 5)).all()
    assert len(first_other.unique()) > 1  # a crossover per sample
    G2, _ = tiny_nets(mixing_prob=0.0)
    G2.train()
    ws = G2.styles(z)
    assert torch.equal(ws, ws[:, :1].expand_as(ws))


def test_path_length_regularizer_is_off_by_default_lazy_and_trains_the_generator():
    G, _ = tiny_nets()
    assert G.regularizer(8, 0) is None and "pl_mean" not in G.state_dict()
    G, _ = tiny_nets(pl_weight=2.0, pl_every=4)
    G.train()
    assert G.regularizer(8, 1) is None  # lazy: every 4th generator update
    penalty, stats = G.regularizer(8, 4)
    assert stats["pl"] > 0 and penalty.item() == pytest.approx(stats["pl"] * 2.0 * 4, rel=1e-5)
    assert G.pl_mean.item() > 0
    penalty.backward()
    assert G.mapping.fcs[0].weight.grad is not None and G.synthesis.convs[1].weight.grad.abs().sum() > 0


def test_r1_through_minibatch_std_stays_finite_where_every_image_is_blank():
    # every digit's border is the same -1: features there do not vary in a group, where std's gradient is 0/0
    _, D = tiny_nets()
    real = torch.full((8, 1, 28, 28), -1.0)
    real[:, :, 6:22, 6:22] = torch.rand(8, 1, 16, 16) * 2 - 1
    real.requires_grad_(True)
    (grad,) = torch.autograd.grad(D(real).sum(), real, create_graph=True)
    grad.square().sum().backward()
    assert all(torch.isfinite(p.grad).all() for p in D.parameters() if p.grad is not None)  # (not the last bias)


def test_config_errors():
    with pytest.raises(ValueError, match=r"g_widths needs one width per resolution \(3 for 28x28\)"):
        make_config("stylegan2", {"g_widths": (8, 8)})
    with pytest.raises(ValueError, match=r"mixing_prob must be in \[0, 1\], got 1.5"):
        make_config("stylegan2", {"mixing_prob": 1.5})
    with pytest.raises(ValueError, match="mapping_layers must be 1..8"):
        make_config("stylegan2", {"mapping_layers": 9})


# -- training ---------------------------------------------------------------------------------------------------
TRAIN = [
    "--quiet",
    "--eval_every=0",
    "--sample_every=0",
    "--subset=256",
    "--batch_size=16",
    "--log_every=1",
    "--ckpt_every=2",
    "--decay_from=0",  # stylegan2-fashion-mnist v1 decays from step 17,200; runs of 4 and 6 steps keep constant rates
    "--gp_every=2",
    "--model.latent_dim=8",
    "--model.w_dim=8",
    "--model.g_widths=8,8,4",
    "--model.d_widths=4,8,8",
]


@pytest.mark.slow  # seconds of work: the full suite (the README's test command) runs it, `-m "not slow"` skips it
@pytest.mark.parametrize("extra", [[], ["--model.pl_weight=2", "--model.pl_every=2"]], ids=["default", "pl"])
def test_trains_through_the_trainer_and_resumes_exactly(extra, tmp_path, data_root):
    from training.train import main

    from .test_training import read_log

    args = ["--data-root", str(data_root), *TRAIN, *extra]
    main(["stylegan2-fashion-mnist", "--out", str(tmp_path / "a"), "--steps=6", *args])
    main(["stylegan2-fashion-mnist", "--out", str(tmp_path / "b"), "--steps=4", *args])
    main(["stylegan2-fashion-mnist", "--out", str(tmp_path / "b"), "--steps=6", "--resume", *args])
    a, b = read_log(tmp_path / "a" / "log.csv"), read_log(tmp_path / "b" / "log.csv")
    assert [int(r["step"]) for r in a] == list(range(1, 7))
    gp = [r["gp"] for r in a]  # lazy R1 on every 2nd D update; the steps between log its latest value (ece6050)
    assert all(gp) and gp[1::2] == gp[0::2] and len(set(gp[0::2])) == 3
    cols = ("loss_d", "loss_g", "d_real", "gp", "grad_norm_g")
    assert [[r[c] for c in cols] for r in a] == [[r[c] for c in cols] for r in b]
    ma, mb = ganzoo.load(tmp_path / "a" / "model"), ganzoo.load(tmp_path / "b" / "model")
    sa, sb = ma.generator.state_dict(), mb.generator.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert sa["w_avg"].abs().sum() > 0  # tracked during training and shipped with the weights
    assert ("pl_mean" in sa) == bool(extra)
    x = ma.sample(3, seed=0)
    assert x.shape == (3, 1, 28, 28) and torch.equal(x, mb.sample(3, seed=0))


# -- sampling and truncation in W -----------------------------------------------------------------------------
def test_sample_is_reproducible_with_a_seed(sg2):
    assert torch.equal(sg2.sample(4, seed=7), sg2.sample(4, seed=7))
    assert not torch.equal(sg2.sample(4, seed=7), sg2.sample(4, seed=8))


def test_truncation_psi_0_draws_w_avg_for_every_z_and_psi_1_changes_nothing(sg2):
    w_avg_image = sg2.generate(sg2.generator.w_avg[None], space="w")
    at0 = sg2.sample(5, seed=3, truncation=0.0)
    torch.testing.assert_close(at0, w_avg_image.expand_as(at0), rtol=0, atol=1e-6)  # batch of 5 vs 1: rounding
    assert torch.equal(sg2.sample(5, seed=3, truncation=1.0), sg2.sample(5, seed=3))
    half = sg2.sample(5, seed=3, truncation=0.5)
    # psi 0.5: the images are nearer w_avg's than the untruncated ones
    assert (half - w_avg_image).abs().mean() < (sg2.sample(5, seed=3) - w_avg_image).abs().mean()
    # z truncation is still there on request: sample_latent keeps its meaning for every family
    assert sg2.sample_latent(50, seed=0, truncation=0.5).abs().max() <= 0.5


def test_memory_estimate_sees_the_modulated_convolutions(sg2):
    # the widest layer computes inside StyleConv's own forward: 8 channels at 14x14 in, 4 at 28x28 out
    assert sg2.work_per_image() >= 4 * (8 * 14 * 14 + 4 * 28 * 28)


def test_generate_in_w_and_w_plus_matches_z(sg2):
    z = sg2.sample_latent(3, seed=0)
    with torch.no_grad():
        w = sg2.generator.mapping(z)
    from_z = sg2.generate(z)
    torch.testing.assert_close(sg2.generate(w, space="w"), from_z, rtol=0, atol=1e-6)
    torch.testing.assert_close(sg2.generate(w[:, None].repeat(1, 6, 1), space="w+"), from_z, rtol=0, atol=1e-6)


# -- style mixing -------------------------------------------------------------------------------------------------
def test_mix_grid_takes_coarse_styles_from_rows_and_fine_from_columns(sg2):
    zr, zc = sg2.sample_latent(3, seed=0), sg2.sample_latent(2, seed=1)
    grid = sg2.mix(zr, zc, crossover=2)
    assert grid.shape == (3, 2, 1, 28, 28)
    with torch.no_grad():
        wr, wc = sg2.generator.mapping(zr), sg2.generator.mapping(zc)
    # style inputs 0, 1 from the row latent, 2..5 from the column latent
    ws = torch.stack([torch.stack([wr[i]] * 2 + [wc[j]] * 4) for i in range(3) for j in range(2)])
    assert torch.equal(grid.reshape(6, 1, 28, 28), sg2.generate(ws, space="w+"))
    assert not torch.equal(grid[0, 0], grid[0, 1]) and not torch.equal(grid[0, 0], grid[1, 0])
    # a latent mixed with itself is its own image; seeds work as latents
    same = sg2.mix(zr[:1], zr[:1], crossover=3)[0, 0]
    torch.testing.assert_close(same, sg2.generate(zr[:1])[0], rtol=0, atol=1e-6)
    assert torch.equal(
        sg2.mix([0], [1], crossover=2), sg2.mix(sg2.sample_latent(1, seed=0), sg2.sample_latent(1, seed=1), crossover=2)
    )
    # truncation applies to both sources
    t0 = sg2.mix(zr, zc, crossover=4, truncation=0.0)
    torch.testing.assert_close(t0, t0[:1, :1].expand_as(t0), rtol=0, atol=1e-6)


# -- projection -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("space, shape", [("w", (2, 8)), ("w+", (2, 6, 8))])
def test_projection_into_w_and_w_plus_reduces_the_error_from_w_avg(sg2, space, shape):
    target = sg2.sample(2, seed=11)
    start = (sg2.generate(sg2.generator.w_avg[None].expand(2, -1), space="w") - target).square().flatten(1).mean(1)
    # pixels only: the classifier-feature term means little on an untrained tiny generator's blobs
    w, mse = sg2.invert(target, steps=20, space=space, feature_weight=0.0, lr=0.1, return_error=True)
    assert w.shape == shape
    assert (mse < 0.75 * start).all(), (mse, start)
    torch.testing.assert_close(
        ((sg2.generate(w, space=space) - target).square().flatten(1).mean(1)), mse, rtol=1e-4, atol=1e-7
    )
    # deterministic: it starts at w_avg
    again = [sg2.invert(target, steps=3, space=space, feature_weight=0.0) for _ in range(2)]
    assert torch.equal(*again)


# -- ONNX ---------------------------------------------------------------------------------------------------------
@pytest.mark.slow  # seconds of work: the full suite (the README's test command) runs it, `-m "not slow"` skips it
def test_onnx_w_file_matches_torch(sg2, tmp_path, tiny_onnx):
    from ganzoo.runtime import OnnxGenerator, OnnxGeneratorError

    path = sg2.export_onnx(tmp_path / "w.onnx", space="w")  # checked against torch at batch 1, 7, 64
    rt = OnnxGenerator(path)
    assert rt.input_names == ["ws"] and rt.space == "w" and (rt.num_ws, rt.w_dim) == (6, 8)
    np.testing.assert_allclose(rt.w_avg, sg2.generator.w_avg.numpy(), atol=1e-6)
    z = sg2.sample_latent(4, seed=2)
    with torch.no_grad():
        w = sg2.generator.mapping(z)
    ws = torch.cat([w[:, None].expand(4, 3, 8), w.flip(0)[:, None].expand(4, 3, 8)], 1)  # mixed at 3
    np.testing.assert_allclose(rt.generate(ws.numpy()), sg2.generate(ws, space="w+").numpy(), atol=1e-4)
    # truncation in numpy with the file's w_avg is the model's truncation
    psi = 0.6
    np.testing.assert_allclose(
        rt.generate(rt.w_avg + psi * (ws.numpy() - rt.w_avg)),
        sg2.generate(ws, space="w+", truncation=psi).numpy(),
        atol=1e-4,
    )
    # torch-free from seed to image: the mapping file's seeded ws, truncated in W, drawn by the w file
    mapping = OnnxGenerator(sg2.export_onnx(tmp_path / "map.onnx", space="mapping"))
    np.testing.assert_allclose(
        rt.generate(mapping.sample_ws(3, seed=4, psi=psi)), sg2.sample(3, seed=4, truncation=psi).numpy(), atol=1e-4
    )
    with pytest.raises(OnnxGeneratorError, match=re.escape("map(z) needs the mapping file of a style-based generator")):
        rt.map(np.zeros((1, 8), np.float32))
    with pytest.raises(OnnxGeneratorError, match=re.escape("ws must have shape (batch, 6, 8), got (4, 8)")):
        rt.generate(w.numpy())
    with pytest.raises(OnnxGeneratorError, match="this is a w file"):
        rt.sample(2)
    # the z file samples as torch does, but refuses z truncation in the name of a generator that truncates in W
    folder, z_file = tiny_onnx("stylegan2")  # the defaults (space="z"), exported once for the session
    zf = OnnxGenerator(z_file)
    np.testing.assert_allclose(zf.sample(3, seed=4), ganzoo.load(folder).sample(3, seed=4).numpy(), atol=1e-4)
    with pytest.raises(OnnxGeneratorError, match="this style-based generator truncates in W") as e:
        zf.sample(2, seed=0, truncation=0.7)
    assert "sample_ws(n, seed, psi)" in str(e.value) and "--space mapping" in str(e.value)  # the torch-free way


def _folded_constants_away_from_init(g) -> None:
    """Noise strengths, biases and the constant away from their initial values, so that every constant the ONNX
    form folds (noise and bias into one shift, the constant's conv, the LeakyReLU gain in the styles) shows."""
    gen = torch.Generator().manual_seed(3)
    with torch.no_grad():
        for c in g.synthesis.convs:
            c.noise_strength.fill_(0.4)
            c.bias.copy_(torch.randn(c.bias.shape, generator=gen) * 0.5)
        for t in g.synthesis.torgbs:
            t.bias.copy_(torch.randn(t.bias.shape, generator=gen) * 0.5)


def test_upsample2x_is_bilinear_interpolation():
    from ganzoo.models.stylegan2 import Upsample2x

    for n in (1, 2, 7, 14):
        x = torch.randn(3, 5, n, n)
        want = torch.nn.functional.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        torch.testing.assert_close(Upsample2x(n)(x), want, atol=1e-6, rtol=0)


@pytest.mark.parametrize("k", [1, 3])
def test_down_conv_is_the_conv_then_a_2x2_average_with_the_same_gradients(k):
    """The strided form (box filter, then the conv at stride 2) must be the same map as the plain conv followed
    by the 2x2 average, on even and odd sizes, forward and backward."""
    from ganzoo.models.stylegan2 import EqualConv2d

    torch.manual_seed(0)
    for n in (28, 14, 7):
        layer = EqualConv2d(6, 10, k, act=True, down=True, gain=0.7)
        x = torch.randn(3, 6, n, n, requires_grad=True)
        ref_x = x.detach().clone().requires_grad_(True)
        w = layer.weight * layer.w_gain
        ref = torch.nn.functional.avg_pool2d(torch.nn.functional.conv2d(ref_x, w, padding=k // 2), 2)
        ref = torch.nn.functional.leaky_relu(ref + layer.bias[:, None, None], 0.2) * 2**0.5 * 0.7
        out = layer(x)
        assert out.shape == (3, 10, n // 2, n // 2)
        torch.testing.assert_close(out, ref, atol=1e-5, rtol=0)
        g = torch.randn_like(out)
        (gx,) = torch.autograd.grad(out, x, g)
        (ref_gx,) = torch.autograd.grad(ref, ref_x, g)
        torch.testing.assert_close(gx, ref_gx, atol=1e-5, rtol=0)


def test_onnx_form_draws_the_generators_images_and_leaves_it_alone():
    from ganzoo.models.stylegan2 import OnnxSynthesis, SynthesisNetwork

    G, _ = tiny_nets()
    _folded_constants_away_from_init(G)
    G.w_avg.normal_()
    released = ganzoo.load("stylegan2-mnist").generator
    for g, n in ((G.eval(), 7), (released, 16)):
        form = g.onnx_form()
        assert isinstance(form.synthesis, OnnxSynthesis) and type(g.synthesis) is SynthesisNetwork
        z, ws = torch.randn(n, g.cfg.latent_dim), torch.randn(n, g.num_ws, g.w_dim)
        with torch.no_grad():
            for x, kw in ((z, {}), (z, {"truncation": 0.6}), (ws, {"space": "w+"})):
                torch.testing.assert_close(form(x, **kw), g(x, **kw), atol=1e-5, rtol=0)


@pytest.mark.slow  # seconds of work: the full suite (the README's test command) runs it, `-m "not slow"` skips it
def test_onnx_file_is_the_folded_graph_and_matches_torch_to_1e_5(tmp_path):
    import onnx

    m = ganzoo.load(make_tiny_folder(tmp_path / "m", "stylegan2", seed=2))
    _folded_constants_away_from_init(m.generator)
    path = m.export_onnx(tmp_path / "z.onnx", atol=1e-5)  # checked against torch at batch 1, 7, 64
    ops = [n.op_type for n in onnx.load(str(path)).graph.node]
    # no Resize (bilinear upsampling is two MatMuls), the constant's conv a MatMul, the toRGB layers MatMuls
    assert "Resize" not in ops and ops.count("Conv") == len(m.generator.synthesis.convs) - 1


@pytest.mark.slow
@pytest.mark.parametrize("name", ["stylegan2-mnist", "stylegan2-fashion-mnist"])
def test_released_onnx_files_match_torch_to_1e_5(name, tmp_path):
    """The released weights (bundled; no data needed) in both files, to 1e-5 at batch 1, 7 and 64; slow only for
    the four exports."""
    m = ganzoo.load(name)
    m.export_onnx(tmp_path / "z.onnx", atol=1e-5)
    m.export_onnx(tmp_path / "w.onnx", space="w", atol=1e-5)


@pytest.mark.slow  # seconds of work: the full suite (the README's test command) runs it, `-m "not slow"` skips it
def test_onnx_mapping_file_turns_a_seed_into_the_ws_of_torch(sg2, tmp_path, capsys):
    from ganzoo.runtime import OnnxGenerator, OnnxGeneratorError

    out = tmp_path / "map.onnx"
    assert cli(["export", str(sg2.folder), "--space", "mapping", "-o", str(out)]) == 0  # checked at batch 1, 7, 64
    assert "the mapping network: z -> ws (batch, 6, 8)); checked with" in capsys.readouterr().out
    rt = OnnxGenerator(out)
    assert rt.input_names == ["z"] and rt.space == "mapping" and (rt.num_ws, rt.w_dim) == (6, 8)
    np.testing.assert_allclose(rt.w_avg, sg2.generator.w_avg.numpy(), atol=1e-6)
    g = sg2.generator
    with torch.no_grad():
        want = g.styles(sg2.sample_latent(5, seed=7))  # torch: mapping(sample_latent(seed)), for every layer
    np.testing.assert_allclose(rt.sample_ws(5, seed=7), want.numpy(), atol=1e-5)  # the runtime's seeded z
    np.testing.assert_allclose(rt.map(sg2.sample_latent(5, seed=7).numpy()), want.numpy(), atol=1e-5)
    psi = 0.7
    with torch.no_grad():
        truncated = g.styles(sg2.sample_latent(5, seed=7), truncation=psi)
    np.testing.assert_allclose(rt.sample_ws(5, seed=7, psi=psi), truncated.numpy(), atol=1e-5)
    for call, message in (
        (lambda: rt.generate(np.zeros((1, 8), np.float32)), "this is a mapping file: it turns z into ws"),
        (lambda: rt.sample(2, seed=0), "this is a mapping file: it turns z into ws"),
        (lambda: rt.map(np.zeros((2, 6, 8), np.float32)), re.escape("z must have shape (batch, 8), got (2, 6, 8)")),
        (lambda: rt.sample_ws(2, psi=1.5), re.escape("psi must be a number in [0, 1] (1: no truncation, 0: w_avg)")),
    ):
        with pytest.raises(OnnxGeneratorError, match=message):
            call()
    assert cli(["sample", str(out), "-o", str(tmp_path / "s.png")]) == 2
    assert "error: this is a mapping file" in capsys.readouterr().err


def test_onnx_export_space_errors(sg2, dcgan, tmp_path):
    with pytest.raises(ganzoo.GanzooError, match=re.escape("space must be one of 'z', 'w', 'mapping', got 'w+'")):
        sg2.export_onnx(tmp_path / "x.onnx", space="w+")
    with pytest.raises(ganzoo.GanzooError, match=re.escape("space='w' needs a style-based generator (stylegan2-*)")):
        dcgan.export_onnx(tmp_path / "x.onnx", space="w")
    with pytest.raises(ganzoo.GanzooError, match="quantize='int8' calibrates on z"):
        sg2.export_onnx(tmp_path / "x.onnx", space="w", quantize="int8")
    with pytest.raises(
        ganzoo.GanzooError,
        match=re.escape(
            f"space='mapping' needs a style-based generator (stylegan2-*); {dcgan.source} (dcgan) has no mapping "
            "network: export its z file (leave space out)"
        ),
    ):
        dcgan.export_onnx(tmp_path / "x.onnx", space="mapping")
    for flag in ("uint8", "fp16"):
        with pytest.raises(
            ganzoo.GanzooError,
            match=re.escape(f"{flag} is for image files: the mapping file (z -> ws) is fp32 only, drop {flag}"),
        ):
            sg2.export_onnx(tmp_path / "x.onnx", space="mapping", **{flag: True})
    assert not list(tmp_path.iterdir())


# -- bad input to every new argument -------------------------------------------------------------------------------
PSI = (
    "truncation for a style-based generator is psi in [0, 1] (each w moves toward w_avg: 1 = none, 0 = the "
    "average image for every z), got "
)


@pytest.mark.parametrize("psi", [1.5, -0.1, float("nan"), "0.5", True])
def test_psi_out_of_range(sg2, psi):
    with pytest.raises(ganzoo.GanzooError, match=re.escape(PSI + repr(psi))):
        sg2.sample(2, truncation=psi)
    with pytest.raises(ganzoo.GanzooError, match=re.escape(PSI + repr(psi))):
        sg2.mix([0], [1], crossover=2, truncation=psi)


@pytest.mark.parametrize("k", [0, 6, -1, 2.0, True])
def test_crossover_out_of_range(sg2, k):
    msg = (
        f"crossover must be an int 1..5: how many of the 6 style inputs (coarsest first) come from the row "
        f"latents, got {k!r}"
    )
    with pytest.raises(ganzoo.GanzooError, match=re.escape(msg)):
        sg2.mix([0], [1], crossover=k)


def test_space_and_mix_errors(sg2, dcgan):
    with pytest.raises(ganzoo.GanzooError, match=re.escape("space must be one of 'z', 'w', 'w+', got 'W'")):
        sg2.invert(sg2.sample(1, seed=0), steps=1, space="W")
    with pytest.raises(ganzoo.GanzooError, match=re.escape("space must be one of 'z', 'w', 'w+', got 'x'")):
        sg2.generate(torch.zeros(1, 8), space="x")
    with pytest.raises(
        ganzoo.GanzooError,
        match=re.escape(
            "w must be a float tensor of shape (N, 6, 8) for space='w+', got (2, 8): that is one w per sample, "
            "pass space='w'"
        ),
    ):
        sg2.generate(torch.zeros(2, 8), space="w+")
    with pytest.raises(ganzoo.GanzooError, match=re.escape("space='w' needs a style-based generator (stylegan2-*); ")):
        dcgan.invert(dcgan.sample(1, seed=0), steps=1, space="w")
    with pytest.raises(ganzoo.GanzooError, match=re.escape("style mixing needs a style-based generator")):
        dcgan.mix([0], [1], crossover=1)
    with pytest.raises(ganzoo.GanzooError, match=re.escape("truncation psi in W is for style-based generators")):
        dcgan.generate(dcgan.sample_latent(1, seed=0), truncation=0.5)
    with pytest.raises(
        ganzoo.GanzooError, match=re.escape("z_rows must be latents (K, 8) or a non-empty list of int seeds, got []")
    ):
        sg2.mix([], [1], crossover=2)
    with pytest.raises(ganzoo.GanzooError, match=re.escape("z must be a float tensor of shape (N, 8), got (2, 5)")):
        sg2.mix(torch.zeros(2, 5), [1], crossover=2)


# -- the command line ------------------------------------------------------------------------------------------
def test_cli_mix_writes_the_papers_grid(sg2, tmp_path, capsys):
    from PIL import Image

    out = tmp_path / "mix.png"
    assert cli(["mix", str(sg2.folder), "--rows", "0,1,2", "--cols", "3,4", "--crossover", "2", "-o", str(out)]) == 0
    assert Image.open(out).size == (3 * 30 + 2, 4 * 30 + 2)  # a header row and column of sources
    assert "row i takes the coarse styles (inputs 0..1 of 6) of seed 0,1,2[i]" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args, err",
    [
        (["--crossover", "6"], "error: crossover must be an int 1..5"),
        (["--crossover", "2", "--truncation", "2"], "error: truncation for a style-based generator is psi in [0, 1]"),
        (
            ["--crossover", "2", "--rows", "0,x"],
            (
                "error: ganzoo mix: argument --rows: expected comma-separated seeds "
                "(ints in [0, 2**64)) such as 0,1,2, got '0,x'"
            ),
        ),
    ],
)
def test_cli_mix_errors(sg2, tmp_path, capsys, args, err):
    base = ["mix", str(sg2.folder), "--rows", "0", "--cols", "1", "-o", str(tmp_path / "m.png")]
    assert cli(base + args) == 2
    assert capsys.readouterr().err.startswith(err)
    assert not (tmp_path / "m.png").exists()


def test_cli_w_options_on_a_z_only_model(dcgan, tmp_path, capsys):
    assert (
        cli(["mix", str(dcgan.folder), "--rows", "0", "--cols", "1", "--crossover", "1", "-o", str(tmp_path / "m.png")])
        == 2
    )
    assert "error: style mixing needs a style-based generator" in capsys.readouterr().err
    assert cli(["export", str(dcgan.folder), "--space", "w", "-o", str(tmp_path / "w.onnx")]) == 2
    assert "needs a style-based generator" in capsys.readouterr().err
    img = tmp_path / "x.png"
    dcgan.save_grid(dcgan.sample(1, seed=0), img, nrow=1)
    from PIL import Image

    Image.open(img).crop((2, 2, 30, 30)).save(img)
    assert cli(["invert", str(dcgan.folder), str(img), "--space", "w+", "-o", str(tmp_path / "r.png")]) == 2
    assert "space='w+' needs a style-based generator" in capsys.readouterr().err


def test_eval_at_a_psi_measures_the_same_latents_pulled_toward_w_avg(sg2, tmp_path, data_root, capsys):
    import json

    from ganzoo.metrics import evaluate

    out = tmp_path / "e.json"
    args = ["eval", str(sg2.folder), "--n", "20", "--data-root", str(data_root), "--json", str(out)]
    assert cli([*args, "--truncation", "0"]) == 0
    res = json.loads(out.read_text())
    assert res["protocol"]["truncation"] == 0.0
    assert res["metrics"]["min_class_share"] in (0.0, 1.0)  # psi 0: w_avg's one image, 20 times
    plain = evaluate(sg2, n=20, seed=0, root=data_root)
    assert "truncation" not in plain["protocol"]  # untruncated evaluations stay as they were
    one = evaluate(sg2, n=20, seed=0, root=data_root, truncation=1.0)
    assert one["metrics"]["fd_fashion-mnist_classifier"] == plain["metrics"]["fd_fashion-mnist_classifier"]


@pytest.mark.parametrize(
    "which, extra, err",
    [
        ("sg2", ["--truncation", "1.5"], "error: truncation for a style-based generator is psi in [0, 1]"),
        ("sg2", ["--truncation", "nan"], "error: truncation for a style-based generator is psi in [0, 1]"),
        ("sg2", ["--truncation", "0.5", "--inception-weights", "w.pt"], "error: --truncation is measured with"),
        ("dcgan", ["--truncation", "0.5"], "error: an evaluation with truncation measures a style-based generator"),
        (
            "cyclegan",
            ["--truncation", "0.5"],
            "error: --truncation is for generators (stylegan2-*: psi in W; biggan-*: a z threshold); an image-to-image",
        ),
    ],
)
def test_eval_truncation_errors(sg2, dcgan, tmp_path, data_root, capsys, which, extra, err):
    if which == "cyclegan":
        folder = make_tiny_folder(tmp_path / "c", "cyclegan", dataset="mnist")
    else:
        folder = {"sg2": sg2, "dcgan": dcgan}[which].folder
    out = tmp_path / "e.json"
    assert cli(["eval", str(folder), "--n", "20", "--data-root", str(data_root), "--json", str(out), *extra]) == 2
    got = capsys.readouterr().err
    assert got.startswith(err) and got.count("\n") == 1
    assert not out.exists()


# -- steering and class directions in W / W+ (what invert(space=...) projected) ----------------------------------
def p_class(m, latents, c, space):
    from ganzoo.control import classifier_for

    with torch.no_grad():
        return classifier_for(m)(m.generate(latents, space=space))[1].log_softmax(1)[:, c]


@pytest.mark.slow  # seconds of work: the full suite (the README's test command) runs it, `-m "not slow"` skips it
@pytest.mark.parametrize("space", ["w", "w+"])
def test_steer_in_w_starts_at_the_latent_and_moves_the_prediction_toward_the_target(sg2, space):
    from ganzoo.control import to_space

    ws = to_space(sg2, sg2.sample_latent(16, seed=0), space)
    w = ws[p_class(sg2, ws, 4, space).argmin()]  # the least class-4-like start: room to climb
    kw = dict(steps=6, iters=60, views=False, ensemble=False, anchors=0)  # one classifier: the path's geometry
    path = sg2.steer(w, 4, space=space, **kw)
    assert path.shape == (6, *w.shape) and torch.equal(path[0], w)
    logp = p_class(sg2, path, 4, space)
    assert logp[-1] > logp[0] + 1.0, logp
    assert torch.equal(path, sg2.steer(w, 4, space=space, **kw))  # deterministic
    if space == "w+":  # every layer moves by one shared w offset: the projection's per-layer detail is kept
        delta = path[-1] - path[0]
        assert torch.allclose(delta, delta[:1].expand_as(delta), atol=1e-6) and delta.abs().max() > 0.1


@pytest.mark.slow  # seconds of work: the full suite (the README's test command) runs it, `-m "not slow"` skips it
def test_steer_in_w_moves_the_steering_ensemble_and_never_consults_a_held_out_judge(sg2, monkeypatch):
    import training.judges as judges

    from ganzoo.control import steer_latents, steering_classifiers, to_space

    w = to_space(sg2, sg2.sample_latent(6, seed=2), "w")

    def refuse(*args, **kwargs):
        raise AssertionError("a held-out judge was consulted")

    with monkeypatch.context() as mp:
        for name in ("load_judge", "load_judges", "judge_path", "predict"):
            mp.setattr(judges, name, refuse)
        for cls in judges.ARCHS.values():
            mp.setattr(cls, "forward", refuse)
        end, _ = steer_latents(sg2, w, 1, iters=40, anchors=0, space="w")  # the default criterion, no restarts
        # the restart toward the class centre of the seeded pool's ws: deterministic, and the path starts at wp
        wp = to_space(sg2, sg2.sample_latent(1, seed=2), "w+")[0]
        paths = [sg2.steer(wp, 1, steps=3, iters=2, anchors=20, space="w+") for _ in range(2)]
    assert paths[0].shape == (3, 6, 8) and torch.equal(paths[0][0], wp) and torch.equal(*paths)
    nets = steering_classifiers(sg2)
    with torch.no_grad():
        own = [
            torch.stack([n(sg2.generate(v, space="w"))[1].log_softmax(1)[:, 1] for n in nets]).mean(0) for v in (w, end)
        ]
    assert own[1].mean() > own[0].mean() + 1.0, own  # the ensemble's mean log p(Trouser), what steering follows


def test_class_directions_in_w_are_mean_ws_of_classified_samples(sg2, monkeypatch):
    import ganzoo.control as control

    n = 200
    w = control.to_space(sg2, sg2.sample_latent(n, seed=3), "w")
    with torch.no_grad():
        brightness = sg2.generate(w, space="w").mean((1, 2, 3))
    edges = brightness.quantile(torch.linspace(0, 1, 11)[1:-1])

    class Brightness(torch.nn.Module):  # a stand-in classifier: the class is the image's brightness decile
        def forward(self, x):
            k = torch.bucketize(x.mean((1, 2, 3)), edges)
            return x.flatten(1), torch.nn.functional.one_hot(k, 10).float() * 10

    monkeypatch.setattr(control, "classifier_for", lambda m: Brightness())
    d = sg2.class_directions(n, seed=3, space="w")
    k = torch.bucketize(brightness, edges)
    assert d.shape == (10, 8)
    for c in range(10):
        assert torch.allclose(d[c], w[k == c].mean(0), atol=1e-5)
    dp = sg2.class_directions(n, seed=3, space="w+")
    assert dp.shape == (10, 6, 8) and torch.allclose(dp, d[:, None].expand(10, 6, 8), atol=1e-5)


W_SHAPE = "w must be a float tensor of shape (N, 8) for space='w', got (1, 6, 8): that is one w per layer, pass "
ONLY_Z = (
    "space='w' needs a style-based generator (stylegan2-*); {} (dcgan) has only z: leave space out (z is the default)"
)


def test_steer_space_errors(sg2, dcgan):
    from ganzoo.control import steer_latents

    with pytest.raises(ganzoo.GanzooError, match=re.escape(W_SHAPE + "space='w+'")):
        sg2.steer(torch.zeros(1, 6, 8), 3, space="w")
    with pytest.raises(ganzoo.GanzooError, match=re.escape(W_SHAPE + "space='w+'")):
        steer_latents(sg2, torch.zeros(1, 6, 8), 3, space="w")
    with pytest.raises(
        ganzoo.GanzooError,
        match=re.escape(
            "w must be a float tensor of shape (N, 6, 8) for space='w+', got (2, 8): that is one w per sample, "
            "pass space='w'"
        ),
    ):
        steer_latents(sg2, torch.zeros(2, 8), 3, space="w+")
    with pytest.raises(
        ganzoo.GanzooError, match=re.escape("steer takes one latent (6, 8) or (1, 6, 8), got (2, 6, 8)")
    ):
        sg2.steer(torch.zeros(2, 6, 8), 3, space="w+")
    with pytest.raises(ganzoo.GanzooError, match=re.escape("w must hold floats, got torch.int64")):
        sg2.steer(torch.zeros(1, 8, dtype=torch.long), 3, space="w")
    with pytest.raises(ganzoo.GanzooError, match=re.escape("w holds 8 NaN, infinite or out-of-float32-range value(s)")):
        sg2.steer(torch.full((8,), float("inf")), 3, space="w")
    with pytest.raises(ganzoo.GanzooError, match=re.escape("space must be one of 'z', 'w', 'w+', got 'W'")):
        sg2.steer(torch.zeros(8), 3, space="W")
    for call in (
        lambda: dcgan.steer(dcgan.sample_latent(1, seed=0)[0], 3, space="w"),
        lambda: dcgan.class_directions(space="w"),
    ):
        with pytest.raises(ganzoo.GanzooError, match=re.escape(ONLY_Z.format(dcgan.source))):
            call()


def test_cli_invert_in_w_then_steer_those_latents(sg2, dcgan, tmp_path, capsys, monkeypatch):
    from PIL import Image

    from ganzoo.model import GANModel

    steer_ = GANModel.steer  # the command's plumbing, with 2 descent steps and no restarts (the defaults take minutes)
    monkeypatch.setattr(GANModel, "steer", lambda self, *a, **kw: steer_(self, *a, **{"iters": 2, "anchors": 0, **kw}))

    files = []
    for i, im in enumerate(sg2.to_pil(sg2.sample(2, seed=4))):
        im.save(tmp_path / f"d{i}.png")
        files.append(str(tmp_path / f"d{i}.png"))
    w = tmp_path / "w.npy"
    args = ["invert", str(sg2.folder), *files, "--space", "w", "--steps", "3", "--save-latents", str(w)]
    assert cli([*args, "-o", str(tmp_path / "r.png")]) == 0
    assert np.load(w, allow_pickle=False).shape == (2, 8)
    out = tmp_path / "m.png"
    steer = ["steer", str(sg2.folder), "--toward", "1", "--steps", "3"]
    assert cli([*steer, "--latents", str(w), "--space", "w", "-o", str(out)]) == 0
    assert Image.open(out).size == (3 * 30 + 2, 2 * 30 + 2)  # one row per latent of the file
    assert f"in W to {out} (one row per latent of {w}, left to right)" in capsys.readouterr().out
    # the file's first row is the first latent's image, exactly as generate draws the projected w
    rows = np.asarray(Image.open(out).convert("L"), np.float32)[2:30, 2:30] / 255
    want = sg2.generate(torch.from_numpy(np.load(w))[:1], space="w")[0, 0].numpy()
    assert np.abs(rows - want).max() <= 1 / 255 + 1e-6
    assert cli([*steer, "--seed", "0", "--space", "w+", "-o", str(tmp_path / "s.png")]) == 0  # seeds, mapped to W+
    capsys.readouterr()
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    (tmp_path / "text.npy").write_text("not numpy")
    np.savez(tmp_path / "w.npz", w=np.zeros((2, 8), np.float32))
    np.save(tmp_path / "empty.npy", np.zeros((0, 8), np.float32))
    never = "as a .npy array: not a .npy file of numbers (object arrays are never unpickled)"
    for extra, err in (
        (
            ["--latents", str(w), "--space", "w+"],
            f"error: --latents {w} holds an array of shape (2, 8); --space w+ steers (N, 6, 8); an array of that "
            "shape fits --space z or --space w",
        ),
        (["--latents", str(w), "--seed", "0"], "error: give --seed or --latents, not both"),
        (
            ["--latents", str(tmp_path / "obj.npy"), "--space", "w"],
            f"error: cannot read --latents {tmp_path}/obj.npy {never}",
        ),
        (
            ["--latents", str(tmp_path / "text.npy"), "--space", "w"],
            f"error: cannot read --latents {tmp_path}/text.npy {never}",
        ),
        (
            ["--latents", str(tmp_path / "w.npz"), "--space", "w"],
            f"error: --latents {tmp_path}/w.npz is an .npz archive; give one .npy array",
        ),
        (
            ["--latents", str(tmp_path / "empty.npy"), "--space", "w"],
            f"error: --latents {tmp_path}/empty.npy holds no latents (an array of shape (0, 8))\n",
        ),
        (["--latents", str(tmp_path / "none.npy")], f"error: cannot read --latents {tmp_path}/none.npy"),
    ):
        assert cli([*steer, *extra, "-o", str(tmp_path / "x.png")]) == 2
        e = capsys.readouterr().err
        assert e.startswith(err) and e.count("\n") == 1, e
    assert cli(["steer", str(dcgan.folder), "--toward", "1", "--space", "w", "-o", str(tmp_path / "x.png")]) == 2
    assert capsys.readouterr().err == f"error: {ONLY_Z.format(dcgan.source)}\n"
    assert not (tmp_path / "x.png").exists()
