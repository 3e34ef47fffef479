"""BigGAN: the class-conditional ResNet networks, the hinge loss, orthogonal regularisation, training and exact
resume, labels as for cgan-*, truncation (BigGAN's z resampling), ONNX with labels and the torch-free runtime, and
the errors of every new argument. Tiny configs: milliseconds to seconds."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

import ganzoo
from ganzoo.models import build, make_config

from .conftest import TINY, make_tiny_folder


@pytest.fixture(scope="module")
def bg(tmp_path_factory):
    return ganzoo.load(make_tiny_folder(tmp_path_factory.mktemp("bg") / "m", "biggan", seed=1))


def tiny_nets(**over):
    torch.manual_seed(0)
    return build("biggan", make_config("biggan", {**TINY["biggan"], **over}))


# -- the networks -----------------------------------------------------------------------------------------------
def test_shapes_hierarchical_latent_and_spectral_norm():
    G, D = tiny_nets()
    z, y = torch.randn(4, 8), torch.tensor([0, 1, 2, 3])
    assert G(z, y).shape == (4, 1, 28, 28) and D(G(z, y), y).shape == (4,)
    assert G.chunks == [4, 2, 2]  # 8 = the 7x7 map's chunk (with the rest) + one chunk per up-block
    G.eval()
    with torch.no_grad():
        base = G(z, y)
        for i, (lo, hi) in enumerate([(0, 4), (4, 6), (6, 8)]):  # every chunk reaches the image
            z2 = z.clone()
            z2[:, lo:hi] += 1
            assert not torch.equal(G(z2, y), base), i
        assert not torch.equal(G(z, (y + 1) % 10), base)  # and the label
    # spectral norm on every conv and linear layer of both networks (not on G's shared embedding), attention at 14
    for net in (G, D):
        layers = [m for m in net.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
        assert layers and all(hasattr(m, "parametrizations") for m in layers)
    assert not hasattr(G.shared, "parametrizations") and hasattr(D.embed, "parametrizations")
    assert list(G.attn) == ["0"] and list(D.attn) == ["0"]
    assert not tiny_nets(attention=0)[0].attn


def test_orthogonal_regularisation_is_the_off_diagonal_gram_penalty():
    G, _ = tiny_nets(ortho_reg=0.5)
    penalty, stats = G.regularizer(8, 0)
    want = 0.0
    for name, p in G.named_parameters():
        if p.ndim >= 2 and not name.startswith("shared."):
            w = p.detach().flatten(1)
            gram = w @ w.T
            want += float((gram - torch.diag(torch.diag(gram))).square().sum())
    assert stats["ortho"] == pytest.approx(want, rel=1e-5) and penalty.item() == pytest.approx(0.5 * want, rel=1e-5)
    penalty.backward()
    assert G.blocks[0].conv0.parametrizations.weight.original.grad.abs().sum() > 0
    assert G.shared.weight.grad is None
    assert tiny_nets(ortho_reg=0.0)[0].regularizer(8, 0) is None


def test_proj_weight_scales_only_the_class_term():
    _, D1 = tiny_nets()
    _, Dh = tiny_nets(proj_weight=0.25)  # same seed: same weights
    x, y = torch.rand(3, 1, 28, 28), torch.tensor([0, 4, 9])
    D1.eval(), Dh.eval()
    with torch.no_grad():
        s1, sh = D1(x, y), Dh(x, y)
        h = x
        for i, block in enumerate(D1.blocks):
            h = block(h)
            if str(i) in D1.attn:  # the tiny config's attention, after block 0 (14x14)
                h = D1.attn[str(i)](h)
        h = torch.relu(h).sum((2, 3))
        uncond, proj = D1.linear(h).squeeze(1), (D1.embed(y) * h).sum(1)
    torch.testing.assert_close(s1, uncond + proj)
    torch.testing.assert_close(sh, uncond + 0.25 * proj)
    with pytest.raises(ValueError, match=re.escape("proj_weight must be > 0, got 0.0")):
        tiny_nets(proj_weight=0.0)


def test_hinge_objective():
    from training.objectives import make_objective

    class Score(torch.nn.Module):  # D(x) = the mean pixel
        def forward(self, x, labels=None):
            return x.flatten(1).mean(1)

    obj = make_objective("hinge")
    real = torch.tensor([2.0, 0.5]).reshape(2, 1, 1, 1)
    fake = torch.tensor([-3.0, 0.0]).reshape(2, 1, 1, 1)
    loss, stats = obj.d_loss(Score(), real, fake, None, torch.Generator())
    # relu(1 - [2, 0.5]) = [0, 0.5]; relu(1 + [-3, 0]) = [0, 1]
    assert loss.item() == pytest.approx(0.25 + 0.5) and stats == {"d_real": 1.25, "d_fake": -1.5}
    assert obj.g_loss(Score(), fake, None).item() == pytest.approx(1.5)


def test_config_errors():
    with pytest.raises(
        ValueError,
        match=re.escape("attention must be 0 (none) or a resolution between the blocks of G and D (14), got 7"),
    ):
        make_config("biggan", {"attention": 7})
    with pytest.raises(
        ValueError,
        match=re.escape("latent_dim must be >= 3: one chunk for the 7x7 map and one per up-block, got 2"),
    ):
        make_config("biggan", {"latent_dim": 2})
    with pytest.raises(ValueError, match=re.escape("biggan is class-conditional: num_classes must be >= 2, got 0")):
        make_config("biggan", {"num_classes": 0})
    with pytest.raises(ValueError, match=re.escape("d_widths needs one width per resolution (3 for 28x28)")):
        make_config("biggan", {"d_widths": (8,)})
    G, D = tiny_nets()
    with pytest.raises(ValueError, match="biggan generator needs labels"):
        G(torch.randn(2, 8))
    with pytest.raises(ValueError, match="biggan discriminator needs labels"):
        D(torch.randn(2, 1, 28, 28))


# -- training -----------------------------------------------------------------------------------------------------
TRAIN = [
    "--quiet",
    "--eval_every=0",
    "--sample_every=0",
    "--subset=256",
    "--batch_size=16",
    "--log_every=1",
    "--ckpt_every=0",
    "--model.latent_dim=8",
    "--model.g_widths=8,8,4",
    "--model.d_widths=4,8,8",
    "--model.embed_dim=4",
]


@pytest.mark.slow  # seconds of work: the full suite (the README's test command) runs it, `-m "not slow"` skips it
def test_trains_and_resumes_exactly(tmp_path, data_root):
    from training.train import main

    from .test_training import read_log

    args = ["--data-root", str(data_root), *TRAIN]
    main(["biggan-fashion-mnist", "--out", str(tmp_path / "a"), "--steps=4", *args])
    main(["biggan-fashion-mnist", "--out", str(tmp_path / "b"), "--steps=2", *args])
    main(["biggan-fashion-mnist", "--out", str(tmp_path / "b"), "--steps=4", "--resume", *args])
    a, b = read_log(tmp_path / "a" / "log.csv"), read_log(tmp_path / "b" / "log.csv")
    cols = ("loss_d", "loss_g", "d_real", "d_fake", "grad_norm_g", "grad_norm_d")
    assert len(a) == 4 and [[r[c] for c in cols] for r in a] == [[r[c] for c in cols] for r in b]
    ma, mb = ganzoo.load(tmp_path / "a" / "model"), ganzoo.load(tmp_path / "b" / "model")
    sa, sb = ma.generator.state_dict(), mb.generator.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert ma.class_names[1] == "Trouser" and torch.equal(ma.sample(3, seed=0), mb.sample(3, seed=0))


# -- labels, truncation ---------------------------------------------------------------------------------------------
def test_labels_class_names_and_balanced_default(bg):
    assert bg.conditional and bg.num_classes == 10
    balanced = bg.sample(12, seed=0)
    assert torch.equal(balanced, bg.sample(12, seed=0, labels=[i % 10 for i in range(12)]))
    assert torch.equal(bg.sample(2, seed=0, labels="Trouser"), bg.sample(2, seed=0, labels=1))
    assert not torch.equal(bg.sample(2, seed=0, labels=1), bg.sample(2, seed=0, labels=2))
    with pytest.raises(ganzoo.LabelError, match="Trowser"):
        bg.sample(2, labels="Trowser")


def test_truncation_resamples_z_and_is_seeded(bg):
    z = bg.sample_latent(64, seed=4, truncation=0.5)
    assert z.abs().max() <= 0.5
    x = bg.sample(6, seed=4, truncation=0.5, labels=3)
    assert torch.equal(x, bg.sample(6, seed=4, truncation=0.5, labels=3))
    assert torch.equal(x, bg.generate(bg.sample_latent(6, seed=4, truncation=0.5), labels=3))
    assert not torch.equal(x, bg.sample(6, seed=4, labels=3))
    # resampling, not clamping: entries inside the threshold are the untruncated draw's
    full = bg.sample_latent(6, seed=4)
    kept = full.abs() <= 0.5
    assert torch.equal(bg.sample_latent(6, seed=4, truncation=0.5)[kept], full[kept])
    for bad in (0, -1.0, "0.5", True):
        with pytest.raises(
            ganzoo.GanzooError, match=re.escape(f"truncation must be a positive number (e.g. 0.7), got {bad!r}")
        ):
            bg.sample(2, truncation=bad)


def test_resolution_is_refused(bg):
    with pytest.raises(ganzoo.GanzooError, match=re.escape("resolution= needs a progressively grown generator")):
        bg.sample(2, resolution=14)


# -- ONNX ----------------------------------------------------------------------------------------------------------
@pytest.mark.slow  # seconds of work: the full suite (the README's test command) runs it, `-m "not slow"` skips it
def test_onnx_with_labels_and_the_torch_free_runtime(tiny_onnx):
    from ganzoo.runtime import OnnxGenerator

    folder, path = tiny_onnx("biggan")  # exported once for the session, checked against torch at batch 1, 7, 64
    bg, rt = ganzoo.load(folder), OnnxGenerator(path)
    assert rt.input_names == ["z", "labels"] and rt.class_names == bg.class_names
    np.testing.assert_allclose(rt.sample(10, seed=2), bg.sample(10, seed=2).numpy(), atol=1e-4)  # balanced labels
    np.testing.assert_allclose(
        rt.sample(4, labels="Bag", seed=2, truncation=0.6),
        bg.sample(4, labels="Bag", seed=2, truncation=0.6).numpy(),
        atol=1e-4,
    )
