"""Controllable generation: steering toward a class, class directions, inversion (ganzoo.control)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import ganzoo
from ganzoo.cli import main as cli
from ganzoo.control import classifier_for

from .conftest import make_tiny_folder


@pytest.fixture(scope="module")
def tiny_mnist(tmp_path_factory):
    m = ganzoo.load(make_tiny_folder(tmp_path_factory.mktemp("c") / "m", "dcgan", seed=3, dataset="mnist"))
    with torch.no_grad():  # an untrained tiny G draws near-uniform grey: scale its last layer so z matters
        m.generator.net[-2].weight.mul_(30)
    return m


def p_class(model, z, c):
    with torch.no_grad():
        return classifier_for(model)(model.generate(z))[1].softmax(1)[:, c]


def test_steer_path_starts_at_z_and_moves_the_prediction_toward_the_target(tiny_mnist):
    m = tiny_mnist
    # start far from class 4 (the least 4-like of 16 draws): the tiny model's class-4 log-probability
    # levels off near -16.4, so a start already near that has little room to climb
    zs = m.sample_latent(16, seed=0)
    z = zs[p_class(m, zs, 4).argmin()]
    kw = dict(steps=6, iters=60, views=False, ensemble=False, anchors=0)  # the path's geometry: one classifier
    path = m.steer(z, 4, **kw)
    assert path.shape == (6, m.latent_dim) and torch.equal(path[0], z)
    logp = p_class(m, path, 4).log()
    assert logp[-1] > logp[0] + 1.0 and (logp.diff() > 0).all(), logp  # up along the whole path
    assert torch.equal(path, m.steer(z, 4, **kw))  # deterministic
    assert torch.equal(path, m.steer(z, "4", **kw))  # class names work as for labels


def test_steered_latents_stop_once_the_target_is_reached(tiny_mnist):
    from ganzoo.control import steer_latents

    m = tiny_mnist
    z = m.sample_latent(8, seed=1)
    start_pred = classifier_for(m)(m.generate(z))[1].argmax(1)
    c = int(start_pred[0])  # latent 0 already shows class c
    # one classifier, one view: the criterion latent 0 already meets (views and the ensemble would be stricter)
    end, done = steer_latents(m, z, c, confidence=0.0, iters=20, views=False, ensemble=False)
    assert bool(done[0]) and torch.equal(end[0], z[0])  # nothing to do: it does not move


@pytest.mark.slow
def test_stalled_latents_restart_toward_the_nearest_confident_sample():
    from ganzoo.control import steer_latents

    m = ganzoo.load("dcgan-mnist")
    net = classifier_for(m)
    z = m.sample_latent(12, seed=5)
    # iters=0: no gradient step at all, so only the restarts can get a latent to class 0
    kw = dict(iters=0, restart="nearest", anchor_mix=0.5)
    end, done = steer_latents(m, z, 0, **kw)
    assert done.all()
    with torch.no_grad():
        p = net(m.generate(end))[1].softmax(1)
    assert (p.argmax(1) == 0).all() and (p[:, 0] >= 0.9).all()
    _, alone = steer_latents(m, z, 0, iters=0, anchors=0)
    assert not alone.all()  # without restarts the same latents stay where they are
    again, _ = steer_latents(m, z, 0, **kw)
    assert torch.equal(again, end)  # the anchor pool is seeded


@pytest.mark.slow
def test_stalled_latents_restart_toward_the_class_centre():
    from ganzoo.control import steer_latents

    m = ganzoo.load("dcgan-mnist")
    z = m.sample_latent(12, seed=5)
    # iters=0: no gradient step, so every latent that is no 0 yet ends where it restarts: 0.7 of the way to one
    # centre shared by all of them, where most of them already meet the criterion
    end, done = steer_latents(m, z, 0, iters=0)
    moved = ~torch.isclose(end, z).all(1)
    assert moved.sum() >= 6 and done[moved].float().mean() >= 0.5, (moved, done)
    centre = z[moved] + (end[moved] - z[moved]) / 0.7
    assert torch.allclose(centre, centre[0].expand_as(centre), atol=1e-4)
    assert float(centre[0].norm()) < 0.7 * m.latent_dim**0.5  # a mean of latents: shorter than a typical one
    assert (p_class(m, end[moved], 0) > p_class(m, z[moved], 0)).float().mean() >= 0.75  # nearer to a 0
    assert torch.equal(steer_latents(m, z, 0, iters=0)[0], end)  # the pool is seeded
    with pytest.raises(ganzoo.GanzooError, match="restart must be 'centre' or 'nearest', got 'far'"):
        steer_latents(m, z, 0, restart="far")


@pytest.mark.slow  # seconds of work: the full suite (the README's test command) runs it, `-m "not slow"` skips it
def test_the_restart_pool_is_read_once_per_model_until_its_weights_change(tiny_mnist, monkeypatch, tmp_path):
    from ganzoo import control

    m = tiny_mnist
    m.__dict__.pop("_pool_probs", None)
    z = m.sample_latent(3, seed=1)
    kw = dict(iters=0, anchors=40, centre_top=4)
    first = control.steer_latents(m, z, 2, **kw)[0]
    reads = []
    real = control._Criterion.mean_probs
    monkeypatch.setattr(control._Criterion, "mean_probs", lambda self, x: reads.append(len(x)) or real(self, x))
    # the same pool toward another class, and again toward the first: no new reading, the same ends
    control.steer_latents(m, z, 7, **kw)
    assert reads == [] and torch.equal(control.steer_latents(m, z, 2, **kw)[0], first)
    m.__dict__.pop("_pool_probs")
    assert torch.equal(control.steer_latents(m, z, 2, **kw)[0], first) and reads == [40]  # read afresh: equal
    p = next(m.generator.parameters())
    kept = p.detach().clone()
    with torch.no_grad():
        p.mul_(1.5)  # weights changed in place: the pool's images are not what was read
    changed = control.steer_latents(m, z, 2, **kw)[0]
    with torch.no_grad():
        p.copy_(kept)  # the fixture's model is shared
    assert reads == [40, 40] and not torch.equal(changed, first)
    # back to the first weights: no new reading; then changes a version counter misses are read afresh too
    assert torch.equal(control.steer_latents(m, z, 2, **kw)[0], first) and reads == [40, 40]
    p.data.mul_(1.5)  # through .data (p._version does not move): the weights read second, kept
    assert torch.equal(control.steer_latents(m, z, 2, **kw)[0], changed) and reads == [40, 40]
    p.data.copy_(kept * 2)
    twice = control.steer_latents(m, z, 2, **kw)[0]
    p.data.copy_(kept)
    assert reads == [40, 40, 40] and not torch.equal(twice, first)
    own = m.generator
    other = ganzoo.load(make_tiny_folder(tmp_path / "other", "dcgan", seed=4, dataset="mnist"))
    m.generator = other.generator  # another network of the same shape and parameter versions in its place
    try:
        swapped = control.steer_latents(m, z, 2, **kw)[0]
    finally:
        m.generator = own
    m.__dict__.pop("_pool_probs")
    assert reads == [40, 40, 40, 40] and torch.equal(swapped, control.steer_latents(other, z, 2, **kw)[0])


@pytest.mark.slow  # seconds of work: the full suite (the README's test command) runs it, `-m "not slow"` skips it
def test_chunked_steering_equals_steering_the_whole_batch_at_once(tiny_mnist, monkeypatch):
    """steer_latents runs STEER_CHUNK latents per forward and backward pass: the latents' losses are independent, so
    any chunk size gives the same verdicts and the same ends, and each latent ends where it ends when steered alone.
    Up to rounding, which Adam amplifies (its step is about lr for a gradient of any size, so a near-zero gradient
    entry rounded differently by a batch-size-dependent convolution kernel moves its entry differently): hence
    the tolerance, far below how far the latents move."""
    from ganzoo import control

    m = tiny_mnist
    z = m.sample_latent(5, seed=4)
    # views, ensemble and a restart; no least-convinced-reading term: its min() switches readings where two are
    # equal to float rounding, which a batch-size-dependent convolution kernel may round either way
    kw = dict(iters=12, anchors=40, centre_top=4, worst_weight=0.0)
    monkeypatch.setattr(control, "STEER_CHUNK", 1000)
    whole, done = control.steer_latents(m, z, 6, **kw)
    monkeypatch.setattr(control, "STEER_CHUNK", 2)
    chunked, done2 = control.steer_latents(m, z, 6, **kw)
    assert float((whole - z).abs().amax(1).min()) > 0.2  # every latent moved: the comparison is not of starts
    assert torch.equal(done, done2) and torch.allclose(chunked, whole, atol=1e-2), (chunked - whole).abs().max()
    alone = [control.steer_latents(m, z[i : i + 1], 6, **kw) for i in range(len(z))]
    assert torch.equal(torch.cat([d for _, d in alone]), done)
    assert torch.allclose(torch.cat([e for e, _ in alone]), whole, atol=1e-2)


@pytest.mark.slow  # seconds of work: the full suite (the README's test command) runs it, `-m "not slow"` skips it
def test_the_steering_path_starts_exactly_at_z_and_is_deterministic_with_the_default_settings(tiny_mnist):
    m = tiny_mnist
    z = m.sample_latent(1, seed=9)[0]
    path = m.steer(z, 5, steps=4, anchors=40)  # default iters, views, ensemble, restart toward the centre
    assert torch.equal(path[0], z) and not torch.equal(path[-1], z)
    assert torch.equal(path, m.steer(z, 5, steps=4, anchors=40))


def test_folded_ensemble_members_read_as_the_stored_ones():
    """steering_classifiers folds the all-conv members' BatchNorms into their convolutions: the same logits."""
    from ganzoo.control import AllConvNet, ensemble_paths, steering_classifiers
    from ganzoo.folder import load_state_file, load_strict

    m = ganzoo.load("dcgan-mnist")
    nets = steering_classifiers(m)
    paths = ensemble_paths("mnist")
    assert len(nets) == 1 + len(paths) >= 3
    x = m.sample(16, seed=0)
    for net, path in zip(nets[1:], paths):
        assert not any(isinstance(mod, torch.nn.BatchNorm2d) for mod in net.modules())
        stored = AllConvNet()
        load_strict(stored, load_state_file(path), path)
        with torch.no_grad():
            assert torch.allclose(net(x)[1], stored.eval()(x)[1], atol=1e-4)


