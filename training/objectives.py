"""GAN objectives, kept apart from the networks and the loop.

Each objective gives the discriminator/critic loss for a real and a fake batch, the
generator loss for a fake batch, and the statistics the log records.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ganzoo.models.cyclegan import MAPPING_MEMBER


@dataclass
class Objective:
    """An adversarial objective: the trainer alternates `d_loss` and `g_loss` updates. An objective that owns its
    whole update (the VAE's ELBO) defines `step(trainer, log)` instead, and the trainer calls that."""

    name: str = "bce"
    clip: float = 0.0  # WGAN weight clipping bound c
    gp_weight: float = 0.0  # WGAN-GP lambda
    # A lazy penalty (R1 or WGAN-GP's, every k-th D update) is logged as its most recent value: the logged steps
    # need not be penalty steps (log_every 50 and every 16th update never meet). Checkpointed (`state_dict`), so
    # a resumed run logs what an uninterrupted one does.
    last_gp: float | None = None

    def d_loss(
        self, D: nn.Module, real: torch.Tensor, fake: torch.Tensor, y, rng: torch.Generator, d_iter: int = 0
    ) -> tuple[torch.Tensor, dict]:
        """Loss for the d_iter-th discriminator update of the run (0, 1, 2, ...)."""
        raise NotImplementedError

    def g_loss(self, D: nn.Module, fake: torch.Tensor, y, real: tuple | None = None) -> torch.Tensor:
        """`real` = (images, labels) of the last critic step, for objectives that score batches jointly."""
        raise NotImplementedError

    # what the trainer's log.csv records for this objective
    log_fields = (
        "step",
        "loss_d",
        "loss_g",
        "d_real",
        "d_fake",
        "wasserstein",
        "gp",
        "grad_norm_d",
        "grad_norm_g",
        "images_per_s",
    )

    def after_d_step(self, D: nn.Module) -> None:
        pass

    def state_dict(self) -> dict:
        """What the objective carries from step to step, for the checkpoint."""
        return {"last_gp": self.last_gp}

    def load_state_dict(self, state: dict) -> None:
        self.last_gp = state.get("last_gp")

    def _with_gp(self, stats: dict, gp: float | None = None) -> dict:
        """`stats` with the penalty of this update, or else of the latest update that had one."""
        if gp is not None:
            self.last_gp = gp
        if self.last_gp is not None:
            stats["gp"] = self.last_gp
        return stats

    def diagnose(self, stats: dict, step: int) -> str | None:
        """A warning about the dynamics this objective can read off a logged step's statistics, or None."""
        return None


def _joint_scores(
    D: nn.Module, real: torch.Tensor, fake: torch.Tensor, y, y_fake=None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean critic scores of real and fake, both through one forward call (fakes carry the reals' labels
    unless `y_fake` is given)."""
    yy = None if y is None else torch.cat([y, y if y_fake is None else y_fake])
    # (B_real + B_fake) / d_pack scores; both batches are whole packs, so no pack mixes real and fake
    out = D(torch.cat([real, fake]), yy)
    n_real = out.shape[0] * real.shape[0] // (real.shape[0] + fake.shape[0])
    dr, df = out.split([n_real, out.shape[0] - n_real])
    return dr.mean(), df.mean()


def _wasserstein_stats(dr: torch.Tensor, df: torch.Tensor) -> dict:
    return {"d_real": dr.item(), "d_fake": df.item(), "wasserstein": (dr - df).item()}


class BCE(Objective):
    """Goodfellow's objective. D maximises log D(x) + log(1 - D(G(z))).

    The generator either minimises log(1 - D(G(z))) ("minimax", the paper's equation, which
    saturates early on) or maximises log D(G(z)) ("non-saturating", the paper's practical
    advice and everyone's default). D returns logits; sigmoid lives here via softplus.
    """

    def __init__(self, non_saturating: bool = True, r1_gamma: float = 0.0, r1_every: int = 1):
        super().__init__("bce" if non_saturating else "minimax")
        self.non_saturating = non_saturating
        # R1 (Mescheder et al. 2018): gamma/2 * E||grad_x D(x)||^2 on real images pulls D's gradient to zero on
        # the data, which is what lets the game settle instead of circling. Lazy like WGAN-GP's penalty.
        self.r1_gamma, self.r1_every = r1_gamma, r1_every
        self._winning = 0  # consecutive logged steps with D(x) > 0.99 and D(G(z)) < 0.01

    def diagnose(self, stats, step):
        self._winning = self._winning + 1 if stats["d_real"] > 0.99 and stats["d_fake"] < 0.01 else 0
        if self._winning == 5:
            return (
                f"step {step}: the discriminator is winning outright (D(x)={stats['d_real']:.3f}, "
                f"D(G(z))={stats['d_fake']:.3f}); the generator gets no gradient. Try a lower --lr_d or a "
                "smaller discriminator."
            )
        return None

    def d_loss(self, D, real, fake, y, rng, d_iter=0):
        r1 = self.r1_gamma > 0 and d_iter % self.r1_every == 0
        if r1:
            real = real.detach().requires_grad_(True)
        dr, df = D(real, y), D(fake, y)
        loss = F.softplus(-dr).mean() + F.softplus(df).mean()  # -log s(dr) - log(1 - s(df))
        stats = {"d_real": torch.sigmoid(dr).mean().item(), "d_fake": torch.sigmoid(df).mean().item()}
        if r1:
            (grad,) = torch.autograd.grad(dr.sum(), real, create_graph=True)  # (B, C, H, W)
            penalty = grad.square().flatten(1).sum(1).mean()
            loss = loss + self.r1_gamma / 2 * self.r1_every * penalty
            return loss, self._with_gp(stats, penalty.item())
        return loss, self._with_gp(stats) if self.r1_gamma > 0 else stats

    def g_loss(self, D, fake, y, real=None):
        df = D(fake, y)
        return F.softplus(-df).mean() if self.non_saturating else -F.softplus(df).mean()


class WassersteinClip(Objective):
    """WGAN (Arjovsky 2017): critic maximises E[D(x)] - E[D(G(z))], weights clipped to [-c, c].

    `joint`: real and fake go through the critic as one batch, in the critic's steps and in the
    generator's (with the last critic step's real batch). A BatchNorm critic that sees them apart
    normalises each batch by its own statistics, so it cannot see how their feature means differ.
    """

    def __init__(self, clip: float = 0.01, joint: bool = False):
        super().__init__("wgan-clip", clip=clip)
        self.joint = joint

    def d_loss(self, D, real, fake, y, rng, d_iter=0):
        dr, df = _joint_scores(D, real, fake, y) if self.joint else (D(real, y).mean(), D(fake, y).mean())
        return df - dr, _wasserstein_stats(dr, df)

    def g_loss(self, D, fake, y, real=None):
        if not self.joint:
            return -D(fake, y).mean()
        x, y_real = real
        return -_joint_scores(D, x, fake, y_real, y)[1]

    @torch.no_grad()
    def after_d_step(self, D):
        for p in D.parameters():
            p.clamp_(-self.clip, self.clip)


class WassersteinGP(Objective):
    """WGAN-GP (Gulrajani 2017): Wasserstein loss + lambda * (||grad D(x_hat)|| - 1)^2.

    Real, fake and interpolates go through the critic in one forward call: the critic has
    no BatchNorm so this equals three calls, and under DDP one forward per backward is the
    supported pattern. `gp_every` = k applies the penalty lazily, on every k-th critic update
    with weight k * lambda (as StyleGAN2 does for R1): the double backward is most of a step's cost.
    """

    def __init__(self, gp_weight: float = 10.0, gp_every: int = 1):
        super().__init__("wgan-gp", gp_weight=gp_weight)
        self.gp_every = gp_every

    def d_loss(self, D, real, fake, y, rng, d_iter=0):
        if d_iter % self.gp_every:
            dr, df = _joint_scores(D, real, fake, y)
            return df - dr, self._with_gp(_wasserstein_stats(dr, df))
        b = real.shape[0]
        eps = torch.rand(b, 1, 1, 1, generator=rng).to(real.device)
        x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
        yy = torch.cat([y, y, y]) if y is not None else None
        out = D(torch.cat([real, fake, x_hat]), yy)
        dr, df, dh = out[:b].mean(), out[b : 2 * b].mean(), out[2 * b :]
        (grad,) = torch.autograd.grad(dh.sum(), x_hat, create_graph=True)
        gp = (grad.flatten(1).norm(dim=1) - 1).square().mean()
        return df - dr + self.gp_weight * self.gp_every * gp, self._with_gp(_wasserstein_stats(dr, df), gp.item())

    def g_loss(self, D, fake, y, real=None):
        return -D(fake, y).mean()


def shown_reals(D: nn.Module, real: torch.Tensor) -> torch.Tensor:
    """Real images as a discriminator asks to see them (`show_reals`, declared by a growing D: ProGAN's reals at
    its current resolution), or as they are."""
    show = getattr(getattr(D, "module", D), "show_reals", None)
    return show(real) if show is not None else real


class WassersteinGPDrift(WassersteinGP):
    """ProGAN's loss (Karras et al. 2018, appendix A.1): WGAN-GP plus a small drift term epsilon * E[D(x)^2] on
    the real scores, which keeps the critic's output from drifting far from zero (the paper's epsilon 0.001).
    Reals are shown as the critic asks (`show_reals`: at the growing networks' current resolution)."""

    log_fields = (*Objective.log_fields[:7], "drift", *Objective.log_fields[7:])  # after gp

    def __init__(self, gp_weight: float = 10.0, gp_every: int = 1, drift: float = 0.001):
        super().__init__(gp_weight, gp_every)
        self.name, self.drift = "wgan-gp-drift", drift

    def d_loss(self, D, real, fake, y, rng, d_iter=0):
        real = shown_reals(D, real)
        b = real.shape[0]
        lazy = d_iter % self.gp_every != 0
        if lazy:
            out = D(torch.cat([real, fake]), None if y is None else torch.cat([y, y]))
        else:
            eps = torch.rand(b, 1, 1, 1, generator=rng).to(real.device)
            x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
            out = D(torch.cat([real, fake, x_hat]), None if y is None else torch.cat([y, y, y]))
        sr, sf = out[:b], out[b : 2 * b]
        dr, df = sr.mean(), sf.mean()
        drift = sr.square().mean()
        loss = df - dr + self.drift * drift
        stats = {**_wasserstein_stats(dr, df), "drift": drift.item()}
        if not lazy:
            (grad,) = torch.autograd.grad(out[2 * b :].sum(), x_hat, create_graph=True)
            gp = (grad.flatten(1).norm(dim=1) - 1).square().mean()
            loss = loss + self.gp_weight * self.gp_every * gp
            stats["gp"] = gp.item()
        return loss, stats


class Hinge(Objective):
    """The hinge loss (Lim & Ye 2017; Miyato et al. 2018; BigGAN's): D minimises E[relu(1 - D(x))] +
    E[relu(1 + D(G(z)))], G minimises -E[D(G(z))]. d_real / d_fake log the mean raw scores."""

    def __init__(self):
        super().__init__("hinge")

    def d_loss(self, D, real, fake, y, rng, d_iter=0):
        dr, df = D(real, y), D(fake, y)
        loss = F.relu(1 - dr).mean() + F.relu(1 + df).mean()
        return loss, {"d_real": dr.mean().item(), "d_fake": df.mean().item()}

    def g_loss(self, D, fake, y, real=None):
        return -D(fake, y).mean()


class ELBO(Objective):
    """The VAE's evidence lower bound (Kingma & Welling 2014), for a generator with `encode` and `logits`.

    An objective that owns the whole update (`step`): there is no discriminator and no alternation. Per image,
    in nats: -ELBO = E_q[-log p(x | z)] + KL(q(z | x) || N(0, I)), with a per-pixel Bernoulli likelihood of the grey
    levels in [0, 1] (not binarised) and one reparameterised sample of z.
    """

    log_fields = ("step", "loss_g", "recon", "kl", "grad_norm_g", "images_per_s")

    def __init__(self):
        super().__init__("elbo")

    @staticmethod
    def terms(G: nn.Module, x: torch.Tensor, noise: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """(reconstruction nats, KL nats), each (B,), for images x in [-1, 1] (the model's own definition, which
        `ganzoo eval` reports on the test split too)."""
        return G.neg_elbo_terms(x, noise)

    def step(self, t, log: bool = True) -> dict:
        """One optimiser step on a batch of the trainer `t`'s data."""
        G = t.G
        for group in t.opt_g.param_groups:  # set from the recipe every step, as the adversarial update does
            group["lr"] = t.r.lr_g * t.r.lr_factor(t.step)
        real, _ = t.batches.next(t.device)
        recon, kl = self.terms(G.module if hasattr(G, "module") else G, real, t.noise)
        loss = (recon + kl).mean()
        t.opt_g.zero_grad(set_to_none=True)
        loss.backward()
        stats = {"loss_g": loss.item(), "recon": recon.mean().item(), "kl": kl.mean().item()}
        if log:
            stats["grad_norm_g"] = (
                sum(p.grad.square().sum().item() for p in G.parameters() if p.grad is not None) ** 0.5
            )
        t.opt_g.step()
        return stats


class ImagePool:
    """The history of generated images a CycleGAN discriminator also learns from (Shrivastava et al. 2017, as in
    Zhu et al.'s code): until `size` images are held, each new one is kept and passed on; then each new image,
    with probability 1/2, is swapped for a random held one, which is passed on instead. The draws come from the
    trainer's noise generator, and the held images are part of the checkpoint (`state_dict`), so --resume is exact."""

    def __init__(self, size: int):
        self.size = size
        self.images: torch.Tensor | None = None  # (held, C, H, W), detached

    @torch.no_grad()
    def query(self, images: torch.Tensor, noise: torch.Generator) -> torch.Tensor:
        if self.size == 0:
            return images.detach()
        images = images.detach()
        if self.images is not None and self.images.device != images.device:  # restored from a checkpoint on the CPU
            self.images = self.images.to(images.device)
        u = torch.rand(len(images), generator=noise).tolist()
        slot = torch.randint(0, self.size, (len(images),), generator=noise).tolist()
        out = []
        for i, image in enumerate(images):
            held = 0 if self.images is None else len(self.images)
            if held < self.size:
                self.images = image[None].clone() if self.images is None else torch.cat([self.images, image[None]])
                out.append(image)
            elif u[i] > 0.5:
                out.append(self.images[slot[i]].clone())
                self.images[slot[i]] = image
            else:
                out.append(image)
        return torch.stack(out)

    def state_dict(self) -> dict:
        return {} if self.images is None else {"images": self.images.detach().cpu().clone()}

    def load_state_dict(self, state: dict) -> None:
        self.images = state["images"].clone() if "images" in state else None  # moved to the images' device on use


def distance_loss(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """DistanceGAN's term (Benaim & Wolf 2017) for a batch x (N, C, H, W) and its translations y: the mean absolute
    difference between the standardised pairwise distances of x and of y. Standardised over the batch's own
    pairs (the paper uses each data set's mean and deviation), so it asks only that pairs keep their relative
    distances: two digits closer than most stay closer as garments. L2 distance of the pixels: on 3,000 training
    images of each set it tells same-class pairs from others a little better than L1 on mnist and as well on
    fashion-mnist (AUC 0.739 / 0.803 against 0.727 / 0.805 for mnist / fashion-mnist)."""
    i, j = torch.triu_indices(len(x), len(x), 1, device=x.device)
    # (N (N - 1) / 2,) each; the epsilon keeps the gradient finite for two equal translations (cdist's is NaN):
    # zero for a batch of equal translations, so the term cannot push a collapse apart
    d = [((v.flatten(1)[i] - v.flatten(1)[j]).square().sum(1) + 1e-12).sqrt() for v in (x, y)]
    dx, dy = ((v - v.mean()) / (v.std() + 1e-8) for v in d)
    return (dx - dy).abs().mean()


def mapping_classifier(dataset: str, member: str = MAPPING_MEMBER) -> torch.nn.Module:
    """The data set's steering ensemble member (MAPPING_MEMBER unless another is named), eval mode, frozen:
    (B, 1, 28, 28) in [0, 1] -> ((B, 64) features, (B, 10) logits)."""
    from ganzoo.control import AllConvNet
    from ganzoo.folder import load_state_file, load_strict
    from ganzoo.metrics import CLASSIFIER_DIR

    path = CLASSIFIER_DIR / f"{dataset}-{member}.safetensors"
    net = AllConvNet()
    load_strict(net, load_state_file(path), path)
    return net.eval().requires_grad_(False)


def mapping_mi(src_net, dst_net, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The mutual information (nats) between the class src_net reads in x (N, C, H, W), real images in [-1, 1],
    and the class dst_net reads in their translations y, from the batch's joint distribution of the two
    classifiers' probabilities (IIC's estimate, Ji et al. 2019). High when each source class goes to one target
    class (a peaked row) and different classes to different ones (a spread marginal); at most ln 10. Gradients
    reach y only."""
    with torch.no_grad():
        ps = src_net((x + 1) / 2)[1].softmax(1)  # (N, K)
    pt = dst_net((y + 1) / 2)[1].softmax(1)  # (N, K)
    joint = (ps.T @ pt / len(x)).clamp_min(1e-8)  # (K, K): P(source class, target class)
    marg = joint.sum(1, keepdim=True) @ joint.sum(0, keepdim=True)  # (K, K): P(source) P(target)
    return (joint * (joint.log() - marg.log())).sum()


class CycleGANObjective(Objective):
    """CycleGAN (Zhu et al. 2017) for a generator holding g_ab and g_ba and a discriminator holding d_a and d_b
    (ganzoo/models/cyclegan.py); its weights and pool size come from the model config. One step on an unpaired
    batch a (domain A) and b (domain B):

    - generators: least-squares adversarial (D_b(G_ab(a)) - 1)^2 + (D_a(G_ba(b)) - 1)^2, plus cycle_weight times
      the L1 cycle error |G_ba(G_ab(a)) - a| and cycle_weight x cycle_scale_b times |G_ab(G_ba(b)) - b|
      (late_cycle_weight in place of cycle_weight, where set, from the recipe's decay_from on),
      plus identity_weight times |G_ab(b) - b| + |G_ba(a) - a|, plus distance_weight times the distance term
      (`distance_loss`, both directions), minus mapping_weight times the class-mapping term (`mapping_mi`, A -> B
      plus mapping_scale_b times B -> A); the discriminators are frozen for this update.
    - discriminators: (D(real) - 1)^2 / 2 + D(fake)^2 / 2 per domain, the fakes drawn through the history pools.

    An objective that owns its whole update (`step`), evaluation (`evaluate`: classifier FD of translations in
    each target domain, and the cycle error) and sample grid (`sample_grid`), like the VAE's."""

    log_fields = (
        "step",
        "loss_d",
        "loss_g",
        "adv_g",
        "cycle",
        "cycle_a",
        "cycle_b",
        "identity",
        "distance",
        "mapping_mi",
        "d_real",
        "d_fake",
        "grad_norm_d",
        "grad_norm_g",
        "images_per_s",
    )
    eval_fields = (
        "step",
        "fd",
        "fd_ab",
        "fd_ba",
        "cycle_mse",
        "mapping_ab",
        "mapping_ba",
        "one_to_one_ab",
        "one_to_one_ba",
        "cpu_seconds",
        "wall_seconds",
    )

    def __init__(self, pool_size: int = 50):
        super().__init__("cyclegan")
        self.pool_a, self.pool_b = ImagePool(pool_size), ImagePool(pool_size)
        self.mapping_nets: dict | None = None  # loaded at the first step that needs them

    def _mapping_mi(self, cfg, real_a, fake_b, real_b, fake_a) -> tuple[torch.Tensor, torch.Tensor]:
        """mapping_mi of A -> B and of B -> A, with each domain's mapping classifier (loaded once, frozen)."""
        if self.mapping_nets is None:
            self.mapping_nets = {d: mapping_classifier(d).to(real_a.device) for d in cfg.domains}
        ca, cb = (self.mapping_nets[d] for d in cfg.domains)
        return mapping_mi(ca, cb, real_a, fake_b), mapping_mi(cb, ca, real_b, fake_a)

    def state_dict(self) -> dict:
        return {"pool_a": self.pool_a.state_dict(), "pool_b": self.pool_b.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.pool_a.load_state_dict(state.get("pool_a", {}))
        self.pool_b.load_state_dict(state.get("pool_b", {}))

    def step(self, t, log: bool = True) -> dict:
        """One generator update, then one update of both discriminators, on a batch of each domain of trainer t."""
        cfg = t.cfg
        f = t.r.lr_factor(t.step)  # set from the recipe every step: linear decay needs no scheduler state
        for opt, lr in ((t.opt_g, t.r.lr_g), (t.opt_d, t.r.lr_d)):
            for group in opt.param_groups:
                group["lr"] = lr * f
        real_a, _ = t.batches.next(t.device)
        real_b, _ = t.batches_b.next(t.device)
        fake_b, fake_a, rec_a, rec_b, idt_b, idt_a = t.G(real_a, real_b)
        D = t.D.module if hasattr(t.D, "module") else t.D  # G's update goes through the bare D (not updated)
        D.requires_grad_(False)  # no D gradients are computed for G's update
        sa, sb = D(fake_a, fake_b)
        adv = (sb - 1).square().mean() + (sa - 1).square().mean()
        cycle_a, cycle_b = (rec_a - real_a).abs().mean(), (rec_b - real_b).abs().mean()
        cycle = cycle_a + cycle_b  # logged as one number, weighted apart
        idt = (idt_b - real_b).abs().mean() + (idt_a - real_a).abs().mean() if cfg.identity_weight else adv * 0
        wa, wb = cfg.cycle_weights_at(late=bool(t.r.decay_from) and t.step >= t.r.decay_from)
        dist = distance_loss(real_a, fake_b) + distance_loss(real_b, fake_a) if cfg.distance_weight else adv * 0
        mi_a, mi_b = self._mapping_mi(cfg, real_a, fake_b, real_b, fake_a) if cfg.mapping_weight else (adv * 0,) * 2
        mi = mi_a + mi_b  # logged as one number, weighted apart (a scale of 1.0 adds exactly mi_b)
        loss_g = adv + wa * cycle_a + wb * cycle_b + cfg.identity_weight * idt + cfg.distance_weight * dist
        loss_g = loss_g - cfg.mapping_weight * (mi_a + cfg.mapping_scale_b * mi_b)
        t.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        D.requires_grad_(True)
        stats: dict = {}
        if log:
            stats["grad_norm_g"] = _grad_norm(t.G)
        t.opt_g.step()
        # discriminators: real against pooled fakes, both domains in one call
        pa, pb = self.pool_a.query(fake_a, t.noise), self.pool_b.query(fake_b, t.noise)
        n = len(real_a)
        da, db = t.D(torch.cat([real_a, pa]), torch.cat([real_b, pb]))
        ra, fa, rb, fb = da[:n], da[n:], db[:n], db[n:]
        loss_d = ((ra - 1).square().mean() + fa.square().mean() + (rb - 1).square().mean() + fb.square().mean()) / 2
        t.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        if log:
            stats["grad_norm_d"] = _grad_norm(t.D)
        t.opt_d.step()
        stats.update(
            loss_g=loss_g.item(),
            loss_d=loss_d.item(),
            adv_g=adv.item(),
            cycle=cycle.item(),
            cycle_a=cycle_a.item(),  # a -> b -> a: digits' cycle with the zoo's domains
            cycle_b=cycle_b.item(),
            identity=idt.item(),
            distance=dist.item(),
            mapping_mi=mi.item(),  # nats, both directions summed: at most 2 ln 10 = 4.6 (each class one class)
            d_real=(ra.mean().item() + rb.mean().item()) / 2,  # least squares: real scores aim at 1, fakes at 0
            d_fake=(fa.mean().item() + fb.mean().item()) / 2,
        )
        return stats

    @staticmethod
    def _fixed_images(t, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The first n training images of each domain, in [-1, 1]: fixed inputs for samples and evaluation."""
        from .data import to_model_range

        return to_model_range(t.batches.x[:n]).to(t.device), to_model_range(t.batches_b.x[:n]).to(t.device)

    @torch.no_grad()
    def _translate(self, t, x: torch.Tensor, to: str, batch: int = 500) -> torch.Tensor:
        G = t.eval_generator()
        was = G.training
        G.eval()
        out = torch.cat([G.translate(x[i : i + batch], to) for i in range(0, len(x), batch)])
        G.train(was)
        return out

    def sample_grid(self, t) -> tuple[torch.Tensor, int]:
        """(images in [0, 1], per row): 8 A images, their B translations, 8 B images, their A translations."""
        a, b = self._fixed_images(t, 8)
        cfg = t.cfg
        rows = [a, self._translate(t, a, cfg.domain_b), b, self._translate(t, b, cfg.domain_a)]
        return ((torch.cat(rows) + 1) / 2).clamp(0, 1).cpu(), 8

    def evaluate(self, t) -> dict:
        """Checkpoint selection: the mean of both directions' classifier FD (eval_n translated training images of
        the source against 10k training images of the target; the test split is kept for the reported numbers),
        and the cycle MSE in [0, 1]. Logged beside them, never selected on: the mapping shares of
        `ganzoo.metrics.mapping_summary` per direction (the issue's plain share, which a collapse maximises, and the
        one-to-one share)."""
        from ganzoo.metrics import (
            class_table,
            features,
            frechet_distance,
            load_classifier,
            mapping_summary,
            real_features,
        )

        cfg = t.cfg
        n = t.r.eval_n
        a, b = self._fixed_images(t, n)
        out = {}
        for key, x, y_src, src, dst in (
            ("ab", a, t.batches.y[:n], cfg.domain_a, cfg.domain_b),
            ("ba", b, t.batches_b.y[:n], cfg.domain_b, cfg.domain_a),
        ):
            y = self._translate(t, x, dst)
            # one classifier pass gives both the FD features and the predicted classes of the mapping table
            ff, pred = features(load_classifier(dst), ((y + 1) / 2).clamp(0, 1).cpu())
            out[f"fd_{key}"] = frechet_distance(ff, real_features(dst, "train", t.data_root, 10000)[0])
            s = mapping_summary(class_table(y_src, pred))
            out[f"mapping_{key}"], out[f"one_to_one_{key}"] = s["mapping_share"], s["mapping_share_one_to_one"]
            back = self._translate(t, y, src)
            out.setdefault("cycle_mse", 0.0)
            out["cycle_mse"] += float(((back - x) / 2).square().mean()) / 2  # in [0, 1] units, both directions
        out["fd"] = (out["fd_ab"] + out["fd_ba"]) / 2
        return out


def _grad_norm(module: nn.Module) -> float:
    norms = [p.grad.detach().norm() for p in module.parameters() if p.grad is not None]
    return float(torch.stack(norms).norm()) if norms else 0.0


def make_objective(
    name: str,
    *,
    clip: float = 0.01,
    gp_weight: float = 10.0,
    gp_every: int = 1,
    joint: bool = False,
    r1_gamma: float = 0.0,
    pool_size: int = 50,
) -> Objective:
    """`gp_every` spaces out the penalty of either kind: WGAN-GP's, or R1 (`r1_gamma` > 0) for bce/minimax.
    `pool_size`: CycleGAN's history pool (from its model config)."""
    if name == "elbo":
        return ELBO()
    if name == "cyclegan":
        return CycleGANObjective(pool_size)
    if name in ("bce", "minimax"):
        return BCE(non_saturating=name == "bce", r1_gamma=r1_gamma, r1_every=gp_every)
    if name == "wgan-clip":
        return WassersteinClip(clip, joint)
    if name == "wgan-gp":
        return WassersteinGP(gp_weight, gp_every)
    if name == "wgan-gp-drift":
        return WassersteinGPDrift(gp_weight, gp_every)
    if name == "hinge":
        return Hinge()
    raise ValueError(
        f"unknown objective {name!r}; choose bce, minimax, wgan-clip, wgan-gp, wgan-gp-drift, hinge, elbo or cyclegan"
    )
