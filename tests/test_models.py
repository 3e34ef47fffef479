"""The inference API over every registered architecture."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ganzoo
from ganzoo.models import ARCHITECTURES, build, make_config

from .conftest import FASHION, TINY


def test_tiny_configs_cover_the_architecture_table():
    # conftest's TINY parametrizes most tests over the registry: a new architecture needs a row there
    assert set(TINY) == set(ARCHITECTURES)


def test_round_trip_identical_outputs(tiny):
    arch, folder = tiny
    m = ganzoo.load(folder)
    cfg = make_config(arch, TINY[arch])
    G, _ = build(arch, cfg)
    from safetensors.torch import load_file

    G.load_state_dict(load_file(folder / "model.safetensors"))
    G.eval()
    z = torch.randn(5, cfg.latent_dim)
    y = torch.arange(5) if m.conditional else None
    with torch.no_grad():
        ref = (G(z, y) + 1) / 2
        assert torch.equal(m.generator(z, y), G(z, y))  # the weights round-trip bit for bit
    # sampling runs the BatchNorm-folded copy (ganzoo.fast): equal to float tolerance
    assert torch.allclose(m.generate(z, y), ref.clamp(0, 1), atol=1e-5)
    assert not m.generator.training


def test_seed_determinism_shape_range(tiny):
    arch, folder = tiny
    m = ganzoo.load(folder)
    a, b = m.sample(6, seed=3), m.sample(6, seed=3)
    assert torch.equal(a, b)
    assert not torch.equal(a, m.sample(6, seed=4))
    assert a.shape == (6, 1, 28, 28) == (6, *m.image_shape)
    assert a.dtype == torch.float32 and a.min() >= 0 and a.max() <= 1


def test_batch_independence(tiny):
    _, folder = tiny
    m = ganzoo.load(folder)
    z = m.sample_latent(9, seed=1)
    y = torch.arange(9) % 10 if m.conditional else None
    full = m.generate(z, y)
    torch.testing.assert_close(full[:1], m.generate(z[:1], None if y is None else y[:1]), rtol=1e-5, atol=1e-6)


def test_properties(tiny):
    arch, folder = tiny
    m = ganzoo.load(folder)
    assert m.latent_dim == 8 and m.image_shape == (1, 28, 28) and m.architecture == arch
    assert m.conditional == ARCHITECTURES[arch].conditional
    assert m.num_classes == (10 if ARCHITECTURES[arch].conditional else 0)
    assert m.class_names == (m.config["class_names"] if ARCHITECTURES[arch].conditional else [])


def test_interpolate(tiny):
    _, folder = tiny
    m = ganzoo.load(folder)
    z = m.sample_latent(2, seed=0)
    for method in ("slerp", "lerp"):
        path = m.interpolate(z[0], z[1], 5, method=method)
        assert path.shape == (5, 8)
        torch.testing.assert_close(path[0], z[0])
        torch.testing.assert_close(path[-1], z[1])
    s = m.interpolate(z[0], z[1], 5)
    lin = m.interpolate(z[0], z[1], 5, method="lerp")
    assert s[2].norm() > lin[2].norm()  # slerp keeps the norm up; lerp's midpoint shrinks
    # latent arithmetic on sample_latent output feeds generate: z_a + z_b - z_a draws z_b's image
    y = torch.tensor([0]) if m.conditional else None
    assert torch.allclose(m.generate(z[:1] + z[1:] - z[:1], y), m.generate(z[1:], y), atol=1e-5)
    with pytest.raises(ganzoo.GanzooError, match="slerp"):
        m.interpolate(z[0], z[1], 5, method="cubic")


def test_truncation_bounds_latents(tiny):
    _, folder = tiny
    m = ganzoo.load(folder)
    z = m.sample_latent(100, seed=0, truncation=0.5)
    assert z.abs().max() <= 0.5
    assert torch.equal(z, m.sample_latent(100, seed=0, truncation=0.5))


def test_pil_and_grid(tiny, tmp_path):
    _, folder = tiny
    m = ganzoo.load(folder)
    imgs = m.sample(5, seed=0)
    pils = m.to_pil(imgs)
    assert len(pils) == 5 and pils[0].size == (28, 28) and pils[0].mode == "L"
    path = m.save_grid(imgs, tmp_path / "g.png", nrow=5)
    from PIL import Image

    assert Image.open(path).size == (5 * 30 + 2, 32)
    with pytest.raises(ganzoo.GanzooError, match="does not exist"):
        m.save_grid(imgs, tmp_path / "nope" / "g.png")


@pytest.mark.parametrize("bad", [0, -1, 2.5, "4", True])
def test_n_must_be_positive_int(tiny, bad):
    m = ganzoo.load(tiny[1])
    with pytest.raises(ganzoo.GanzooError, match="positive int"):
        m.sample(bad)


def test_generate_checks_z_shape(tiny):
    m = ganzoo.load(tiny[1])
    with pytest.raises(ganzoo.GanzooError, match=r"shape \(N, 8\)"):
        m.generate(torch.randn(2, 7))


def test_labels_on_unconditional_models(tiny):
    arch, folder = tiny
    m = ganzoo.load(folder)
    if m.conditional:
        pytest.skip("conditional")
    with pytest.raises(ganzoo.LabelError, match="unconditional"):
        m.sample(2, labels=[1, 2])


def test_conditional_labels(tmp_path):
    from .conftest import make_tiny_folder

    m = ganzoo.load(make_tiny_folder(tmp_path / "c", "cgan"))
    assert m.labels_tensor(None, 12).tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]
    assert m.labels_tensor("Sneaker", 3).tolist() == [7, 7, 7]
    assert m.labels_tensor(["Bag", 0, "3"], 3).tolist() == [8, 0, 3]
    assert torch.equal(m.sample(3, labels="Sneaker", seed=0), m.sample(3, labels=7, seed=0))
    assert not torch.equal(m.sample(3, labels=1, seed=0), m.sample(3, labels=7, seed=0))
    with pytest.raises(ganzoo.LabelError, match=r"out of range.*0\.\.9.*Sneaker"):
        m.sample(2, labels=10)
    with pytest.raises(ganzoo.LabelError, match="out of range"):
        m.sample(2, labels=-1)
    with pytest.raises(ganzoo.LabelError, match="Did you mean: Sneaker.*Valid: T-shirt/top"):
        m.sample(2, labels="Sneakers")
    with pytest.raises(ganzoo.LabelError, match="3 labels for 2 samples"):
        m.sample(2, labels=[1, 2, 3])
    with pytest.raises(ganzoo.LabelError, match="ints or class names"):
        m.sample(1, labels=[1.5])


@pytest.mark.slow  # seconds of work: the full suite (the README's test command) runs it, `-m "not slow"` skips it
@pytest.mark.parametrize("convt", ["native", "phase"])
def test_cgan_with_conditional_batchnorm_round_trips_and_exports(tmp_path, convt):
    from ganzoo.folder import save_folder
    from ganzoo.runtime import OnnxGenerator

    torch.manual_seed(0)
    cfg = make_config("cgan", {**TINY["cgan"], "g_cond": "cbn"})
    G, D = build("cgan", cfg)
    for m in G.modules():  # per-class gains and biases away from their 1/0 start, BN statistics too
        if isinstance(m, torch.nn.Embedding):
            m.weight.data.uniform_(0.5, 1.5)
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.9, 1.1)
    folder = save_folder(tmp_path / "m", "cgan", cfg, G.eval(), D, dataset="fashion-mnist", class_names=FASHION)
    m = ganzoo.load(folder)
    z = torch.randn(1, cfg.latent_dim).expand(10, -1)
    y = torch.arange(10)
    with torch.no_grad():
        ref = ((G(z, y) + 1) / 2).clamp(0, 1)
    out = m.generate(z, y)
    assert torch.allclose(out, ref, atol=1e-6)
    assert (out[0] - out[1]).abs().max() > 1e-3  # the same z draws differently per class
    path = m.export_onnx(tmp_path / "m.onnx", convt=convt)  # checked against torch within 1e-4
    assert np.allclose(OnnxGenerator(path).generate(z.numpy(), y.numpy()), out.numpy(), atol=1e-4)
    with pytest.raises(ValueError, match="g_cond must be 'concat' or 'cbn', got 'film'"):
        make_config("cgan", {"g_cond": "film"})


def test_packed_gan_discriminator_judges_packs_and_keeps_its_keys():
    from ganzoo.models.gan import GANConfig, GANDiscriminator

    plain, packed = GANDiscriminator(GANConfig()), GANDiscriminator(GANConfig(d_pack=2))
    assert list(plain.state_dict()) == list(packed.state_dict())  # same keys: old discriminator files load
    assert packed.net[1].in_features == 2 * plain.net[1].in_features
    x = torch.randn(6, 1, 28, 28)
    assert plain(x).shape == (6,) and packed(x).shape == (3,)
    # a pack is its samples side by side: the packed D on (a, b) is the plain MLP on their concatenation
    with torch.no_grad():
        pair = torch.cat([x[2].flatten(), x[3].flatten()])[None]
        assert torch.allclose(packed(x)[1], packed.net(pair)[0, 0], atol=1e-6)
    with pytest.raises(ValueError, match="batch size 5 is not a multiple of d_pack=2"):
        packed(x[:5])
    with pytest.raises(ValueError, match="d_pack must be >= 1, got 0"):
        GANConfig(d_pack=0)


def test_minibatch_std_feature_reads_only_its_own_group():
    from ganzoo.models.gan import GANConfig, GANDiscriminator, minibatch_std

    h = torch.tensor([[0.0, 0.0], [1.0, 1.0], [2.0, 4.0], [3.0, 3.0]])  # groups of 2: rows (0, 2) and (1, 3)
    assert minibatch_std(h, 2).squeeze(1).tolist() == [1.5, 1.0, 1.5, 1.0]  # std (1, 2) -> 1.5; (1, 1) -> 1
    assert minibatch_std(h, 8).shape == (4, 1)  # a group larger than the batch is the whole batch
    with pytest.raises(ValueError, match="3 D inputs do not split into groups of d_mbstd=2"):
        minibatch_std(h[:3], 2)
    D = GANDiscriminator(GANConfig(d_mbstd=2)).eval()
    x = torch.randn(4, 1, 28, 28)
    with torch.no_grad():
        before = D(x)
        x[0] += 1.0  # sample 0 shares its group with sample 2 only
        after = D(x)
    assert not torch.isclose(after[2], before[2]) and torch.equal(after[[1, 3]], before[[1, 3]])
    with pytest.raises(ValueError, match=r"d_mbstd must be 0 \(off\) or a group size >= 2, got 1"):
        GANConfig(d_mbstd=1)


@pytest.mark.parametrize("critic", ["conv", "mlp"])
def test_packed_wgan_critic_scores_packs_and_keeps_its_keys(critic):
    from ganzoo.models.wgan import WGANConfig, WGANCritic
    from ganzoo.models.wgan_gp import WGANGPConfig

    torch.manual_seed(0)
    plain, packed = WGANCritic(WGANConfig(critic=critic)), WGANCritic(WGANConfig(critic=critic, d_pack=2))
    assert list(plain.state_dict()) == list(packed.state_dict())  # same keys: old critic files load
    x = torch.randn(6, 1, 28, 28)
    assert plain(x).shape == (6,) and packed(x).shape == (3,)
    # a pack is its samples stacked along channels: pack 1 is samples 2 and 3 as one 2-channel image
    packed.eval()
    with torch.no_grad():
        alone = (
            packed.net(x[2:4].reshape(1, -1))
            if critic == "mlp"
            else packed.head(packed.features(x[2:4].reshape(1, 2, 28, 28)))
        )
        assert torch.allclose(packed(x)[1], alone.flatten()[0], atol=1e-6)
    with pytest.raises(ValueError, match="batch size 5 is not a multiple of d_pack=2"):
        packed(x[:5])
    with pytest.raises(ValueError, match="d_pack must be >= 1, got 0"):
        WGANConfig(d_pack=0)
    with pytest.raises(ValueError, match=r"WGAN-GP's critic scores one sample at a time \(d_pack 1\), got d_pack=2"):
        WGANGPConfig(d_pack=2)


def test_joint_batch_scores_split_real_and_fake_packs():
    from ganzoo.models.wgan import WGANConfig, WGANCritic
    from training.objectives import _joint_scores

    D = WGANCritic(WGANConfig(critic="mlp", d_pack=2))
    real, fake = torch.randn(4, 1, 28, 28), torch.randn(4, 1, 28, 28)
    with torch.no_grad():
        dr, df = _joint_scores(D, real, fake, None)
        assert torch.allclose(dr, D(real).mean()) and torch.allclose(df, D(fake).mean())


def test_wgan_gp_critic_families_keep_their_keys_and_refuse_batchnorm():
    from ganzoo.models.wgan import WGANCritic
    from ganzoo.models.wgan_gp import WGANGPConfig, WGANGPCritic

    conv = WGANGPCritic(WGANGPConfig(d_width=8))
    assert list(conv.state_dict()) == [
        "features.0.weight",
        "features.0.bias",
        "features.2.weight",
        "features.3.weight",
        "features.3.bias",
        "head.weight",
        "head.bias",
    ]
    mlp = WGANGPCritic(WGANGPConfig(critic="mlp", d_hidden=(32, 16)))
    assert list(mlp.state_dict()) == list(
        WGANCritic(make_config("wgan", {"critic": "mlp", "d_hidden": (32, 16)})).state_dict()
    )
    x = torch.randn(4, 1, 28, 28)
    with torch.no_grad():  # per sample: a sample's score does not depend on the rest of the batch
        assert torch.allclose(mlp(x)[:1], mlp(x[:1]), atol=1e-6) and mlp(x).shape == (4,)
    with pytest.raises(ValueError, match="WGAN-GP's critic must not use BatchNorm"):
        WGANGPConfig(d_norm="batch")
    with pytest.raises(ValueError, match="critic must be 'conv' or 'mlp', got 'resnet'"):
        WGANGPConfig(critic="resnet")


def test_wgan_generator_families_are_the_dcgan_and_gan_networks(tmp_path):
    from ganzoo.folder import save_folder
    from ganzoo.models.dcgan import DCGANGenerator
    from ganzoo.models.gan import GANConfig, GANGenerator

    for arch in ("wgan", "wgan-gp"):
        assert type(build(arch, make_config(arch, {"latent_dim": 8, "g_width": 8}))[0]) is DCGANGenerator
        cfg = make_config(arch, {"latent_dim": 8, "generator": "mlp", "g_hidden": [16, 32], "critic": "mlp"})
        G, D = build(arch, cfg)
        torch.manual_seed(0)
        ref = GANGenerator(GANConfig(latent_dim=8, g_hidden=(16, 32)))
        assert type(G) is GANGenerator and list(G.state_dict()) == list(ref.state_dict())
        G.load_state_dict(ref.state_dict())
        z = torch.randn(3, 8)
        G.eval(), ref.eval()
        with torch.no_grad():
            assert torch.equal(G(z), ref(z)) and G(z).shape == (3, 1, 28, 28)
        # a model folder with the MLP generator loads strictly and samples through the fast path
        m = ganzoo.load(save_folder(tmp_path / arch, arch, cfg, G, D, dataset="fashion-mnist", class_names=FASHION))
        assert m.config["config"]["generator"] == "mlp" and type(m.generator) is GANGenerator
        with torch.no_grad():
            assert torch.allclose(m.generate(z), (ref(z) + 1) / 2, atol=1e-5)
        with pytest.raises(ValueError, match="generator must be 'conv' or 'mlp', got 'resnet'"):
            make_config(arch, {"generator": "resnet"})


def test_dcgan_pooled_head_is_position_free_and_keeps_conv_keys():
    from ganzoo.models.dcgan import DCGANConfig, DCGANDiscriminator

    conv = DCGANDiscriminator(DCGANConfig(d_width=8))
    assert [k for k in conv.state_dict() if k.startswith("head")] == ["head.weight", "head.bias"]
    for norm in ("none", "spectral"):
        torch.manual_seed(0)
        d = DCGANDiscriminator(DCGANConfig(d_width=8, d_norm=norm, d_head="pool"))
        d.eval()
        x = torch.randn(2, 1, 28, 28)
        with torch.no_grad():
            h = d.features(x).mean(dim=(2, 3))  # (B, 16): the pooled features, by hand
            lin = d.head[2]
            assert torch.allclose(d(x), lin(h).squeeze(1), atol=1e-6) and d(x).shape == (2,)
    with pytest.raises(ValueError, match="d_head must be 'conv' or 'pool', got 'attention'"):
        make_config("dcgan", {"d_head": "attention"})


def test_gan_discriminator_dropout_acts_in_training_only_and_keeps_default_keys():
    from ganzoo.models.gan import GANConfig, GANDiscriminator

    plain = GANDiscriminator(GANConfig(d_hidden=(32, 16)))
    drop = GANDiscriminator(GANConfig(d_hidden=(32, 16), d_dropout=0.5))
    assert list(plain.state_dict()) == [
        "net.1.weight",
        "net.1.bias",
        "net.3.weight",
        "net.3.bias",
        "net.5.weight",
        "net.5.bias",
    ]  # no dropout: the keys of earlier folders
    drop.load_state_dict(
        {k.replace("net.3.", "net.4.").replace("net.5.", "net.7."): v for k, v in plain.state_dict().items()}
    )
    x = torch.randn(8, 1, 28, 28)
    plain.eval(), drop.eval()
    with torch.no_grad():
        assert torch.equal(plain(x), drop(x))  # eval: dropout is the identity
        drop.train()
        torch.manual_seed(0)
        assert not torch.allclose(plain(x), drop(x))  # training: units are dropped
    with pytest.raises(ValueError, match=r"d_dropout must be in \[0, 1\), got 1.0"):
        make_config("gan", {"d_dropout": 1.0})


# -- shapes-only builds (ganzoo.models.build_meta), from which folders are loaded -----------------------------------
@pytest.mark.parametrize("arch", sorted(ARCHITECTURES))
@pytest.mark.parametrize("sizes", ["tiny", "default"])
def test_meta_build_has_the_state_layout_of_a_real_build(arch, sizes):
    from ganzoo.models import build_meta

    cfg = make_config(arch, TINY[arch] if sizes == "tiny" else None)
    for real, meta in zip(build(arch, cfg), build_meta(arch, cfg)):
        if real is None:  # the VAE has no discriminator
            assert meta is None
            continue
        layout = [{k: (tuple(v.shape), v.dtype) for k, v in m.state_dict().items()} for m in (real, meta)]
        assert layout[0] == layout[1]


def test_builds_for_shapes_and_loading_leave_initialisation_alone_outside_them():
    import threading

    from ganzoo.models import build_empty, build_meta, skipping_init

    cfg = make_config("biggan", TINY["biggan"])
    build_meta.cache_clear()  # a cached build would enter nothing
    seen = []

    def other_thread():  # a build in another thread while this one skips keeps its initialisation
        g, _ = build("biggan", cfg)
        w = g.linear.parametrizations.weight.original.detach()  # orthogonal init: W^T W = I (W is tall)
        seen.append((skipping_init(), torch.allclose(w.T @ w, torch.eye(w.shape[1]), atol=1e-4)))

    class Probe(torch.nn.Module):
        def __init__(self):
            super().__init__()
            if seen or threading.current_thread() is not threading.main_thread():
                return  # once, from the skipping build (the other thread's build makes blocks too)
            t = threading.Thread(target=other_thread)
            t.start()
            t.join()
            assert skipping_init()

    from ganzoo.models import biggan

    real_block = biggan.GBlock
    try:
        biggan.GBlock = lambda *a, **k: (Probe(), real_block(*a, **k))[1]
        build_empty("biggan", cfg)
    finally:
        biggan.GBlock = real_block
    assert seen and seen[0] == (False, True)
    with pytest.raises(AttributeError):  # a build that fails half way
        build_empty("biggan", "not a config")
    assert not skipping_init()  # a build that raises leaves no skipping behind
    g, _ = build("biggan", cfg)
    w = g.linear.parametrizations.weight.original.detach()
    assert torch.allclose(w.T @ w, torch.eye(w.shape[1]), atol=1e-4)  # a fresh build is initialised
    build_meta("biggan", cfg)  # skips random init and spectral norm's numbers
    torch.manual_seed(0)
    sn = torch.nn.utils.parametrizations.spectral_norm(torch.nn.Linear(6, 5))
    u = sn.parametrizations.weight[0]._u
    assert torch.isclose(u.norm(), torch.tensor(1.0))  # power iterations ran: a unit vector
    sigma = torch.linalg.matrix_norm(sn.parametrizations.weight.original.detach(), 2)
    assert torch.allclose(torch.linalg.matrix_norm(sn.weight.detach(), 2), torch.tensor(1.0), atol=0.05), sigma
    assert torch.nn.init.normal_(torch.zeros(4)).abs().sum() > 0


@pytest.mark.slow
def test_loading_never_imports_torch_dynamo():
    """The meta-device build goes through no Python decomposition: their first use imports torch._dynamo, which
    made a BigGAN's or StyleGAN2's first load take 10-20 s on a 2-core machine."""
    import subprocess
    import sys

    code = (
        "import sys, ganzoo\n"
        "for name in ('biggan-mnist', 'stylegan2-mnist', 'progan-mnist', 'cgan-fashion-mnist', 'dcgan-mnist'):\n"
        "    ganzoo.load(name)\n"
        "print('torch._dynamo' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out.stderr