def test_the_pool_is_read_in_chunks_with_the_same_probabilities(tiny_mnist, monkeypatch):
    from ganzoo import control

    m = tiny_mnist
    crit = control._Criterion(control.steering_classifiers(m), 2, control.VIEWS, 0.99)
    x = m.sample(70, seed=3)
    monkeypatch.setattr(control, "STEER_CHUNK", 1000)
    whole = crit.mean_probs(x)
    monkeypatch.setattr(control, "STEER_CHUNK", 32)
    assert whole.shape == (70, 10) and torch.allclose(crit.mean_probs(x), whole, atol=1e-6)


def test_class_directions_are_class_means_of_classified_samples(tiny_mnist):
    m = tiny_mnist
    with pytest.raises(ganzoo.GanzooError, match=r"no sample of class\(es\)"):  # an untrained G draws few classes
        m.class_directions(200, seed=0)
    real = ganzoo.load("dcgan-mnist")
    d = real.class_directions(500, seed=0)
    z = real.sample_latent(500, seed=0)
    with torch.no_grad():
        pred = classifier_for(real)(real.generate(z))[1].argmax(1)
    assert d.shape == (10, real.latent_dim)
    for c in range(10):
        assert torch.allclose(d[c], z[pred == c].mean(0), atol=1e-5)
    # the lectures' arithmetic: from the mean "1" latent, + d[7] - d[1] lands on the mean "7" latent
    assert torch.allclose(d[1] + d[7] - d[1], d[7])


