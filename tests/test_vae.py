"""The VAE baseline: encoder/decoder shapes, the ELBO, training through the common trainer."""

from __future__ import annotations

import pytest
import torch

import ganzoo
from ganzoo.models import build, make_config
from training.objectives import ELBO, make_objective

TINY = {"latent_dim": 8, "width": 8, "hidden": 32}


def test_encode_decode_shapes_and_range():
    G, D = build("vae", make_config("vae", TINY))
    assert D is None  # trained without a discriminator
    x = torch.rand(5, 1, 28, 28) * 2 - 1
    mu, logvar = G.encode(x)
    assert mu.shape == logvar.shape == (5, 8)
    assert G.logits(mu).shape == (5, 1, 28, 28)
    img = G(mu)
    assert img.shape == (5, 1, 28, 28) and img.min() >= -1 and img.max() <= 1
    assert torch.allclose((img + 1) / 2, torch.sigmoid(G.logits(mu)), atol=1e-6)  # the mean of p(x | z)


def test_elbo_terms_are_the_bernoulli_nll_and_the_gaussian_kl():
    torch.manual_seed(0)
    G, _ = build("vae", make_config("vae", TINY))
    x = torch.rand(4, 1, 28, 28) * 2 - 1
    recon, kl = ELBO.terms(G, x, torch.Generator().manual_seed(1))
    mu, logvar = G.encode(x)
    z = mu + torch.randn(mu.shape, generator=torch.Generator().manual_seed(1)) * torch.exp(0.5 * logvar)
    p = torch.sigmoid(G.logits(z))
    t = (x + 1) / 2
    want = -(t * p.log() + (1 - t) * (1 - p).log()).flatten(1).sum(1)
    assert torch.allclose(recon, want, rtol=1e-4)
    q = torch.distributions.Normal(mu, torch.exp(0.5 * logvar))
    prior = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu))
    assert torch.allclose(kl, torch.distributions.kl_divergence(q, prior).sum(1), rtol=1e-4)


def test_elbo_is_finite_and_falls_over_a_few_steps():
    torch.manual_seed(0)
    G, _ = build("vae", make_config("vae", TINY))
    x = (torch.rand(32, 1, 28, 28) > 0.7).float() * 2 - 1  # a fixed batch
    opt = torch.optim.Adam(G.parameters(), 1e-3)
    noise = torch.Generator().manual_seed(0)
    losses = []
    for _ in range(30):
        recon, kl = ELBO.terms(G, x, noise)
        loss = (recon + kl).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert all(torch.isfinite(torch.tensor(losses))) and losses[-1] < 0.8 * losses[0]


def test_objective_and_architecture_go_together():
    from ganzoo.errors import TrainingError
    from training.recipes import apply_overrides, get_recipe

    assert isinstance(make_objective("elbo"), ELBO)
    with pytest.raises(TrainingError, match="the vae architecture trains with the elbo objective, and only it does"):
        apply_overrides(get_recipe("vae-mnist"), ["--objective=bce"])
    with pytest.raises(TrainingError, match="trains with the elbo objective"):
        apply_overrides(get_recipe("dcgan-mnist"), ["--objective=elbo"])


def test_vae_folder_round_trip_has_no_discriminator(tmp_path):
    from .conftest import make_tiny_folder

    folder = make_tiny_folder(tmp_path / "v", "vae", dataset="mnist")
    assert not (folder / "discriminator.safetensors").exists()
    m = ganzoo.load(folder, discriminator=True)
    assert m.discriminator is None
    assert torch.equal(m.sample(3, seed=0), ganzoo.load(folder).sample(3, seed=0))


def test_encode_and_invert_use_the_encoder(tmp_path):
    from .conftest import make_tiny_folder

    vae = ganzoo.load(make_tiny_folder(tmp_path / "v", "vae", dataset="mnist"))
    x = vae.sample(4, seed=1)
    z = vae.encode(x)
    assert z.shape == (4, 8)
    assert torch.equal(vae.encode(vae.to_pil(x)), vae.encode(torch.stack([torch.round(i * 255) / 255 for i in x])))
    zi, mse = vae.invert(x, return_error=True)
    assert torch.equal(zi, z) and torch.allclose(mse, (vae.generate(z) - x).square().flatten(1).mean(1))
    gan = ganzoo.load(make_tiny_folder(tmp_path / "g", "dcgan"))
    with pytest.raises(
        ganzoo.GanzooError,
        match="is a dcgan model, which has no encoder; find latents for images "
        r"with model.invert\(images\) instead",
    ):
        gan.encode(x)
    with pytest.raises(ganzoo.GanzooError, match=r"images must have shape \(N, 1, 28, 28\)"):
        vae.encode(torch.zeros(2, 1, 14, 14))


def test_trainer_updates_the_vae_and_its_ema(tmp_path, monkeypatch):
    """The ELBO's own step goes through the trainer: the EMA generator the zoo ships follows it."""
    import training.train as tt
    from training.recipes import apply_overrides, get_recipe

    g = torch.Generator().manual_seed(0)
    x = (torch.rand(64, 1, 28, 28, generator=g) * 255).to(torch.uint8)
    monkeypatch.setattr(tt, "load_images", lambda *a, **k: (x.float().div(127.5).sub(1), torch.zeros(64).long()))
    r = apply_overrides(
        get_recipe("vae-mnist"),
        [
            "--model.latent_dim=8",
            "--model.width=8",
            "--model.hidden=32",
            "--batch_size=16",
            "--eval_every=0",
            "--sample_every=0",
        ],
    )
    t = tt.Trainer(r, tmp_path / "run", quiet=True)
    before = [p.clone() for p in t.ema.module.parameters()]
    losses = [t.train_step()["loss_g"] for _ in range(5)]
    assert all(torch.isfinite(torch.tensor(losses)))
    assert any(not torch.equal(a, b) for a, b in zip(before, t.ema.module.parameters()))


def test_eval_reports_the_test_split_neg_elbo_in_nats(tmp_path, data_root):
    """The ELBO `ganzoo eval` reports is the training objective's, over the whole split, seeded."""
    from ganzoo.datasets import load_idx_split
    from ganzoo.metrics import neg_elbo

    from .conftest import make_tiny_folder

    vae = ganzoo.load(make_tiny_folder(tmp_path / "v", "vae", dataset="mnist"))
    got = neg_elbo(vae, "mnist", root=data_root, seed=3)  # the 256 synthetic test images: one batch
    images, _ = load_idx_split("mnist", "test", data_root)
    x = torch.from_numpy(images.copy()).float().div(255)[:, None] * 2 - 1
    with torch.no_grad():
        recon, kl = ELBO.terms(vae.generator, x, torch.Generator().manual_seed(3))
    assert got["neg_elbo_nats"] == pytest.approx(float((recon + kl).mean()), rel=1e-5)
    assert got["neg_elbo_kl_nats"] == pytest.approx(float(kl.mean()), rel=1e-5) and got["neg_elbo_kl_nats"] > 0
    assert neg_elbo(vae, "mnist", root=data_root, seed=3) == got  # seeded
    # the KL term needs no sample: the same in any batching
    assert neg_elbo(vae, "mnist", root=data_root, seed=3, batch=7)["neg_elbo_kl_nats"] == pytest.approx(
        got["neg_elbo_kl_nats"], rel=1e-5
    )
