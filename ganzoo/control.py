"""Controllable generation with the data set's classifier: steer a latent toward a class, class
directions for latent arithmetic, and inversion of real images into latents.

A generated image is a deterministic function of z, so everything here is gradient descent on z
through the frozen generator and ganzoo's frozen classifier (the one the metrics use):

- steer: raise log p(class | G(z')) while keeping z' close to the start (||z' - z||^2) and in the
  typical set of the prior (||z'|| near sqrt(latent_dim)); each latent stops as soon as the classifier
  gives the target class `confidence`, so it moves as little as needed. The penalties fade over the
  iterations; a latent that has not arrived after 50 steps restarts 70 % of the way toward the class's centre
  in latent space.
- class_directions: the mean latent of the samples the classifier puts in each class, so that
  z + d[7] - d[1] moves a 1 toward a 7 (the lectures' vector arithmetic).
- A style-based generator is also steered in W or W+ (`space="w"` / `"w+"`: what `invert(..., space=...)`
  projected), through its synthesis network, and class directions are mean ws; the penalties and the step size
  are then measured in units of W's spread around w_avg, so the same settings mean the same there as in z.
- invert: the latent whose image matches a given image in pixels and in classifier features, with
  a prior term; started from the best of several seeded random latents, best in pixels and in what the
  steering classifiers read (so that the reconstruction keeps the original's class). A style-based generator also
  inverts into W or W+ (one w per layer), started from its w_avg.
- style_mix (style-based generators): the StyleGAN papers' grid, coarse styles from one latent and fine
  styles from another.

All of it is deterministic for a given input (no random draws but seeded ones) and runs on the
model's device. On a conditional model steer and invert hold the labels you give (steer with
`move_label=True` moves the label to the target class instead, and z only as far as still needed); class_directions
is refused there, because the class is the label input: change `labels` instead.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import numbers
import warnings
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .errors import GanzooError, LabelError, SteeringWarning, escaped
from .registry import INVERT_STEPS, STEER_STEPS
from .runtime import empty_error


class AllConvNet(nn.Module):
    """A steering ensemble member: all-convolutional (Springenberg et al. 2015: strided convolutions, no pooling
    or dense layers but the head) with BatchNorm, global average pooling.
    (B, 1, 28, 28) in [0, 1] -> ((B, 64) features, (B, 10) logits).

    Trained by `python -m training.train_classifier DATASET --arch allconv --seed S` on rotated, scaled and
    shifted images; it only ever guides steering and inversion beside ganzoo's classifier."""

    def __init__(self, channels: int = 1, num_classes: int = 10):
        super().__init__()
        layers: list[nn.Module] = []
        for cin, cout, k, stride in (
            (channels, 16, 3, 1),
            (16, 32, 3, 2),
            (32, 32, 3, 1),
            (32, 64, 3, 2),
            (64, 64, 1, 1),
        ):
            layers += [nn.Conv2d(cin, cout, k, stride, k // 2, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]
        self.body = nn.Sequential(*layers)  # (B, 64, 7, 7)
        self.head = nn.Linear(64, num_classes)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        f = self.body(x * 2 - 1).mean((2, 3))
        return f, self.head(f)


def ensemble_paths(dataset: str) -> list:
    """The steering ensemble's extra members of a data set (beside ganzoo's classifier), in name order."""
    from .metrics import CLASSIFIER_DIR

    return sorted(CLASSIFIER_DIR.glob(f"{dataset}-allconv-*.safetensors"))


def steering_classifiers(model) -> list:
    """ganzoo's classifier of the model's data set, then the ensemble members: on the model's device, frozen.
    The members' BatchNorms (eval mode: an affine map per channel) are folded into the convolutions before them:
    the same logits to float tolerance, and no BatchNorm forward and backward on every steering step (a tenth of
    its time)."""
    from .fast import fold_batchnorm
    from .folder import load_state_file, load_strict

    nets = [classifier_for(model)]
    for path in ensemble_paths(model.config["dataset"]):
        net = AllConvNet()
        load_strict(net, load_state_file(path), path)
        net = fold_batchnorm(net.eval())
        for p in net.parameters():
            p.requires_grad_(False)
        nets.append(net.to(model.device))
    return nets


def classifier_for(model):
    """ganzoo's classifier of the model's data set, on the model's device, frozen."""
    from .metrics import classifier_path, load_classifier
    from .registry import DATASETS

    dataset = model.config.get("dataset")
    if dataset not in DATASETS or not classifier_path(dataset).is_file():
        have = [d for d in DATASETS if classifier_path(d).is_file()]
        raise GanzooError(
            f"steering and inversion need ganzoo's classifier for the model's data set, and there is "
            f"none for {dataset!r} (classifiers: {', '.join(have)})."
        )
    net = load_classifier(dataset).to(model.device)
    for p in net.parameters():
        p.requires_grad_(False)
    return net


def class_names(model) -> list[str]:
    """The classes of the model's data set (its own for a conditional model; the data set's otherwise)."""
    from .registry import DATASETS

    return list(model.class_names or DATASETS[model.config["dataset"]].class_names)


def _class_index(model, toward: int | str) -> int:
    from .runtime import int_label

    names = class_names(model)
    if isinstance(toward, torch.Tensor) and toward.ndim == 0 and not toward.is_floating_point():
        toward = toward.item()  # a 0-d integer tensor (bool stays bool, refused below)
    if isinstance(toward, numbers.Integral) and not isinstance(toward, bool):  # numpy ints too, as in sample()
        toward = int(toward)
    if isinstance(toward, str) and toward in names:
        return names.index(toward)
    if isinstance(toward, str) and int_label(toward) is not None:
        toward = int_label(toward)
    if isinstance(toward, bool) or not isinstance(toward, int) or not 0 <= toward < len(names):
        from .registry import did_you_mean

        hint = did_you_mean(toward, names) if isinstance(toward, str) else ""
        raise LabelError(
            f"toward must be a class of {escaped(model.config['dataset'])}: an int 0..{len(names) - 1} "
            f"or one of {', '.join(map(escaped, names))}; got {toward!r}.{hint}"
        )
    return toward


@contextlib.contextmanager
def frozen(model):
    """The generator's weights take no gradient while z does (and their .grad stays untouched)."""
    params = list(model.generator.parameters())
    was = [p.requires_grad for p in params]
    for p in params:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p, w in zip(params, was):
            p.requires_grad_(w)


class _Frame:
    """Where steering moves latents: z as it is, or (style-based generators) W / W+ measured from w_avg in units
    of w_std, the spread of W (the root mean square of a w's entries around w_avg over W_STATS_SAMPLES seeded
    ws, as the StyleGAN2 projector measures it). In those units a typical w is about as far from the origin as a
    typical z (sqrt(w_dim)), so the step size, the distance to the start and the prior's typical set mean the same
    in every space. The latents themselves are optimised (Adam with the step size times `scale`, which is the same
    descent): a latent that never moves ends exactly where it started."""

    def __init__(self, model, space: str):
        self.space = model.check_space(space)
        if space == "z":
            self.origin, self.scale, self.dim = None, 1.0, model.latent_dim
        else:
            self.origin, self.scale = _w_stats(model)
            self.dim = model.generator.w_dim

    def units(self, x: torch.Tensor) -> torch.Tensor:
        """Latents in the frame's units: z itself, (w - w_avg) / w_std."""
        return x if self.origin is None else (x - self.origin) / self.scale

    def sq(self, u: torch.Tensor) -> torch.Tensor:
        """Squared length (N,) of latents in units: for W+ the mean over layers (moving every layer by d costs what
        moving a w by d costs)."""
        s = u.square().sum(-1)
        return s.mean(1) if s.ndim == 2 else s

    def off_prior(self, u: torch.Tensor) -> torch.Tensor:
        """(N,): how far each latent's length (per layer in W+) is from the typical sqrt(dim), squared."""
        s = (u.norm(dim=-1) - math.sqrt(self.dim)).square()
        return s.mean(1) if s.ndim == 2 else s

    def pool(self, model, n: int) -> torch.Tensor:
        """The n seeded latents the restarts aim at, in this space: sample_latent(n, ANCHOR_SEED), mapped to W."""
        z = model.sample_latent(n, seed=ANCHOR_SEED)
        return z if self.space == "z" else to_space(model, z, self.space)


W_STATS_SAMPLES = 10_000  # seeded ws that measure W's spread (the StyleGAN2 projector's count)
W_STATS_SEED = 20_251_204


@torch.no_grad()
def _w_stats(model) -> tuple[torch.Tensor, float]:
    """(w_avg, w_std) of a style-based generator: the centre it tracked in training, and the root mean square
    of a w's entries around it over W_STATS_SAMPLES seeded ws."""
    g = model.generator
    w = g.mapping(model.sample_latent(W_STATS_SAMPLES, seed=W_STATS_SEED))
    return g.w_avg.detach().clone(), float((w - g.w_avg).square().mean().sqrt())


@torch.no_grad()
def to_space(model, z: torch.Tensor, space: str) -> torch.Tensor:
    """z latents (N, latent_dim) in `space`: z itself, or (style-based generators) each z's w (N, w_dim), or that
    w for every layer (N, num_ws, w_dim): the same images under `generate(..., space=space)`."""
    if model.check_space(space) == "z":
        return z
    w = model.generator.mapping(z)
    return w if space == "w" else w[:, None].repeat(1, model.generator.num_ws, 1)


def _images(model, z: torch.Tensor, y: torch.Tensor | None, space: str = "z") -> torch.Tensor:
    """Images in [0, 1] with gradients flowing to z (the generator itself stays frozen, in eval mode)."""
    return (model.generator(z, y, **({} if space == "z" else {"space": space})) + 1) / 2


# Latents per forward and backward pass while steering: the losses of different latents are independent (the
# networks are in eval mode), so a batch is split into chunks whose gradients add up to the whole batch's. On one
# CPU thread a step costs 3.0-3.4 ms per latent in chunks of 20-50, 5.3 ms at 250 at once (the activations of every
# view no longer fit the caches).
STEER_CHUNK = 32

ANCHOR_SEED = 20_251_125  # the seeded pool of latents the restarts aim at (any fixed value)

# The views every steering criterion is checked under: (rotation in degrees, scale, shift x, shift y in
# pixels). An end point must be the class in all of them, not just in the one image the gradient shaped.
VIEWS = (
    (0, 1, 0, 0),
    (0, 1, 1.5, 0),
    (0, 1, -1.5, 0),
    (0, 1, 0, 1.5),
    (0, 1, 0, -1.5),
    (6, 1, 0, 0),
    (-6, 1, 0, 0),
    (0, 1.08, 0, 0),
    (0, 0.93, 0, 0),
)


def view_images(x: torch.Tensor, views: Sequence[tuple[float, float, float, float]]) -> torch.Tensor:
    """x (N, C, H, W) under each view: (V*N, C, H, W), view-major; differentiable (bilinear resampling)."""
    n, _, h, w = x.shape
    rows = []
    for deg, scale, dx, dy in views:
        a = math.radians(deg)
        c, s = math.cos(a) / scale, math.sin(a) / scale
        rows.append([[c, -s, -2 * dx / w], [s, c, -2 * dy / h]])
    theta = torch.tensor(rows, dtype=x.dtype, device=x.device).repeat_interleave(n, 0)  # (V*N, 2, 3)
    grid = F.affine_grid(theta, [len(theta), *x.shape[1:]], align_corners=False)
    return F.grid_sample(x.repeat(len(views), 1, 1, 1), grid, align_corners=False, padding_mode="zeros")


class _Criterion:
    """The steering classifiers read under the views: the loss toward `target` and whether it is reached.

    The loss of one step averages over the identity and `per_step` further views, a different few each step
    (over the steps, the expectation over all views at a fraction of the cost); whether a latent has reached
    the target is decided on every view: the remaining ones are read, without gradients, only for the
    latents that the step's views already agree on.
    """

    def __init__(self, nets, target: int, views, confidence: float, per_step: int = 2, worst_weight: float = 0.0):
        self.nets, self.target, self.confidence, self.worst_weight = nets, target, confidence, worst_weight
        self.views, self.per_step = (list(views) if views else [(0, 1, 0, 0)]), per_step

    def _ok(self, x: torch.Tensor, views) -> tuple[torch.Tensor, torch.Tensor]:
        """(log p(target) (M*V, N), reached (N,)) for M classifiers under V views."""
        n = len(x)
        xs = x if views == [(0, 1, 0, 0)] else view_images(x, views)
        logits = torch.cat([net(xs)[1].reshape(-1, n, net.head.out_features) for net in self.nets])  # (M*V, N, K)
        logp = logits.log_softmax(-1)[..., self.target]
        return logp, ((logits.argmax(-1) == self.target) & (logp.exp() >= self.confidence)).all(0)

    @torch.no_grad()
    def mean_probs(self, x: torch.Tensor) -> torch.Tensor:
        """p(class) (N, K) averaged over every classifier and view: how typical of each class the image is.
        Read STEER_CHUNK images at a time (every view of 500 at once is slower: it leaves the CPU's caches)."""
        out = []
        for i in range(0, len(x), STEER_CHUNK):
            xc = x[i : i + STEER_CHUNK]
            n = len(xc)
            xs = xc if self.views == [(0, 1, 0, 0)] else view_images(xc, self.views)
            logits = torch.cat([net(xs)[1].reshape(-1, n, net.head.out_features) for net in self.nets])  # (M*V, N, K)
            out.append(logits.log_softmax(-1).exp().mean(0))  # as _ok reads p(target): the same numbers
        return torch.cat(out)

    def __call__(self, x: torch.Tensor, step: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
        """(loss (N,), reached (N,)) for images x in [0, 1]: the mean cross-entropy over classifiers and this
        step's views, and reached where every classifier in every view gives the target the top place and
        p >= confidence."""
        v = len(self.views)
        pick = (
            sorted({0, *((1 + (step * self.per_step + j) % (v - 1)) for j in range(self.per_step))}) if v > 1 else [0]
        )
        logp, ok = self._ok(x, [self.views[i] for i in pick])
        rest = [view for i, view in enumerate(self.views) if i not in pick]
        if rest and bool(ok.any()):
            idx = ok.nonzero().flatten()
            with torch.no_grad():
                ok[idx] = self._ok(x[idx].detach(), rest)[1]
        loss = -logp.mean(0)
        if self.worst_weight:  # also the reading (classifier, view) that is least sure of the target
            loss = loss + self.worst_weight * -logp.min(0).values
        return loss, ok


def steer_latents(
    model,
    z: torch.Tensor,
    toward: int | str,
    *,
    labels=None,
    iters: int = 50,
    lr: float = 0.05,
    distance_weight: float = 0.02,
    prior_weight: float = 0.01,
    confidence: float = 0.99,
    views: bool = True,
    ensemble: bool = True,
    anchors: int = 2000,
    anchor_mix: float = 0.7,
    worst_weight: float = 1.0,
    restart: str = "centre",
    centre_top: int = 32,
    space: str = "z",
    move_label: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """End latents (N, latent_dim) for N start latents, and whether each reached the target class.

    A conditional model holds `labels` while its latents are steered: z alone must then turn, say, a
    conditioned 3 into a 7 against the label. With `move_label` the label moves to the target instead (the
    class input is the model's own way to change the class) and the latents are steered under the target's
    label only as far as the criterion below still needs: a latent whose image under the target label already
    meets it ends where it started. The ends are then drawn with the target label (`steer` gives the label path).

    `space` "w" / "w+" (style-based generators): the latents are ws (N, w_dim) / (N, num_ws, w_dim), such as
    `invert(..., space=...)` returns, moved through the synthesis network; `lr`, the distance and the prior are
    measured in units of W's spread around w_avg (`_Frame`), and the restarts aim at the same seeded samples'
    ws. The ends are ws of the same shape: `generate(end, space=space)`.

    Each latent is optimised with Adam until every steering classifier (with `ensemble`, the default: ganzoo's
    classifier and the all-conv members of `steering_classifiers`) gives `toward` the top place with probability
    >= confidence (then it is frozen) or `iters` steps have passed; with `views` (the default) the loss is
    averaged over, and the criterion must hold in, every small shift, rotation and scaling of VIEWS (expectation
    over transformations: a change that only fools the classifier on one exact pixel grid does not count).
    The distance and prior penalties fade linearly to zero over the `iters` steps, so a latent that has not
    arrived is pulled by the classifiers alone. `worst_weight` adds the loss of the least convinced reading
    (classifier and view) to the mean. `iters` is 50 (200 until the 1,000-seed protocol of docs/control.md
    needed it cheaper): most of a 200-step descent's work went to latents that never arrived and then arrived
    within a few steps of the restart; on development latents the held-out judges agreed as often with 50
    (docs/control.md, ablation), at a third of the CPU time.

    A latent that has not arrived after `iters` steps restarts `anchor_mix` of the way from z toward a point of
    the class's region and descends again (the distance penalty now measured from that restart):
    - restart="centre" (the default): the class *centre*, the mean latent of the `centre_top` of `anchors`
      seeded samples that the steering classifiers read as most typical of the class (highest probability
      averaged over classifiers and views). Far from every sample the classifiers call the class (Fashion-MNIST's
      shirts), gradient steps from z end on images that the steering classifiers are sure of and other
      classifiers are not; a start nearer the centre ends on a typical image of the class. It ends where the
      second descent ends, reached or not.
    - restart="nearest": the nearest *anchor*, the closest of the `anchors` seeded samples that already meet the
      criterion (none may: then the latent keeps its first end); if the second descent fails too, it ends on
      the anchor itself.
    `anchors=0` turns the restarts off.
    """
    if restart not in ("centre", "nearest"):
        raise GanzooError(f"restart must be 'centre' or 'nearest', got {escaped(repr(restart))}")
    iters, anchors, centre_top = (
        _count("iters", iters, 0),
        _count("anchors", anchors, 0),
        _count("centre_top", centre_top),
    )
    lr, confidence = _number("lr", lr), _number("confidence", confidence, high=1.0)
    anchor_mix = _number("anchor_mix", anchor_mix, high=1.0)
    for name, v in (("distance_weight", distance_weight), ("prior_weight", prior_weight)):
        _number(name, v)
    _number("worst_weight", worst_weight)
    for name, v in (("views", views), ("ensemble", ensemble)):
        if not isinstance(v, bool):
            raise GanzooError(f"{name} must be True or False, got {escaped(repr(v))}")
    z0 = _check_latents(model, z, space)
    nets = steering_classifiers(model) if ensemble else [classifier_for(model)]
    target = _class_index(model, toward)
    y = model.labels_tensor(labels, len(z0))
    if not isinstance(move_label, bool):
        raise GanzooError(f"move_label must be True or False, got {escaped(repr(move_label))}")
    if move_label:
        if y is None:
            raise GanzooError(
                "move_label is for conditional models (it moves the label input to the target class); "
                f"{model.source or model.architecture} has no label: drop move_label"
            )
        y = torch.full_like(y, target)  # every descent and restart runs under the target's label
    crit = _Criterion(nets, target, VIEWS if views else None, confidence, worst_weight=worst_weight)
    frame = _Frame(model, space)
    kw = dict(iters=iters, lr=lr, distance_weight=distance_weight, prior_weight=prior_weight, frame=frame)
    end, done = _descend(model, crit, z0, z0, y, **kw)
    if not anchors or bool(done.all()):
        return end, done
    idx = (~done).nonzero().flatten()
    yi = None if y is None else y[idx]
    if restart == "centre":
        centre = _class_centres(model, crit, frame, z0[idx], yi, anchors, centre_top)
        start = z0[idx] + anchor_mix * (centre - z0[idx])
        end[idx], done[idx] = _descend(model, crit, start, start, yi, **kw)
        return end, done
    anchor = _nearest_anchors(model, crit, frame, z0[idx], yi, anchors)
    found = ~torch.isnan(anchor.flatten(1)[:, 0])
    idx, anchor = idx[found], anchor[found]
    if len(idx):
        yi = None if y is None else y[idx]
        e2, d2 = _descend(model, crit, z0[idx] + anchor_mix * (anchor - z0[idx]), z0[idx], yi, **kw)
        # the anchor itself meets the criterion by construction
        end[idx] = torch.where(d2.reshape(-1, *[1] * (e2.ndim - 1)), e2, anchor)
        done[idx] = True
    return end, done


def _descend(
    model,
    crit: _Criterion,
    start: torch.Tensor,
    z0: torch.Tensor,
    y,
    *,
    iters: int,
    lr: float,
    distance_weight: float,
    prior_weight: float,
    frame: _Frame,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Adam on z from `start` toward the criterion's class, penalised by the distance to `z0` and off the prior
    (both in the frame's units; in z, z itself). A W+ latent moves every layer by one shared w offset: the
    per-layer detail of a projection is kept and the edit stays in W (moving each layer freely ended, measured on
    stylegan2-mnist, on blurred shapes off what the generator draws)."""
    shared = frame.space == "w+"
    base = start.detach()
    zz = (torch.zeros_like(start[:, 0]) if shared else start.clone()).requires_grad_(True)

    def latents(idx: torch.Tensor) -> torch.Tensor:
        return base[idx] + zz[idx][:, None] if shared else zz[idx]

    opt = torch.optim.Adam([zz], lr=lr * frame.scale)  # lr in the frame's units
    u0 = frame.units(z0)
    done = torch.zeros(len(zz), dtype=torch.bool, device=zz.device)
    with frozen(model):
        for it in range(iters + 1):
            act = (~done).nonzero().flatten()  # only the latents still on their way cost anything
            if not len(act):
                break
            last = it == iters  # the last reading only decides which latents arrived: no gradient
            # The penalties fade linearly to zero: with fixed weights a latent can settle where their pull
            # balances the classifier's just short of `confidence`, and never arrive.
            fade = 1 - it / max(iters, 1)
            opt.zero_grad()
            reached = torch.zeros(len(act), dtype=torch.bool, device=zz.device)
            for lo in range(0, len(act), STEER_CHUNK):  # the gradients of the chunks add up in zz.grad
                a = act[lo : lo + STEER_CHUNK]
                with torch.set_grad_enabled(not last):
                    za = latents(a)
                    loss_cls, ok = crit(_images(model, za, None if y is None else y[a], frame.space), it)
                    reached[lo : lo + len(a)] = ok
                    if last or bool(ok.all()):
                        continue
                    ua = frame.units(za)
                    pen = distance_weight * frame.sq(ua - u0[a]) + prior_weight * frame.off_prior(ua)
                    ((loss_cls + fade * pen) * (~ok)).sum().backward()  # reached latents get no gradient...
            done[act[reached]] = True
            if last:
                break
            if zz.grad is None:  # every latent still on its way arrived at this step
                continue
            kept = zz.detach()[done].clone()
            opt.step()
            with torch.no_grad():
                zz[done] = kept  # ...and Adam's momentum must not move them either
    return (base + zz.detach()[:, None] if shared else zz.detach()), done


@torch.inference_mode()
def _class_probs(model, net, z: torch.Tensor, y, batch: int = 500, space: str = "z") -> torch.Tensor:
    """The classifier's class probabilities (N, K) for the images of latents z (and labels y), batch at a time."""
    return torch.cat(
        [
            net(model.generate(z[i : i + batch], None if y is None else y[i : i + batch], space=space))[1].softmax(1)
            for i in range(0, len(z), batch)
        ]
    )


@torch.no_grad()
def _class_centres(model, crit: _Criterion, frame: _Frame, z: torch.Tensor, y, n: int, top: int) -> torch.Tensor:
    """For each latent, its class centre: the mean of the `top` latents, among n seeded ones, whose images (under the
    same label, for a conditional model) the steering classifiers read as most typical of the target (highest mean
    probability over classifiers and views). In W / W+ the pool is those latents' ws."""
    pool = frame.pool(model, n).to(z.device)
    out = torch.empty_like(z)
    for label in [None] if y is None else y.unique().tolist():
        rows = torch.arange(len(z), device=z.device) if label is None else (y == label).nonzero().flatten()
        p = _pool_probs(model, crit, frame.space, pool, label)[:, crit.target]
        out[rows] = pool[p.topk(min(top, n)).indices].mean(0)
    return out


def _weights_hash(module: torch.nn.Module) -> str:
    """A hash of a module's parameters and buffers (names, dtypes, shapes, bytes): equal only for the same weights.
    Milliseconds for the zoo's generators, against seconds for reading the pool."""
    h = hashlib.blake2b(digest_size=16)
    for name, t in (*module.named_parameters(), *module.named_buffers()):
        t = t.detach().cpu().contiguous()
        h.update(f"{name}:{t.dtype}:{tuple(t.shape)};".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy())
    return h.hexdigest()


def _pool_probs(model, crit: _Criterion, space: str, pool: torch.Tensor, label: int | None) -> torch.Tensor:
    """crit.mean_probs of the pool's images (n, K), kept on the model: reading 2,000 images under every view and
    classifier is most of a steer's cost, and it is the same for every steer of the model toward any class. The
    key holds a hash of the generator's parameters and buffers, so changed weights are read afresh however they
    changed (in place, through `.data`, a buffer such as w_avg, or another generator put in its place: parameter
    version counters miss the last three), and which classifiers read the pool (their files are fixed for the
    process)."""
    cache = model.__dict__.setdefault("_pool_probs", {})
    key = (
        space,
        len(pool),
        label,
        str(pool.device),
        tuple(type(net).__name__ for net in crit.nets),  # the ensemble or ganzoo's classifier alone
        tuple(crit.views),
        _weights_hash(model.generator),
    )
    if key not in cache:
        n = len(pool)
        yl = None if label is None else torch.full((n,), label, device=pool.device)
        if len(cache) >= 64:  # (n, K) floats each; a long session of settings does not grow without bound
            cache.pop(next(iter(cache)))
        cache[key] = torch.cat(
            [
                crit.mean_probs(model.generate(pool[i : i + 500], None if yl is None else yl[i : i + 500], space=space))
                for i in range(0, n, 500)
            ]
        )
    return cache[key]


@torch.no_grad()
def _nearest_anchors(model, crit: _Criterion, frame: _Frame, z: torch.Tensor, y, n: int) -> torch.Tensor:
    """For each latent, the nearest of n seeded latents whose image (under the same label, for a conditional
    model) meets the criterion; NaN rows where none of the n qualifies."""
    pool = frame.pool(model, n).to(z.device)
    out = torch.full_like(z, float("nan"))
    for label in [None] if y is None else y.unique().tolist():
        rows = torch.arange(len(z), device=z.device) if label is None else (y == label).nonzero().flatten()
        yl = None if label is None else torch.full((n,), label, device=z.device)
        ok = torch.cat(
            [
                crit(model.generate(pool[i : i + 500], None if yl is None else yl[i : i + 500], space=frame.space))[1]
                for i in range(0, n, 500)
            ]
        )
        good = pool[ok]
        if len(good):
            out[rows] = good[torch.cdist(z[rows].flatten(1), good.flatten(1)).argmin(1)]
    return out


def steer(
    model,
    z: torch.Tensor,
    toward: int | str,
    *,
    steps: int = STEER_STEPS,
    labels=None,
    space: str = "z",
    move_label: bool = False,
    _stacklevel: int = 2,
    **kwargs,
) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
    """A path of `steps` latents from z (exactly) to a latent the classifier assigns to `toward`; in `space`
    (a style-based generator's "w" or "w+" too), shape (steps, *latent_shape(space)). An end that does not meet
    the steering criterion (see steer_latents) is still the path's end, with a SteeringWarning that says what to
    try (`_stacklevel`: where the warning points, 2 the caller of this function).

    With `move_label` (conditional models) the pair (latent path, label path): the label path (steps,
    num_classes) runs in a straight line from the one-hot row of the held label (`labels`) to the target's, so
    `generate(latent_path, label_path)` draws the morph from exactly (z, label) to the steered end."""
    if not isinstance(steps, numbers.Integral) or isinstance(steps, bool) or steps < 2:
        raise GanzooError(f"steps must be an int >= 2 (the path's length, both ends included), got {steps!r}")
    steps = int(steps)
    from .runtime import ensure_fits

    shape = model.latent_shape(space)  # checks the space
    if move_label is True and labels is None and model.conditional:
        raise GanzooError("move_label needs labels: the label the path starts from (it moves to `toward`)")
    ensure_fits(4 * steps * math.prod(shape) * 4, f"{steps} path steps")  # t, (1 - t) z0, t end, their sum
    one = isinstance(z, torch.Tensor) and z.ndim == len(shape)  # one latent without its batch axis
    z0 = _check_latents(model, z[None] if one else z, space)
    if len(z0) != 1:
        dims = ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "")
        raise GanzooError(
            f"steer takes one latent ({dims}) or (1, {dims.rstrip(',')}), got {tuple(z.shape)}; "
            "steer several with a loop or ganzoo.control.steer_latents"
        )
    end, reached = steer_latents(model, z0, toward, labels=labels, space=space, move_label=move_label, **kwargs)
    if not bool(reached[0]):
        warnings.warn(_not_reached(model, toward, labels, move_label), SteeringWarning, stacklevel=_stacklevel)
    t = torch.linspace(0, 1, steps, device=z0.device).reshape(-1, *[1] * len(shape))
    path = (1 - t) * z0 + t * end  # straight: the optimisation already kept the end near the start
    path[0] = z0[0]
    if not move_label:
        return path
    k = model.num_classes
    held = F.one_hot(model.labels_tensor(labels, 1), k).float()  # (1, K)
    goal = F.one_hot(torch.tensor([_class_index(model, toward)], device=held.device), k).float()
    tl = t.reshape(-1, 1).to(held.device)
    label_path = (1 - tl) * held + tl * goal  # (steps, K); rows sum to 1
    label_path[0], label_path[-1] = held[0], goal[0]  # exact ends
    return path, label_path


def _not_reached(model, toward, labels, move_label: bool) -> str:
    """What a SteeringWarning says: the end is not the class, and what to try."""
    target = _class_index(model, toward)
    name = escaped(class_names(model)[target])
    text = (
        f"steering toward {name} did not arrive: the steering classifiers do not all read the end as {name} in "
        "every view, so other classifiers and people may not either (the path ends where the steering stopped)"
    )
    if model.conditional and not move_label and int(model.labels_tensor(labels, 1)[0]) != target:
        return text + (
            "; with its label held a conditional model often cannot change class through z: "
            "pass move_label=True (ganzoo steer --move-label) to move the label instead"
        )
    return text + "; raise iters (steer(..., iters=200)) or start from another latent (ganzoo steer: another --seed)"


def class_directions(model, n: int = 2000, *, seed: int = 0, batch: int = 500, space: str = "z") -> torch.Tensor:
    """Mean latent per class (num_classes, *latent_shape(space)), classes read off the generated images. In W / W+
    (style-based generators) the mean w of the samples of each class (for W+ repeated for every layer), so that
    `w + d[7] - d[1]` edits a projected w."""
    if model.conditional:
        raise GanzooError(
            "class_directions is for unconditional models: a conditional model's class is its label "
            "input, so change `labels` instead of adding a direction to z."
        )
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 10:
        raise GanzooError(f"n must be an int >= 10 (samples to classify), got {n!r}")
    n, batch = int(n), _count("batch", batch)
    model.check_space(space)
    net = classifier_for(model)
    names = class_names(model)
    k = len(names)
    z = to_space(model, model.sample_latent(n, seed=seed), space)
    pred = _class_probs(model, net, z, None, batch, space).argmax(1)
    counts = torch.bincount(pred, minlength=k)
    if int(counts.min()) == 0:
        missing = [names[i] for i in range(k) if counts[i] == 0]
        raise GanzooError(
            f"no sample of class(es) {', '.join(missing)} among {n}: raise n (the generator rarely draws them)"
        )
    out = torch.zeros(k, *z.shape[1:], device=z.device)
    out.index_add_(0, pred, z)
    return out / counts.reshape(-1, *[1] * (z.ndim - 1)).to(out.dtype)


def open_image(path, model):
    """A PIL image read from a file for `model`: its declared size is checked against the model's before a pixel
    is decoded (so a small file declaring a huge image costs nothing: no decompression bomb), and any way the file
    can be damaged is a GanzooError naming it."""
    from PIL import Image

    _, h, w = model.image_shape
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as im:  # reads the header only
                if im.size != (w, h):
                    raise GanzooError(
                        f"image {escaped(path)}: size {im.size[0]}x{im.size[1]} does not match the "
                        f"model's {w}x{h}; resize it first (e.g. PIL's img.resize)"
                    )
                if getattr(im, "n_frames", 1) > 1:  # an animation or a multi-page TIFF: which one was meant?
                    raise GanzooError(
                        f"image {escaped(path)} holds {im.n_frames} frames; save the one you mean as a single image"
                    )
                im.load()
                check_opaque(im, f"image {escaped(path)}")
                _pil_array(im, model.image_shape[0])  # a mode PIL cannot convert fails here, naming the file
                return im.copy()
    except GanzooError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise GanzooError(f"image {escaped(path)} declares more pixels than an image can sensibly have ({e})") from None
    except (FileNotFoundError, IsADirectoryError, PermissionError, NotADirectoryError) as e:  # not the image's fault
        raise GanzooError(f"cannot read image {escaped(path)}: {escaped(e.strerror or e)}; check the path") from None
    except Exception as e:  # noqa: BLE001 - PIL's decoders raise many types (OSError, ValueError, SyntaxError, ...)
        raise GanzooError(
            f"cannot read image {escaped(path)}: {escaped(e)}; save it as a greyscale or RGB PNG and try again"
        ) from None


def check_opaque(im, what: str) -> None:
    """Refuse a PIL image with transparent pixels: what lies behind them is a guess (black strokes on a transparent
    background became an all-black image when alpha was dropped), so the user flattens it onto the background meant."""
    import numpy as np

    # "a": premultiplied alpha; a LAB image's "A" band is a colour axis, not alpha
    band = next((b for b in ("A", "a") if b in im.getbands()), None) if im.mode != "LAB" else None
    key = im.info.get("transparency")  # a grey level or RGB colour that is transparent (PNG tRNS)
    if band is not None:
        clear = np.asarray(im.getchannel(band)) < 255
    elif im.mode == "P":  # the palette may carry alpha, with or without a tRNS entry
        clear = np.asarray(im.convert("RGBA").getchannel("A")) < 255
    elif key is None:
        return
    elif im.mode == "1":
        clear = np.asarray(im) == bool(key)
    else:  # compared in the image's own values: a 16-bit grey key must not be squeezed into 0..255 first
        a = np.asarray(im)
        clear = (a == np.asarray(key)).all(-1) if a.ndim == 3 else a == key
    if clear.any():
        raise GanzooError(
            f"{what} has transparent pixels ({int(clear.sum())} of {clear.size} with alpha below 255), and what lies "
            "behind them is a guess: flatten it first (MNIST and Fashion-MNIST draw white on black). Dark strokes "
            "on transparency: use the alpha channel itself, im.getchannel('A'); light strokes: paste them onto "
            "black, Image.alpha_composite(Image.new('RGBA', im.size, 'black'), im.convert('RGBA'))"
        )


# Greyscale modes deeper than 8 bits, with the value that is white: PIL's convert("L") clips them to 0..255 (a
# 16-bit image becomes two or three grey levels), so they are scaled here. Mode "I" is how Pillow before 10 opened
# 16-bit PNGs; "F" (float TIFF) is taken as already in [0, 1].
DEEP_MODES = {"I;16": 65535, "I;16L": 65535, "I;16B": 65535, "I;16N": 65535, "I": 65535, "F": 1}


def _pil_array(im, channels: int):
    """A PIL image as float32 (C, H, W) in [0, 1], every bit depth read faithfully."""
    import numpy as np

    if im.mode not in DEEP_MODES:
        a = np.asarray(im.convert("L" if channels == 1 else "RGB"), dtype=np.float32) / 255
        return a[None] if a.ndim == 2 else a.transpose(2, 0, 1)
    a = np.asarray(im).astype(np.float64)
    top = DEEP_MODES[im.mode]
    if not np.isfinite(a).all() or a.min() < 0 or a.max() > top:
        raise GanzooError(
            f"a mode-{im.mode} image must hold values in 0..{top}, got {a.min():g}..{a.max():g}; "
            "save it as "
            "an 8- or 16-bit greyscale PNG"
        )
    return np.repeat((a / top).astype(np.float32)[None], channels, axis=0)  # grey: the same in every channel


def to_image_tensor(model, images) -> torch.Tensor:
    """Images as float (N, C, H, W) in [0, 1] from a tensor (N, C, H, W) / (C, H, W), a PIL image or a list of them.
    PIL images of any mode are converted faithfully: 16-bit and float greyscale keep their grey levels."""
    import numpy as np

    c, h, w = model.image_shape
    if not isinstance(images, torch.Tensor):
        items = list(images) if isinstance(images, (list, tuple)) else [images]
        if not items or not all(hasattr(im, "convert") for im in items):
            raise GanzooError("images must be a tensor in [0, 1] (N, C, H, W) or PIL images")
        arrs = []
        for i, im in enumerate(items):
            what = "image" if len(items) == 1 else f"image {i}"
            if im.size != (w, h):
                raise GanzooError(
                    f"image size {im.size[0]}x{im.size[1]} does not match the model's {w}x{h}; resize "
                    "it first (e.g. PIL's img.resize)"
                )
            if getattr(im, "n_frames", 1) > 1:  # an animation: which frame was meant is a guess
                raise GanzooError(f"{what} holds {im.n_frames} frames; pass the one you mean (im.seek(i); im.copy())")
            try:
                check_opaque(im, what)
                arrs.append(_pil_array(im, c))
            except GanzooError:
                raise
            except (ValueError, OSError) as e:  # PIL: a closed image, a mode it cannot convert (LAB, ...)
                fix = (
                    "open it again: a closed PIL image has no pixels"
                    if "closed" in str(e)
                    else ("convert it to greyscale or RGB first")
                )
                raise GanzooError(f"cannot read {what} (mode {escaped(im.mode)}): {escaped(e)}; {fix}") from None
        images = torch.from_numpy(np.stack(arrs))
    x = images[None] if images.ndim == 3 else images
    if x.ndim != 4 or tuple(x.shape[1:]) != (c, h, w):
        raise GanzooError(
            f"images must have shape (N, {c}, {h}, {w}) like the model's samples, got {tuple(images.shape)}"
        )
    if not len(x):
        raise empty_error("images", "images", x.shape)
    if not x.is_floating_point() or not bool(torch.isfinite(x).all()) or x.min() < 0 or x.max() > 1:
        raise GanzooError("images must be finite floats in [0, 1] (divide uint8 images by 255)")
    return x.float().to(model.device)


def invert(
    model,
    images,
    *,
    labels=None,
    steps: int = INVERT_STEPS,
    lr: float = 0.05,
    feature_weight: float = 0.1,
    prior_weight: float = 0.001,
    starts: int = 32,
    seed: int = 0,
    space: str = "z",
    select_weight: float = 0.1,
    label_weight: float = 0.0,
    label_views: bool = True,
    ensemble: bool = True,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(latents, reconstruction MSE per image (N,)) for images in [0, 1].

    space "z" (every generator): latents (N, latent_dim), started from the best of `starts` seeded draws and
    kept near the prior's typical set by `prior_weight`. "w" / "w+" (style-based generators): latents
    (N, w_dim) / (N, num_ws, w_dim), started from w_avg (the StyleGAN2 projector's start; deterministic, so
    `starts`, `seed`, `prior_weight` and `select_weight` play no part); W+ fits more closely, W stays on the
    learned manifold.

    The *label gap* of a reconstruction is the KL divergence from the steering classifiers' class probabilities of
    the original to those of the reconstruction, averaged over the classifiers (with `ensemble`, every one of
    `steering_classifiers`; otherwise ganzoo's alone). The best start is the draw with the lowest pixel mean
    squared error plus `select_weight` times its label gap (0: pixels alone): the draw nearest in pixels is often
    another class (a 4 reconstructed as a 1), and descent from it keeps that class. The descent's loss is the
    pixels' mean squared error, plus `feature_weight` times that of ganzoo's classifier's features, plus
    `label_weight` times the label gap read under one view of VIEWS per step, a different one each step
    (`label_views`; otherwise the image itself), so that it is no match on one pixel grid."""
    steps, starts = _count("steps", steps), _count("starts", starts)
    lr = _number("lr", lr)
    for name, v in (("prior_weight", prior_weight), ("feature_weight", feature_weight)):
        _number(name, v)
    for name, v in (("select_weight", select_weight), ("label_weight", label_weight)):
        _number(name, v, why=" (0 turns it off)")
    for name, v in (("label_views", label_views), ("ensemble", ensemble)):
        if not isinstance(v, bool):
            raise GanzooError(f"{name} must be True or False, got {v!r}")
    space = model.check_space(space)
    x = to_image_tensor(model, images)
    n, d = len(x), model.latent_dim
    y = model.labels_tensor(labels, n)
    net = classifier_for(model)
    select = bool(select_weight) and space == "z"
    nets = ([net, *steering_classifiers(model)[1:]] if ensemble else [net]) if select or label_weight else []
    views = list(VIEWS) if label_views and label_weight else [VIEWS[0]]
    with torch.no_grad():
        fx = net(x)[0] if feature_weight else None
        # the originals' class probabilities (V, M, N, K), view by view: what the reconstruction's are compared with
        px = torch.stack([_log_probs(nets, _view(x, v)).exp() for v in views]) if nets else None
        if space == "z":
            # start from the best of `starts` seeded latents per image (inversion is non-convex)
            cand = model.sample_latent(n * starts, seed=seed).reshape(starts, n, d)
            score = []
            for s in range(starts):
                g = _images(model, cand[s], y)
                e = (g - x).square().flatten(1).mean(1)
                score.append(e + select_weight * _kl(px[0], _log_probs(nets, g)) if select else e)
            z = cand[torch.stack(score).argmin(0), torch.arange(n)].clone()
        else:
            z = model.generator.w_avg.expand(n, *model.latent_shape(space)).clone()
    z.requires_grad_(True)
    opt = torch.optim.Adam([z], lr=lr)
    with torch.enable_grad(), frozen(model):
        for step in range(steps):
            g = _images(model, z, y, space)
            loss = (g - x).square().flatten(1).mean(1)
            own = net(g) if feature_weight else None  # 0: pixels only, and the classifier is not run
            if feature_weight:
                loss = loss + feature_weight * (own[0] - fx).square().mean(1)
            if label_weight:
                v = step % len(views)
                xv = _view(g, views[v])
                logq = torch.stack(
                    [(own[1] if own is not None and c is net and xv is g else c(xv)[1]).log_softmax(-1) for c in nets]
                )  # ganzoo's classifier has already read the image itself
                loss = loss + label_weight * _kl(px[v], logq)
            if space == "z":
                loss = loss + prior_weight * (z.square().sum(1) / d - 1).square()
            opt.zero_grad()
            loss.sum().backward()
            opt.step()
    z = z.detach()
    with torch.no_grad():
        mse = (_images(model, z, y, space).clamp(0, 1) - x).square().flatten(1).mean(1)
    return z, mse


def _view(x: torch.Tensor, view) -> torch.Tensor:
    """x under one view of VIEWS (x itself for the identity)."""
    return x if tuple(view) == VIEWS[0] else view_images(x, [view])


def _log_probs(nets, x: torch.Tensor) -> torch.Tensor:
    """log p(class) (M, N, K) of images x under each of M classifiers."""
    return torch.stack([net(x)[1].log_softmax(-1) for net in nets])


def _kl(p: torch.Tensor, logq: torch.Tensor) -> torch.Tensor:
    """(N,): KL(p || q) averaged over the M classifiers, for p (M, N, K) and log q (M, N, K)."""
    return (p * (p.clamp_min(1e-12).log() - logq)).sum(-1).mean(0)


def _mix_latents(model, z, what: str) -> torch.Tensor:
    """Latents (K, latent_dim) from a tensor or a list of int seeds (each seed's `sample_latent(1, seed)`)."""
    if isinstance(z, torch.Tensor):
        return _check_latents(model, z)
    items = list(z) if isinstance(z, (list, tuple)) else None
    if not items or not all(isinstance(s, numbers.Integral) and not isinstance(s, bool) for s in items):
        raise GanzooError(f"{what} must be latents (K, {model.latent_dim}) or a non-empty list of int seeds, got {z!r}")
    return torch.cat([model.sample_latent(1, seed=int(s)) for s in items])


def style_mix(model, z_rows, z_cols, *, crossover: int, truncation: float | None = None) -> torch.Tensor:
    """Images (R, C, channels, H, W): image (i, j) has ws[:crossover] from row latent i (coarse styles) and
    ws[crossover:] from column latent j (fine styles). See `GANModel.mix`."""
    if not model.has_w_space:
        raise GanzooError(
            f"style mixing needs a style-based generator (stylegan2-*); "
            f"{model.source or model.architecture} ({model.architecture}) has one latent per image"
        )
    if truncation is not None:
        model.check_psi(truncation)
    k = model.generator.num_ws
    if isinstance(crossover, bool) or not isinstance(crossover, numbers.Integral) or not 1 <= crossover < k:
        raise GanzooError(
            f"crossover must be an int 1..{k - 1}: how many of the {k} style inputs (coarsest "
            f"first) come from the row latents, got {crossover!r}"
        )
    rows, cols = _mix_latents(model, z_rows, "z_rows"), _mix_latents(model, z_cols, "z_cols")
    r, c = len(rows), len(cols)
    # the mixed ws (R * C, num_ws, w_dim) float32 come before generate's own check: count them in it
    ws_bytes = r * c * k * model.generator.w_dim * 4
    model.check_memory(r * c, f"the {r * c} images of a {r} x {c} style-mixing grid", extra=ws_bytes)
    with torch.inference_mode():
        w_rows, w_cols = model.generator.mapping(rows), model.generator.mapping(cols)  # (R, w_dim), (C, w_dim)
    ws = torch.cat(
        [
            w_rows[:, None, None, :].expand(r, c, crossover, -1),
            w_cols[None, :, None, :].expand(r, c, k - crossover, -1),
        ],
        2,
    )  # (R, C, num_ws, w_dim)
    images = model.generate(ws.reshape(r * c, k, -1), space="w+", truncation=truncation)
    return images.reshape(r, c, *images.shape[1:])


# The figures of a style-based entry (its card, docs/stylegan2.md): the same seeds at falling psi, and the papers'
# mixing grid. Fixed here so that the release, the docs script and the CLI draw the same pictures.
PSI_VALUES = (1.0, 0.85, 0.7, 0.5, 0.0)
FIGURE_SEEDS = tuple(range(8))  # the psi grid's columns
MIX_ROWS, MIX_COLS = (0, 1, 2, 3, 4), (5, 6, 7, 8, 9, 10)


def mixing_figure(model, rows, cols, *, crossover: int, truncation: float | None = None) -> tuple[torch.Tensor, int]:
    """(tiles, nrow) of the StyleGAN papers' mixing figure: an empty corner, the column sources along the top,
    then per row its source on the left and the mixed images (coarse styles from the row, fine from the
    column). `rows`, `cols`: latents or lists of int seeds, as for `style_mix`."""
    z_rows, z_cols = _mix_latents(model, rows, "z_rows"), _mix_latents(model, cols, "z_cols")
    r, c = len(z_rows), len(z_cols)
    tile = 4 * math.prod(model.image_shape)  # the tiles are a copy of the grid and the sources: count it too
    model.check_memory(
        (r + 1) * (c + 1), f"a {r} x {c} style-mixing figure", grid=True, nrow=c + 1, extra=(r + 1) * (c + 1) * tile
    )
    grid = model.mix(z_rows, z_cols, crossover=crossover, truncation=truncation)  # checks every input
    src_rows = model.generate(z_rows, truncation=truncation)
    src_cols = model.generate(z_cols, truncation=truncation)
    blank = torch.zeros(1, *model.image_shape, device=grid.device)
    tiles = [blank, src_cols] + [torch.cat([src_rows[i : i + 1], grid[i]]) for i in range(len(src_rows))]
    return torch.cat(tiles), len(src_cols) + 1


def truncation_grid(model, seeds: Sequence[int] | None = None, values: Sequence | None = None) -> torch.Tensor:
    """Images (len(values) * len(seeds), C, H, W): row r is the seeds' images at truncation values[r], the same
    latents (and labels) in every row.

    A style-based generator: column j is `sample(1, seed=seeds[j], truncation=psi)` at each psi of `values`
    (default PSI_VALUES; psi = 1 is the untruncated model, psi = 0 w_avg's image). A BigGAN (TRUNCATION_TRICK):
    column j is `sample(1, seed=seeds[j], labels=j % K, truncation=t)` at each z threshold t of `values` (default
    Z_TRUNCATIONS; None is the untruncated model), so a column keeps its class and the latent entries inside t."""
    from .registry import TRUNCATION_TRICK

    if model.has_w_space:
        seeds, values = FIGURE_SEEDS if seeds is None else seeds, PSI_VALUES if values is None else values
    elif model.architecture in TRUNCATION_TRICK:
        seeds, values = Z_FIGURE_SEEDS if seeds is None else seeds, Z_TRUNCATIONS if values is None else values
    else:
        raise GanzooError(
            f"a truncation grid needs a style-based generator (stylegan2-*) or a BigGAN (biggan-*); "
            f"{model.source or model.architecture} ({model.architecture}) only samples with it: "
            "sample(n, truncation=t)"
        )
    seeds = list(seeds)
    if not seeds or not all(isinstance(s, numbers.Integral) and not isinstance(s, bool) for s in seeds):
        raise GanzooError(f"seeds must be a non-empty list of ints, got {seeds!r}")
    seeds = [int(s) for s in seeds]
    if model.has_w_space:
        z = _mix_latents(model, seeds, "seeds")
        return torch.cat([model.generate(z, truncation=model.check_psi(p)) for p in values])
    y = torch.arange(len(seeds)) % model.num_classes if model.conditional else None
    rows = [torch.cat([model.sample_latent(1, seed=s, truncation=t) for s in seeds]) for t in values]
    return torch.cat([model.generate(z, y) for z in rows])


# A BigGAN's truncation picture (its card, docs/progan-biggan.md and the table's values): the untruncated model, then
# falling z thresholds; columns: seeds 0..9, column j drawn as class j
Z_TRUNCATIONS = (None, 2.0, 1.0, 0.5, 0.25)
Z_FIGURE_SEEDS = tuple(range(10))
STAGE_SAMPLES = 16  # a progressively grown generator's pictures: seed 0's first 16 samples at every stage
MIX_CROSSOVER = 2  # at 28x28: the 7x7 layers (and the 14x14 upsampling conv) from the rows, the rest from the columns
STYLE_FIGURES = ("truncation.png", "mixing.png")  # a style-based entry's bundled pictures (release, card, docs)


def stage_picture(resolution: int) -> str:
    """The file name of a progressively grown entry's picture of one growth stage."""
    return f"resolution-{resolution}.png"


def stage_grids(model, n: int = STAGE_SAMPLES, seed: int = 0) -> dict[int, torch.Tensor]:
    """resolution -> `sample(n, seed=seed, resolution=r)` for every growth stage of a progressively grown generator:
    the same latents at each stage (28x28 images, a coarser stage's pixels as blocks)."""
    if len(model.resolutions) < 2:
        raise GanzooError(
            f"stage grids need a progressively grown generator (progan-*); {model.source or model.architecture} "
            f"({model.architecture}) draws {model.resolutions[0]}x{model.resolutions[0]} images only"
        )
    return {r: model.sample(n, seed=seed, resolution=r) for r in model.resolutions}


def write_entry_figures(model, folder) -> list:
    """Write the pictures a zoo entry's family bundles beside samples.png into `folder`, and return their paths:
    a style-based generator's truncation.png (`truncation_grid`: the seeds 0..7 in columns, one row per psi in
    PSI_VALUES) and mixing.png (`mixing_figure` of seeds 0..4 by 5..10 at crossover MIX_CROSSOVER); a BigGAN's
    truncation.png (`truncation_grid`: seeds 0..9 as classes 0..9, one row per Z_TRUNCATIONS); a progressively
    grown generator's resolution-R.png per stage (`stage_grids`, 8 a row); nothing for other families.
    Deterministic: the same weights give the same files."""
    from pathlib import Path

    from .registry import TRUNCATION_TRICK

    folder = Path(folder)
    out = []
    if model.has_w_space:
        tiles, nrow = mixing_figure(model, list(MIX_ROWS), list(MIX_COLS), crossover=MIX_CROSSOVER)
        out += [
            model.save_grid(truncation_grid(model), folder / STYLE_FIGURES[0], nrow=len(FIGURE_SEEDS)),
            model.save_grid(tiles, folder / STYLE_FIGURES[1], nrow=nrow),
        ]
    elif model.architecture in TRUNCATION_TRICK:
        out.append(model.save_grid(truncation_grid(model), folder / "truncation.png", nrow=len(Z_FIGURE_SEEDS)))
    if len(model.resolutions) > 1:
        out += [model.save_grid(x, folder / stage_picture(r), nrow=8) for r, x in stage_grids(model).items()]
    return out


def first_layer_map(model) -> torch.Tensor:
    """The linear map A (out, d) from the latent the directions live in to the generator's first hidden layer(s),
    before any nonlinearity.

    DCGAN-style generators: the first ConvTranspose2d, weight (latent, C, k, k) read as (C*k*k, latent), times
    its BatchNorm's eval-mode scale gamma / sqrt(var + eps) per channel (BatchNorm in eval mode is linear too,
    and a channel it shrinks matters less). MLP generators and the VAE's decoder: the first Linear. A
    conditional generator's first layer also reads the label embedding: only z's columns are kept.
    Style-based generators (StyleGAN2): every modulated convolution's style affine map of w, stacked, each
    scaled to unit Frobenius norm (so that no layer dominates by its width): A is (sum of Cin, w_dim), and the
    directions live in W (SeFa's StyleGAN form). ProGAN: the first dense layer (equalized, of the pixel-normalised
    z). BigGAN: its first dense layer, which reads the first chunk of its hierarchical z (the later chunks enter
    the blocks' conditional BatchNorms): A's other columns are zero, so the strongest directions lie in that chunk.
    Measured on biggan-mnist and biggan-fashion-mnist (32 seeds, z + 3d): the first three such directions changed
    the image by 0.07-0.13 (mean absolute pixel change) against at most 0.056 for eight random unit directions;
    stacking the BatchNorms' maps too (each at its chunk, scaled to unit norm) gave a first direction of 0.051 on
    biggan-mnist, below the random ones.
    """
    from .models.biggan import BigGANGenerator
    from .models.cgan import CBNBody, CGANGenerator
    from .models.dcgan import DCGANGenerator
    from .models.gan import GANGenerator
    from .models.progan import ProGANGenerator
    from .models.stylegan2 import StyleGAN2Generator
    from .models.vae import VAEGenerator

    g = model.generator.body if isinstance(model.generator, CGANGenerator) else model.generator
    if isinstance(g, StyleGAN2Generator):
        maps = [c.affine.weight.detach().double() * c.affine.w_gain for c in g.synthesis.convs]  # (Cin, w_dim)
        return torch.cat([m / m.norm() for m in maps])
    if isinstance(g, ProGANGenerator):
        return g.fc.weight.detach().double() * g.fc.w_gain  # (W0 * 7 * 7, latent)
    if isinstance(g, BigGANGenerator):
        a = torch.zeros(g.linear.weight.shape[0], model.latent_dim, dtype=torch.float64)
        a[:, : g.chunks[0]] = g.linear.weight.detach().double()  # (W0 * 7 * 7, first chunk); the rest: zero
        return a
    if isinstance(g, DCGANGenerator):
        conv, norm = g.net[0], g.net[1]
    elif isinstance(g, CBNBody):
        conv, norm = g.convs[0], None  # its BatchNorm's gain is per class: the label's business, not z's
    elif isinstance(g, (GANGenerator, VAEGenerator)):
        conv, norm = g.net[0], None  # Linear, then an activation (no BatchNorm right after the noise)
    else:
        raise GanzooError(
            f"SeFa directions need a generator whose first layer is a linear map of z (DCGAN-style, MLP, VAE "
            f"decoder) or a style-based one; {escaped(model.architecture)!r} ({type(model.generator).__name__}) "
            "is neither"
        )
    w = conv.weight.detach().double()
    if isinstance(conv, nn.Linear):
        a = w  # (out, in)
    else:
        a = w.flatten(1).T.reshape(w.shape[1], -1, w.shape[0])  # (C, k*k, in)
        if isinstance(norm, nn.BatchNorm2d) and norm.running_var is not None:
            scale = norm.running_var.double().add(norm.eps).rsqrt()
            if norm.weight is not None:
                scale = scale * norm.weight.detach().double()
            a = a * scale[:, None, None]
        a = a.reshape(-1, w.shape[0])
    return a[:, : model.latent_dim]


def directions(model, k: int = 5, *, method: str = "sefa") -> torch.Tensor:
    """k orthonormal latent directions (k, d) found without data or a classifier, strongest first.

    method="sefa" (Shen & Zhou 2021, closed-form factorisation): the eigenvectors of A^T A, A the generator's
    first layer as a linear map (`first_layer_map`), by decreasing eigenvalue: the directions that layer
    stretches most, which move the image most. d is latent_dim (z), or w_dim for a style-based generator, whose
    directions live in W: `generate(w + t * dirs[0], space="w")`. Deterministic: each vector's largest entry
    is made positive.
    """
    if method != "sefa":
        raise GanzooError(f"method must be 'sefa' (closed-form factorisation), got {escaped(repr(method))}")
    w_space = model.has_w_space
    d = model.generator.w_dim if w_space else model.latent_dim
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or not 1 <= k <= d:
        size = f"W size {d}" if w_space else f"latent size {d}"
        raise GanzooError(f"k must be an int from 1 to the {size}, got {escaped(repr(k))}")
    a = first_layer_map(model)
    vals, vecs = torch.linalg.eigh(a.T @ a)  # ascending, orthonormal columns
    vecs = vecs[:, vals.argsort(descending=True)[:k]].T  # (k, d)
    sign = vecs.gather(1, vecs.abs().argmax(1, keepdim=True)).sign()
    return (vecs * sign).float().to(model.device)


def _count(name: str, v, low: int = 1) -> int:
    """An int option (steps, starts, ...) >= low, or a GanzooError naming it."""
    if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < low:
        raise GanzooError(f"{name} must be an int >= {low}, got {escaped(repr(v))}")
    return int(v)


def _number(name: str, v, low: float = 0.0, high: float = math.inf, *, above: bool = False, why: str = "") -> float:
    """A finite number option in [low, high] (above: > low), or a GanzooError naming it, its range and `why`."""
    ok = isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v)
    if not ok or not (v > low if above else v >= low) or v > high:
        rng = f"{'>' if above else '>='} {low:g}" + (f" and <= {high:g}" if high < math.inf else "")
        raise GanzooError(f"{name} must be a finite number {rng}{why}, got {escaped(repr(v))}")
    return float(v)


def _check_latents(model, z, space: str = "z") -> torch.Tensor:
    """z as float latents (N, *latent_shape(space)) on the model's device, or an error saying what is wrong."""
    model.check_latents(z, space)
    return z.detach().float().to(model.device)


__all__: Sequence[str] = [
    "class_directions",
    "class_names",
    "directions",
    "invert",
    "open_image",
    "steer",
    "steer_latents",
    "style_mix",
    "to_image_tensor",
    "to_space",
]