@pytest.mark.slow
def test_invert_recovers_a_generated_image(tiny_mnist):
    m = tiny_mnist
    target = m.generate(m.sample_latent(2, seed=7))
    z, mse = m.invert(target, steps=150, return_error=True)
    assert z.shape == (2, m.latent_dim) and mse.shape == (2,)
    start = m.invert(target, steps=1, return_error=True)[1]
    assert (mse < 0.5 * start).all() and (mse < 2e-3).all(), (mse, start)
    assert torch.allclose(m.generate(z), target, atol=0.1)
    pils = m.to_pil(target)  # PIL images work the same
    assert torch.allclose(
        m.invert(pils, steps=5),
        m.invert(torch.from_numpy(np.stack([np.asarray(p, np.float32) / 255 for p in pils]))[:, None], steps=5),
        atol=1e-6,
    )


def label_gap(m, x, g, nets):
    """The steering classifiers' KL divergence from the originals' class probabilities to the reconstructions'."""
    with torch.no_grad():
        p = torch.stack([c(x)[1].log_softmax(1) for c in nets])
        q = torch.stack([c(g)[1].log_softmax(1) for c in nets])
    return (p.exp() * (p - q)).sum(-1).mean(0)


def test_invert_starts_from_the_draw_best_in_pixels_and_labels(tiny_mnist):
    """lr=0 returns the chosen start itself: the seeded draw with the least pixel error plus select_weight times
    the label gap (pixels alone at 0); a large weight trades pixel error for a smaller label gap."""
    from ganzoo.control import steering_classifiers

    m, n, starts = tiny_mnist, 3, 16
    x = m.generate(m.sample_latent(n, seed=11))
    nets = steering_classifiers(m)
    assert len(nets) == 3  # ganzoo's classifier and the two all-conv members
    cand = m.sample_latent(n * starts, seed=0).reshape(starts, n, -1)
    with torch.no_grad():
        g = torch.stack([m.generate(c) for c in cand])
    mse = (g - x).square().flatten(2).mean(2)  # (starts, n)
    gap = torch.stack([label_gap(m, x, gi, nets) for gi in g])
    for w in (0.0, 0.1, 100.0):
        z = m.invert(x, steps=1, lr=0.0, starts=starts, select_weight=w)
        best = (mse + w * gap).argmin(0)
        assert torch.equal(z, cand[best, torch.arange(n)]), w
    pixels = m.invert(x, steps=1, lr=0.0, starts=starts, select_weight=0.0)
    labels = m.invert(x, steps=1, lr=0.0, starts=starts, select_weight=100.0)
    assert not torch.equal(pixels, labels)
    assert (label_gap(m, x, m.generate(labels), nets) <= label_gap(m, x, m.generate(pixels), nets) + 1e-6).all()


def test_invert_label_term_closes_the_label_gap_deterministically(tiny_mnist):
    from ganzoo.control import steering_classifiers

    m = tiny_mnist
    x = m.generate(m.sample_latent(2, seed=5)).flip(-1)  # mirrored: no latent draws them exactly
    nets = steering_classifiers(m)
    kw = dict(steps=25, starts=4, select_weight=0.0)
    plain = m.invert(x, label_weight=0.0, **kw)
    labelled = m.invert(x, label_weight=1.0, **kw)
    assert torch.equal(labelled, m.invert(x, label_weight=1.0, **kw))  # deterministic, views and all
    assert label_gap(m, x, m.generate(labelled), nets).sum() < label_gap(m, x, m.generate(plain), nets).sum()


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda m: m.steer(m.sample_latent(1)[0], 12), r"toward must be a class of mnist: an int 0..9"),
        (lambda m: m.steer(m.sample_latent(1)[0], "seven"), r"toward must be a class of mnist"),
        (lambda m: m.steer(m.sample_latent(2), 3), r"steer takes one latent"),
        (lambda m: m.steer(m.sample_latent(1)[0], 3, steps=1), r"steps must be an int >= 2"),
        (
            lambda m: m.steer(torch.full((m.latent_dim,), float("nan")), 3),
            r"z holds \d+ NaN, infinite or out-of-float32-range value",
        ),
        (lambda m: m.invert(torch.rand(2, 1, 32, 32)), r"images must have shape \(N, 1, 28, 28\)"),
        (lambda m: m.invert(torch.rand(2, 3, 28, 28)), r"images must have shape \(N, 1, 28, 28\)"),
        (lambda m: m.invert(torch.rand(2, 1, 28, 28) * 255), r"finite floats in \[0, 1\]"),
        (lambda m: m.invert(m.to_pil(torch.rand(1, 1, 32, 32))), r"image size 32x32 does not match the model's 28x28"),
        (lambda m: m.invert(torch.rand(1, 1, 28, 28), select_weight=-1), r"select_weight must be a finite number >= 0"),
        (lambda m: m.invert(torch.rand(1, 1, 28, 28), label_weight=float("nan")), r"label_weight must be a finite"),
        (lambda m: m.invert(torch.rand(1, 1, 28, 28), label_weight=True), r"label_weight must be a finite number"),
        (lambda m: m.invert(torch.rand(1, 1, 28, 28), label_weight="0.1"), r"label_weight must be a finite number"),
        (lambda m: m.invert(torch.rand(1, 1, 28, 28), label_views="yes"), r"label_views must be True or False"),
        (lambda m: m.invert(torch.rand(1, 1, 28, 28), ensemble=1), r"ensemble must be True or False, got 1"),
    ],
)
def test_bad_input(call, message, tiny_mnist):
    with pytest.raises(ganzoo.GanzooError, match=message):
        call(tiny_mnist)


def test_no_classifier_and_conditional_directions_are_refused(tmp_path):
    m = ganzoo.load(make_tiny_folder(tmp_path / "celeba", "dcgan", dataset="celeba"))
    with pytest.raises(ganzoo.GanzooError, match=r"need ganzoo's classifier .* none for 'celeba'"):
        m.steer(m.sample_latent(1)[0], 1)
    c = ganzoo.load(make_tiny_folder(tmp_path / "cgan", "cgan", dataset="mnist"))
    with pytest.raises(ganzoo.GanzooError, match="class_directions is for unconditional models"):
        c.class_directions()
    path = c.steer(c.sample_latent(1)[0], 3, labels=3, steps=3, iters=3, anchors=100)  # a cGAN holds its label
    assert path.shape == (3, c.latent_dim)


@pytest.fixture(scope="module")
def tiny_cgan(tmp_path_factory):
    return ganzoo.load(make_tiny_folder(tmp_path_factory.mktemp("cg") / "cgan", "cgan", dataset="mnist"))


def test_move_label_path_runs_from_the_held_label_to_the_target(tiny_cgan):
    from ganzoo.control import steer_latents

    c = tiny_cgan
    z = c.sample_latent(1, seed=4)[0]
    kw = dict(iters=2, anchors=20, views=False)
    path, labels = c.steer(z, 3, labels=5, steps=4, move_label=True, **kw)
    assert path.shape == (4, c.latent_dim) and torch.equal(path[0], z)
    assert labels.shape == (4, 10) and torch.allclose(labels.sum(1), torch.ones(4))
    assert labels[0].argmax() == 5 and labels[-1].argmax() == 3 and labels[0].max() == labels[-1].max() == 1
    assert labels[1, 5] > labels[2, 5] > 0 and 0 < labels[1, 3] < labels[2, 3]  # the label moves in a line
    images = c.generate(path, labels)
    torch.testing.assert_close(images[0], c.generate(z[None], 5)[0])  # exactly (z, held label) at the start
    torch.testing.assert_close(images[-1], c.generate(path[-1:], 3)[0])  # the end drawn with the target label
    # the descent runs under the target's label: the held label changes the path's start, not its end
    ends = [steer_latents(c, z[None], 3, labels=y, move_label=True, **kw)[0] for y in (5, 0)]
    assert torch.equal(ends[0], ends[1])
    assert torch.equal(ends[0], steer_latents(c, z[None], 3, labels=3, **kw)[0])  # = steering with label 3 held


def test_generate_takes_class_weights_and_refuses_bad_ones(tiny_cgan, tiny_mnist):
    c = tiny_cgan
    z = c.sample_latent(3, seed=1)
    one_hot = torch.nn.functional.one_hot(torch.tensor([2, 7, 7]), 10).float()
    torch.testing.assert_close(c.generate(z, one_hot), c.generate(z, [2, 7, 7]))  # a one-hot row is the label
    half = (one_hot + torch.nn.functional.one_hot(torch.tensor([4, 4, 4]), 10).float()) / 2
    mixed = c.generate(z, half)
    g = c.generator
    with torch.no_grad():  # the mix's embedding is the mean of the two classes' rows, fed to the same body
        e = (g.embed.weight[[2, 7, 7]] + g.embed.weight[4]) / 2
        torch.testing.assert_close(mixed, (g.body(torch.cat([z, e], 1)) + 1) / 2)
    for a, b in ((mixed, c.generate(z, [2, 7, 7])), (mixed, c.generate(z, 4))):
        assert ((a - b).abs().flatten(1).amax(1) > 1e-3).all()  # every row differs from both ends
    with pytest.raises(ganzoo.LabelError, match=r"labels of shape \(3, 10\): give one label per sample"):
        c.generate(z, one_hot.long())  # an int one-hot is not class weights
    c.generate(z, one_hot.half() / 3 * 3)  # float16 rows sum to 1 only to its precision: accepted
    bad_row = one_hot.clone()
    bad_row[1, 0] = 0.5
    for weights, message in (
        (
            one_hot[:2],
            r"class weights must have shape \(3, 10\): one row of 10 class weights per latent, got \(2, 10\)",
        ),
        (one_hot[:, :9], r"class weights must have shape \(3, 10\).*got \(3, 9\)"),
        (one_hot - 0.5, r"class weights must be finite and >= 0"),
        (one_hot * float("nan"), r"class weights must be finite and >= 0"),
        (bad_row, r"each row of class weights must sum to 1 \(a mix of classes\), a row is off by 0.5"),
    ):
        with pytest.raises(ganzoo.LabelError, match=message):
            c.generate(z, weights)
    with pytest.raises(ganzoo.LabelError, match="is unconditional: it takes no labels or class weights"):
        tiny_mnist.generate(z, one_hot)
    with pytest.raises(ganzoo.GanzooError, match="move_label is for conditional models"):
        tiny_mnist.steer(z[0], 3, move_label=True, iters=1, anchors=0)
    with pytest.raises(ganzoo.GanzooError, match="move_label must be True or False, got 'yes'"):
        c.steer(z[0], 3, labels=1, move_label="yes", iters=1, anchors=0)


@pytest.mark.parametrize("arch, extra", [("biggan", {}), ("cgan", {"g_cond": "cbn"})])
def test_class_weights_reach_every_conditional_generator(arch, extra, tmp_path):
    from ganzoo.models import build, make_config

    from .conftest import TINY

    torch.manual_seed(0)
    g, _ = build(arch, make_config(arch, {**TINY[arch], **extra}))
    g.eval()
    z = torch.randn(3, g.cfg.latent_dim)
    one_hot = torch.nn.functional.one_hot(torch.tensor([1, 5, 9]), 10).float()
    with torch.no_grad():
        torch.testing.assert_close(g(z, one_hot), g(z, torch.tensor([1, 5, 9])), rtol=0, atol=1e-6)
        mixed = g(z, (one_hot + torch.nn.functional.one_hot(torch.tensor([0, 0, 0]), 10).float()) / 2)
        for label in ([1, 5, 9], [0, 0, 0]):
            assert ((mixed - g(z, torch.tensor(label))).abs().flatten(1).amax(1) > 1e-4).all()


def test_cli_steer_move_label(tmp_path, capsys, monkeypatch):
    from PIL import Image

    from ganzoo.control import steer_latents

    for key, value in (("iters", 1), ("anchors", 0), ("views", False)):  # the CLI's path, at a tiny cost
        monkeypatch.setitem(steer_latents.__kwdefaults__, key, value)

    cond = make_tiny_folder(tmp_path / "c", "cgan", dataset="mnist")
    out = tmp_path / "m.png"
    args = ["steer", str(cond), "--seed", "0", "--toward", "3", "--steps", "4", "-o", str(out)]
    assert cli([*args, "--labels", "5", "--move-label"]) == 0
    grid = np.asarray(Image.open(out).convert("L"), dtype=np.float32) / 255
    assert grid.shape == (30 + 2, 4 * 30 + 2)
    assert "wrote 1 morph of 4 steps toward 3" in capsys.readouterr().out
    m = ganzoo.load(cond)
    path, labels = m.steer(m.sample_latent(1, seed=0)[0], 3, labels=5, steps=4, move_label=True)
    ends = torch.cat([m.generate(path[:1], 5), m.generate(path[-1:], 3)])[:, 0].numpy()  # (z, 5) ... (end, 3)
    for tile, want in zip((grid[2:30, 2:30], grid[2:30, 92:120]), ends):
        assert np.abs(tile - want).max() <= 1 / 255 + 1e-6
    for folder, extra, message in (
        (make_tiny_folder(tmp_path / "u", "dcgan", dataset="mnist"), [], "--move-label is for conditional models"),
        (cond, [], "is conditional: give --labels, the start label, moved to --toward"),
    ):
        cmd = ["steer", str(folder), "--toward", "3", "--move-label", *extra, "-o", str(tmp_path / "x.png")]
        assert cli(cmd) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and message in err and "Traceback" not in err, err
    assert not (tmp_path / "x.png").exists()


def test_steer_warns_when_it_does_not_arrive_and_says_what_to_try(tmp_path, capsys, monkeypatch):
    from ganzoo import SteeringWarning
    from ganzoo import control
    from ganzoo.control import steer

    cond = make_tiny_folder(tmp_path / "c", "cgan", dataset="mnist")
    m = ganzoo.load(cond)
    z = m.sample_latent(1, seed=0)[0]
    # (the tiny folder names its classes as Fashion-MNIST's: class 3 is Dress)
    # one step cannot make a tiny model's whole steering ensemble sure of a class in nine views
    with pytest.warns(SteeringWarning) as caught:
        path = m.steer(z, 3, labels=5, steps=4, iters=1, anchors=0)
    assert str(caught[0].message) == (
        "steering toward Dress did not arrive: the steering classifiers do not all read the end as Dress in every "
        "view, so other classifiers and people may not either (the path ends where the steering stopped); with its "
        "label held a conditional model often cannot change class through z: pass move_label=True (ganzoo steer "
        "--move-label) to move the label instead"
    )
    assert caught[0].filename == __file__  # it points at the caller's line, through Model.steer...
    assert path.shape == (4, m.latent_dim) and torch.equal(path[0], z)  # the path still comes back
    with pytest.warns(SteeringWarning) as caught:
        steer(m, z, 3, labels=5, steps=4, iters=1, anchors=0)
    assert caught[0].filename == __file__  # ...and called directly
    iters_hint = r"Dress in every view.*stopped\); raise iters \(steer\(..., iters=200\)\) or start from another"
    with pytest.warns(SteeringWarning, match=iters_hint):
        m.steer(z, 3, labels=5, steps=4, iters=1, anchors=0, move_label=True)  # the label moved: no label hint
    with pytest.warns(SteeringWarning, match=iters_hint):
        m.steer(z, 3, labels=3, steps=4, iters=1, anchors=0)  # the held label is the target: nothing to move
    with warnings.catch_warnings():
        warnings.simplefilter("error", SteeringWarning)  # a criterion the start already meets: no warning
        with torch.no_grad():
            c = int(classifier_for(m)(m.generate(z[None], 5))[1].argmax())
        m.steer(z, c, labels=5, steps=4, confidence=0.0, views=False, ensemble=False)

    # the CLI says it once, on stderr, naming only the rows that did not arrive, and still writes the grid:
    # here a steering that stays where it starts and arrives on every second call
    calls = []

    def stay(model, z, toward, **kw):
        calls.append(1)
        return z.clone(), torch.tensor([len(calls) % 2 == 1])

    monkeypatch.setattr(control, "steer_latents", stay)
    out = tmp_path / "m.png"
    cmd = ["steer", str(cond), "--seed", "0", "--seed", "1", "--seed", "2", "--labels", "5", "--toward", "3"]
    assert cli([*cmd, "-o", str(out)]) == 0 and out.exists() and len(calls) == 3
    res = capsys.readouterr()
    assert "wrote 3 morphs of 8 steps toward 3" in res.out
    assert res.err.startswith("note: row(s) 2 of 3: steering toward Dress did not arrive"), res.err
    assert "--move-label" in res.err and "Traceback" not in res.err and "warnings.warn" not in res.err
    assert res.err.count("\n") == 1


@pytest.mark.slow
def test_cli_steer_and_invert(tmp_path, capsys):
    assert (
        cli(
            [
                "steer",
                "dcgan-mnist",
                "--seed",
                "0",
                "--seed",
                "1",
                "--toward",
                "7",
                "--steps",
                "4",
                "-o",
                str(tmp_path / "m.png"),
            ]
        )
        == 0
    )
    from PIL import Image

    assert Image.open(tmp_path / "m.png").size == (4 * 30 + 2, 2 * 30 + 2)  # one row per seed
    m = ganzoo.load("dcgan-mnist")
    files = []
    for i, im in enumerate(m.to_pil(m.sample(2, seed=4))):
        im.save(tmp_path / f"d{i}.png")
        files.append(str(tmp_path / f"d{i}.png"))
    assert (
        cli(
            [
                "invert",
                "dcgan-mnist",
                *files,
                "--steps",
                "20",
                "-o",
                str(tmp_path / "r.png"),
                "--save-latents",
                str(tmp_path / "z.npy"),
            ]
        )
        == 0
    )
    assert np.load(tmp_path / "z.npy", allow_pickle=False).shape == (2, 64)
    assert "reconstruction MSE" in capsys.readouterr().out
    assert cli(["steer", "dcgan-mnist", "--toward", "Sneaker", "-o", str(tmp_path / "x.png")]) == 2
    assert cli(["invert", "dcgan-mnist", str(tmp_path / "m.png"), "-o", str(tmp_path / "y.png")]) == 2
    err = capsys.readouterr().err
    assert "toward must be a class of mnist" in err and "does not match the model's 28x28" in err


# -- held-out judges: they measure steering and inversion, and nothing in ganzoo may consult them ---------------
def test_steering_moves_the_steering_classifiers_and_a_held_out_judge(tiny_mnist):
    from training.judges import load_judge

    from ganzoo.control import steering_classifiers

    m, judge = tiny_mnist, load_judge("mnist", "lenet")
    z = m.sample_latent(6, seed=2)
    end, _ = steer_latents_(m, z, 3, iters=40, anchors=0)  # the default criterion (views, ensemble), no restarts
    nets = steering_classifiers(m)
    assert len(nets) == 3  # ganzoo's classifier and the two all-conv members
    with torch.no_grad():
        before, after = (judge(m.generate(v)).log_softmax(1)[:, 3] for v in (z, end))
        own = [torch.stack([n(m.generate(v))[1].log_softmax(1)[:, 3] for n in nets]).mean(0) for v in (z, end)]
    assert own[1].mean() > own[0].mean() + 1.0, own  # the ensemble's mean log p(3), what steering follows
    assert after.mean() > before.mean() + 1.0, (before, after)  # the judge, never consulted, reads more 3 too


def steer_latents_(m, z, c, **kw):
    from ganzoo.control import steer_latents

    return steer_latents(m, z, c, **kw)


def test_held_out_judges_are_never_consulted_by_steer_invert_or_directions(tiny_mnist, monkeypatch):
    import training.judges as judges

    def refuse(*args, **kwargs):
        raise AssertionError("a held-out judge was consulted")

    for name in ("load_judge", "load_judges", "judge_path", "predict"):
        monkeypatch.setattr(judges, name, refuse)
    for cls in judges.ARCHS.values():
        monkeypatch.setattr(cls, "forward", refuse)
    m = tiny_mnist
    z = m.sample_latent(1, seed=0)[0]
    assert m.steer(z, 3, steps=3, iters=3, anchors=100).shape == (3, m.latent_dim)  # the restarts too
    assert m.invert(m.generate(z[None]), steps=2).shape == (1, m.latent_dim)
    assert m.invert(m.generate(z[None]), steps=3, label_weight=0.1).shape == (1, m.latent_dim)  # every label view
    assert m.directions(2).shape == (2, m.latent_dim)


def test_ganzoo_cannot_load_the_judges():
    """The package never imports training.judges nor reads benchmarks/: the judges stay out of every loss. (Only
    `ganzoo train` imports training/, for training.train.)"""
    import ast
    from pathlib import Path

    root = Path(ganzoo.__file__).parent
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text())
        imported = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        assert not any(i.startswith("training.judges") or i.split(".")[0] == "benchmarks" for i in imported), path
        text = path.read_text()
        assert not any(w in text for w in ("benchmarks/judges", "JUDGE_DIR", "load_judge", "judge_path")), path


# -- SeFa ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("arch", ["dcgan", "gan", "cgan", "wgan", "vae", "stylegan2", "progan", "biggan"])
def test_sefa_directions_are_orthonormal_sorted_and_deterministic(arch, tmp_path):
    from ganzoo.control import first_layer_map

    m = ganzoo.load(make_tiny_folder(tmp_path / arch, arch, seed=1))
    size = m.generator.w_dim if arch == "stylegan2" else m.latent_dim  # a style-based model's live in W
    d = m.directions(5)
    assert d.shape == (5, size) and d.dtype == torch.float32
    assert torch.allclose(d @ d.T, torch.eye(5), atol=1e-5)
    stretch = (first_layer_map(m).float() @ d.T).norm(dim=0)  # how much the first layer stretches each one
    assert (stretch.diff() <= 1e-5).all(), stretch
    again = ganzoo.load(make_tiny_folder(tmp_path / "again", arch, seed=1)).directions(5)
    assert torch.equal(d, again)
    assert torch.equal(m.directions(3), d[:3])
    full = m.directions(size)  # all of them: an orthonormal basis
    assert torch.allclose(full @ full.T, torch.eye(size), atol=1e-5)


def test_sefa_on_a_style_based_model_moves_w(tmp_path, capsys):
    m = ganzoo.load(make_tiny_folder(tmp_path / "s", "stylegan2", seed=1))
    d = m.directions(2)
    w = m.generator.mapping(m.sample_latent(4, seed=0))
    assert not torch.equal(m.generate(w + 3 * d[0], space="w"), m.generate(w, space="w"))
    with pytest.raises(ganzoo.GanzooError, match=r"k must be an int from 1 to the W size 8, got 9"):
        m.directions(9)
    out = tmp_path / "d.png"
    assert cli(["directions", str(tmp_path / "s"), "-k", "2", "--steps", "3", "-o", str(out)]) == 0
    assert "2 sefa directions (rows) x 3 steps in W" in capsys.readouterr().out and out.is_file()


@pytest.mark.parametrize("name", ["dcgan-mnist", "gan-fashion-mnist", "progan-mnist", "biggan-mnist"])
def test_the_first_sefa_direction_moves_the_image_more_than_random_ones(name):
    m = ganzoo.load(name)
    z = m.sample_latent(32, seed=0)
    y = torch.arange(32) % 10 if m.conditional else None  # a conditional model's labels are held
    base = m.generate(z, y)
    first = m.directions(1)[0]
    rand = torch.nn.functional.normalize(
        torch.randn(8, m.latent_dim, generator=torch.Generator().manual_seed(0)), dim=1
    )

    def change(direction):
        return float((m.generate(z + 3 * direction, y) - base).abs().mean())

    assert change(first) > max(change(r) for r in rand)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda m: m.directions(0), r"k must be an int from 1 to the latent size 8, got 0"),
        (lambda m: m.directions(9), r"k must be an int from 1 to the latent size 8, got 9"),
        (lambda m: m.directions(True), r"k must be an int from 1 to the latent size 8, got True"),
        (lambda m: m.directions(2.0), r"k must be an int from 1 to the latent size 8, got 2.0"),
        (lambda m: m.directions(2, method="pca"), r"method must be 'sefa' \(closed-form factorisation\), got 'pca'"),
    ],
)
def test_sefa_bad_input(call, message, tiny_mnist):
    with pytest.raises(ganzoo.GanzooError, match=message):
        call(tiny_mnist)


def test_sefa_refuses_a_generator_without_a_linear_first_layer(tmp_path):
    m = ganzoo.load(make_tiny_folder(tmp_path / "m", "dcgan"))
    m.generator = torch.nn.Sequential(torch.nn.Identity())
    with pytest.raises(ganzoo.GanzooError, match=r"SeFa directions need a generator whose first layer is a linear map"):
        m.directions(2)


def test_cli_directions(tmp_path, capsys):
    from PIL import Image

    folder = make_tiny_folder(tmp_path / "m", "dcgan")
    assert (
        cli(["directions", str(folder), "-k", "3", "--steps", "5", "--seed", "2", "-o", str(tmp_path / "d.png")]) == 0
    )
    assert Image.open(tmp_path / "d.png").size == (5 * 30 + 2, 3 * 30 + 2)  # rows: directions; columns: steps
    assert "3 sefa directions (rows) x 5 steps in Z" in capsys.readouterr().out
    cond = make_tiny_folder(tmp_path / "c", "cgan")
    assert cli(["directions", str(cond), "--labels", "Sneaker", "-o", str(tmp_path / "c.png")]) == 0
    for args, message in (
        (["-k", "0"], "-k must be >= 1, got 0"),
        (["-k", "9"], "k must be an int from 1 to the latent"),
        (["--distance", "nan"], "--distance must be a finite number > 0, got nan"),
        (["--distance", "-1"], "--distance must be a finite number > 0, got -1"),
        (["--steps", "1"], "--steps must be >= 2, got 1"),
        (["--labels", "3"], "is unconditional: drop --labels"),
    ):
        assert cli(["directions", str(folder), *args, "-o", str(tmp_path / "x.png")]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and message in err and "Traceback" not in err, err
    assert cli(["directions", str(cond), "-o", str(tmp_path / "x.png")]) == 2
    assert "is conditional: give --labels" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


# -- benchmarks/control.py: the 1,000-seed protocol runs in pieces that add up -------------------------------------
def control_benchmark():
    import importlib.util
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root / "benchmarks"))  # control.py imports bench.py as a sibling
    try:
        spec = importlib.util.spec_from_file_location("_control_bench", root / "benchmarks" / "control.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(root / "benchmarks"))
    return module


def test_steering_benchmark_pieces_add_up_to_the_whole_run(tiny_mnist):
    bench = control_benchmark()
    kw = dict(classes=[1, 3], iters=2, views=False, ensemble=False, anchors=0)
    whole = bench.steer_stats(tiny_mnist, 6, 4, **kw)
    first = bench.steer_stats(tiny_mnist, 6, 4, seed_range=(0, 2), **kw)
    both = bench.steer_stats(tiny_mnist, 6, 4, seed_range=(2, 6), previous=first, **kw)
    assert both["pieces_kept"] == 2 and both["seeds_measured"] == 6
    for name, v in whole["per_class"].items():
        w = both["per_class"][name]
        assert sorted(w["pieces"]) == ["0:2", "2:6"] and w["seeds_measured"] == 6
        for key in ("all_judges", "steering_classifier", "reached", "mean_abs_pixel_change"):
            assert w[key] == pytest.approx(v[key]), key
        assert w["judges"] == pytest.approx(v["judges"])
    assert "move_label" not in bench.steer_defaults()  # the option's default leaves earlier pieces mergeable
    other = bench.steer_stats(tiny_mnist, 6, 4, seed_range=(2, 6), previous=first, **{**kw, "iters": 3})
    assert other["pieces_kept"] == 0 and other["seeds_measured"] == 4  # other settings: nothing merged
    older = bench.steer_stats(tiny_mnist, 6, 4, seed_range=(2, 6), previous={**first, "weights": "v0"}, **kw)
    assert older["pieces_kept"] == 0 and older["seeds_measured"] == 4  # other weights: nothing merged
    with pytest.raises(ValueError, match=r"overlapping seed ranges \['0:2', '1:3'\]"):
        bench.class_shares({"0:2": first["per_class"]["1"]["pieces"]["0:2"], "1:3": {}})
    with pytest.raises(ValueError, match="seed range 4:8 is not inside 0:6"):
        bench.steer_stats(tiny_mnist, 6, 4, seed_range=(4, 8), **kw)


def test_control_benchmark_says_which_weights_each_part_measured():
    bench = control_benchmark()
    v = ganzoo.registry.ZOO["dcgan-mnist"].version
    assert bench.weights_note("dcgan-mnist", {"steer": {"weights": v}, "invert": {"weights": v}}) == f"weights {v}"
    assert bench.weights_note("dcgan-mnist", {"steer_move_label": {"weights": "v0"}, "invert": {"weights": v}}) == (
        f"weights: steer move label v0, invert {v}; the bundled version is {v}: steer move label (v0) measured on "
        "weights no longer bundled"
    )
    assert bench.weights_note("dcgan-mnist", {}) == ""  # an entry with pictures only
    assert bench.weights_note("dcgan-mnist", {"invert": {}}) == "weights version not recorded"  # unknown, not stale
    assert bench.weights_note("runs/x/model", {"invert": {"weights": None}}) == "weights version not recorded"


def test_control_benchmark_refuses_bad_ranges(capsys, tmp_path):
    bench = control_benchmark()
    out = tmp_path / "control.json"  # never the repository's results, should a check regress
    for argv, message in (
        (["--seed-range", "5:3"], "argument --seed-range: expected LO:HI with 0 <= LO < HI (e.g. 0:250), got '5:3'"),
        (["--image-range", "a:3"], "argument --image-range: expected LO:HI with 0 <= LO < HI (e.g. 0:250), got 'a:3'"),
        (["--seeds", "10", "--seed-range", "5:30"], "--seed-range 5:30 must lie inside 0:10 (--seeds)"),
        (
            ["--space", "w", "--only", "steer", "--only", "pictures"],
            "--space w measures steering and inversion only: add --only steer and/or --only invert",
        ),
        (  # every entry is checked before any is measured
            ["--entries", "stylegan2-mnist", "dcgan-mnist", "--space", "w", "--only", "invert", "--out", str(out)],
            "--entries dcgan-mnist: space='w' needs a style-based generator (stylegan2-*); dcgan-mnist (dcgan) has "
            "only z: leave space out (z is the default)",
        ),
    ):
        with pytest.raises(SystemExit) as e:
            bench.main(argv)
        assert e.value.code == 2 and capsys.readouterr().err.strip().endswith("error: " + message)
    assert not out.exists()


def test_inversion_benchmark_projects_style_based_models_in_pieces(tmp_path, data_root):
    bench = control_benchmark()
    m = ganzoo.load(make_tiny_folder(tmp_path / "s", "stylegan2", seed=1))
    first = bench.invert_stats(m, 2, 2, data_root, space="w+", steps=2)
    assert first["invert_kwargs"] == {"steps": 2, "space": "w+"} and first["images"] == 2
    both = bench.invert_stats(m, 2, 2, data_root, first=2, previous=first, space="w+", steps=2)
    assert sorted(both["pieces"]) == ["0:2", "2:4"] and both["images"] == 4 and both["ranges"] == "contiguous"
    assert both["mse"] == pytest.approx((first["pieces"]["0:2"]["mse_sum"] + both["pieces"]["2:4"]["mse_sum"]) / 4)
    older = bench.invert_stats(m, 2, 2, data_root, first=2, previous={**both, "weights": "v0"}, space="w+", steps=2)
    assert sorted(older["pieces"]) == ["2:4"]  # pieces of other weights: nothing merged
    in_w = bench.invert_stats(m, 2, 2, data_root, first=2, previous=both, space="w", steps=2)
    assert sorted(in_w["pieces"]) == ["2:4"]  # another space is another protocol: nothing merged
    in_z = bench.invert_stats(m, 2, 2, data_root, steps=2, starts=2)
    assert "space" not in in_z["invert_kwargs"]  # z results of before the option stay mergeable
    assert "(projected into W+)" in bench.markdown(
        {
            "cpu": "x",
            "torch": "y",
            "judges": {},
            "entries": {"e": {"invert": {**both, "date": "d", "threads": 1, "command": "c", "runs": ["c"]}}},
        }
    )


def test_judge_stability_reads_the_judges_on_changed_real_images(data_root):
    bench = control_benchmark()
    from training.judges import load_judges, predict

    x = torch.rand(3, 1, 28, 28)
    views = bench.stability_views(x)
    assert list(views) == [c for c, _ in bench.STABILITY_CHANGES]
    # the 1-pixel shift right is the image moved one column right, a zero column entering on the left
    right = torch.zeros_like(x)
    right[..., 1:] = x[..., :-1]
    assert torch.allclose(views["1-pixel shift right"], right, atol=1e-5)
    down = torch.zeros_like(x)
    down[..., 1:, :] = x[..., :-1, :]
    assert torch.allclose(views["1-pixel shift down"], down, atol=1e-5)
    # the blur: half the pixel, half the binomial mean of its 3x3 neighbourhood (an inner pixel)
    k = torch.tensor([[1.0, 2, 1], [2, 4, 2], [1, 2, 1]]) / 16
    blurred = 0.5 * x[0, 0, 5, 7] + 0.5 * (x[0, 0, 4:7, 6:9] * k).sum()
    assert float(views["half 3x3 blur"][0, 0, 5, 7]) == pytest.approx(float(blurred), abs=1e-6)
    assert not torch.allclose(views["4-degree rotation"], x) and not torch.allclose(views["5 % zoom"], x)

    st = bench.judge_stability("mnist", data_root, images=40)
    real, _ = bench.load_idx_split("mnist", "test", data_root)
    real = torch.from_numpy(real[:40].copy()).float().div(255)[:, None]
    judges = load_judges("mnist")
    for name, changed in bench.stability_views(real).items():
        kept = torch.stack([predict(j, changed) == predict(j, real) for j in judges.values()]).all(0).float().mean()
        assert st[name]["all_judges_keep"] == pytest.approx(float(kept))
        assert st[name]["mse"] == pytest.approx(float((changed - real).square().mean()), abs=1e-6)
    text = bench.markdown(
        {"cpu": "x", "torch": "y", "judges": {"mnist": {"judges": {}, "stability": st}}, "entries": {}}
    )
    assert f"1-pixel shift right {bench.pct(st['1-pixel shift right']['all_judges_keep'])}" in text
