"""Evaluation in the feature space of a small domain classifier (one per data set).

FID's Inception network is trained on ImageNet photos; on 28x28 digits its features say
little. We ship a small CNN per data set and measure in its penultimate (128-d) features:
Fréchet distance ("FD-<classifier>"), KID, precision/recall (Kynkäänniemi 2019) and
density/coverage (Naeem 2020); its predictions give class coverage and label accuracy.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch
from torch import nn

from .errors import GanzooError

CLASSIFIER_DIR = Path(__file__).parent / "weights" / "classifiers"


class Classifier(nn.Module):
    """Small CNN: (B, 1, 28, 28) in [0, 1] -> (B, 128) features and (B, 10) logits."""

    def __init__(self, channels: int = 1, num_classes: int = 10, feature_dim: int = 128):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, 32, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),  # (B, 32, 14, 14)
            nn.Conv2d(32, 64, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),  # (B, 64, 7, 7)
            nn.Flatten(),
            nn.Linear(64 * 7 * 7, feature_dim),
            nn.ReLU(),  # (B, 128)
        )
        self.head = nn.Linear(feature_dim, num_classes)  # (B, 10)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        f = self.body((x - 0.5) / 0.5)
        return f, self.head(f)


def classifier_path(dataset: str) -> Path:
    return CLASSIFIER_DIR / f"{dataset}.safetensors"


def load_classifier(dataset: str) -> Classifier:
    from .folder import load_state_file, load_strict

    path = classifier_path(dataset)
    if not path.is_file():
        raise GanzooError(
            f"no evaluation classifier for {dataset!r} at {path}; "
            f"train one with `python -m training.train_classifier {dataset}`."
        )
    net = Classifier()
    load_strict(net, load_state_file(path), path)
    return net.eval()


def classifier_meta(dataset: str) -> dict:
    p = classifier_path(dataset).with_suffix(".json")
    return json.loads(p.read_text()) if p.exists() else {}


@torch.inference_mode()
def features(net: Classifier, images: torch.Tensor, batch: int = 1000) -> tuple[torch.Tensor, torch.Tensor]:
    """(features float64 (N, 128), predicted class (N,)) for images in [0, 1]."""
    fs, ps = [], []
    for i in range(0, len(images), batch):
        f, logits = net(images[i : i + batch].float().cpu())
        fs.append(f.double())
        ps.append(logits.argmax(1))
    return torch.cat(fs), torch.cat(ps)


def frechet_distance(a: torch.Tensor, b: torch.Tensor) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (float64)."""
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = torch.cov(a.T), torch.cov(b.T)
    # tr sqrt(s1 s2) = sum sqrt(eig(sqrt(s1) s2 sqrt(s1))), a symmetric PSD matrix
    w, v = torch.linalg.eigh(s1)
    r1 = (v * w.clamp_min(0).sqrt()) @ v.T
    m = r1 @ s2 @ r1
    tr_sqrt = torch.linalg.eigvalsh((m + m.T) / 2).clamp_min(0).sqrt().sum()
    return float((mu1 - mu2).square().sum() + s1.trace() + s2.trace() - 2 * tr_sqrt)


def kid(
    a: torch.Tensor, b: torch.Tensor, subsets: int = 50, subset_size: int = 1000, seed: int = 0
) -> tuple[float, float]:
    """Kernel Inception-style distance (unbiased MMD^2, cubic polynomial kernel): (mean, std)."""
    g = torch.Generator().manual_seed(seed)
    d = a.shape[1]
    m = min(subset_size, len(a), len(b))
    vals = []
    for _ in range(subsets):
        x = a[torch.randperm(len(a), generator=g)[:m]]
        y = b[torch.randperm(len(b), generator=g)[:m]]
        kxx = (x @ x.T / d + 1) ** 3
        kyy = (y @ y.T / d + 1) ** 3
        kxy = (x @ y.T / d + 1) ** 3
        mmd = (
            (kxx.sum() - kxx.diag().sum()) / (m * (m - 1))
            + (kyy.sum() - kyy.diag().sum()) / (m * (m - 1))
            - 2 * kxy.mean()
        )
        vals.append(float(mmd))
    t = torch.tensor(vals)
    return float(t.mean()), float(t.std())


def _kth_nn_radius(x: torch.Tensor, k: int) -> torch.Tensor:
    out = []
    for i in range(0, len(x), 2000):
        d = torch.cdist(x[i : i + 2000], x)
        out.append(d.kthvalue(k + 1, dim=1).values)  # +1: the point itself is at distance 0
    return torch.cat(out)


def precision_recall_density_coverage(real: torch.Tensor, fake: torch.Tensor, k: int = 5) -> dict:
    """Precision/recall (Kynkäänniemi 2019) and density/coverage (Naeem 2020) with k-NN balls."""
    real, fake = real.float(), fake.float()
    rr, rf = _kth_nn_radius(real, k), _kth_nn_radius(fake, k)
    precision = density = 0.0
    for i in range(0, len(fake), 2000):
        inside = torch.cdist(fake[i : i + 2000], real) < rr[None, :]  # (b, R): fake inside a real k-NN ball
        precision += float(inside.any(1).sum())
        density += float(inside.sum())
    recall = torch.zeros(len(real), dtype=torch.bool)
    cov = torch.zeros(len(real), dtype=torch.bool)
    for j in range(0, len(real), 2000):
        d = torch.cdist(real[j : j + 2000], fake)  # (b, F)
        recall[j : j + 2000] = (d < rf[None, :]).any(1)  # real inside a fake k-NN ball
        cov[j : j + 2000] = d.min(1).values < rr[j : j + 2000]  # a fake inside the real point's ball
    n = len(fake)
    return {
        "precision": precision / n,
        "recall": float(recall.float().mean()),
        "density": density / (k * n),
        "coverage": float(cov.float().mean()),
    }


def class_stats(pred: torch.Tensor, num_classes: int = 10) -> dict:
    share = torch.bincount(pred, minlength=num_classes).double() / len(pred)
    kl = float((share * (share.clamp_min(1e-12) * num_classes).log()).sum())
    return {
        "class_share": [round(float(s), 4) for s in share],
        "min_class_share": float(share.min()),
        "classes_over_5pct": int((share >= 0.05).sum()),
        "kl_to_uniform": kl,
    }


_REAL_CACHE: dict = {}


def real_features(dataset: str, split: str = "test", root: str | os.PathLike | None = None, n: int | None = None):
    """Classifier features and labels of a real split (cached per process)."""
    from .datasets import load_idx_split

    key = (dataset, split, str(root), n)
    if key not in _REAL_CACHE:
        x, y = load_idx_split(dataset, split, root)
        if n is not None:
            x, y = x[:n], y[:n]
        imgs = torch.from_numpy(x.copy()).float().div(255)[:, None]
        f, pred = features(load_classifier(dataset), imgs)
        _REAL_CACHE[key] = (f, torch.from_numpy(y), imgs)
    return _REAL_CACHE[key]


def compare(
    fake_images: torch.Tensor,
    dataset: str,
    *,
    root=None,
    labels: torch.Tensor | None = None,
    full: bool = True,
    split: str = "test",
    n_real: int | None = None,
) -> dict:
    """Every metric for a set of images in [0, 1] against a real split."""
    net = load_classifier(dataset)
    ff, pred = features(net, fake_images)
    rf, _, _ = real_features(dataset, split, root, n_real)
    out = {fd_key(dataset): frechet_distance(ff, rf)}
    out.update(class_stats(pred))
    if labels is not None:
        out["label_accuracy"] = float((pred == labels.cpu()).double().mean())
    if full:
        out["kid"], out["kid_std"] = kid(ff, rf)
        out.update(precision_recall_density_coverage(rf, ff))
    return out


def nearest_distances(
    x: torch.Tensor, ref: torch.Tensor, batch: int = 500, exclude_self: bool = False
) -> tuple[torch.Tensor, torch.Tensor]:
    """(L2 distance, index) of each image of x to its nearest image of ref, in pixel space ([0, 1] images)."""
    xf, rf = x.flatten(1).float(), ref.flatten(1).float()  # float32 GEMM: a copy still reads ~0.01 against ~4
    r2 = rf.square().sum(1)  # (M,)
    dists, idx = [], []
    for i in range(0, len(xf), batch):
        q = xf[i : i + batch]
        d2 = (q.square().sum(1, keepdim=True) - 2 * q @ rf.T + r2).clamp_min(0)  # (b, M)
        if exclude_self:
            d2[torch.arange(len(q)), torch.arange(i, i + len(q))] = float("inf")
        m, j = d2.min(1)
        dists.append(m.sqrt())
        idx.append(j)
    return torch.cat(dists), torch.cat(idx)


def _train_and_test_distances(dataset: str, root, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(training images (N, 1, 28, 28) in [0, 1], nearest-training-image distance of the first n test images),
    cached per process: every evaluation compares against the same reference."""
    from .datasets import load_idx_split

    key = ("memorisation", dataset, str(root), n)
    if key not in _REAL_CACHE:
        train, _ = load_idx_split(dataset, "train", root)
        train = torch.from_numpy(train.copy()).float().div(255)[:, None]
        _, _, test = real_features(dataset, "test", root)
        _REAL_CACHE[key] = (train, nearest_distances(test[:n], train)[0])
    return _REAL_CACHE[key]


def memorisation(fake_images: torch.Tensor, dataset: str, *, root=None, n: int = 2000) -> dict:
    """Does the model copy its training set? The pixel distance from each of n samples to its nearest training
    image, against the same distance for n real *test* images (which the model never saw). A model that
    generalises puts its samples about as far from the training set as new real images are
    (`nn_ratio` ~ 1); a copier puts them much closer: `copy_share` is the share of samples nearer to a training
    image than 99 % of the test images are (about 0.01 for a model that does not copy, 1.0 for one that does)."""
    train, d_test = _train_and_test_distances(dataset, root, n)
    d_fake, _ = nearest_distances(fake_images[:n].cpu(), train)
    threshold = torch.quantile(d_test, 0.01)
    return {
        "nn_train_median_samples": float(d_fake.median()),
        "nn_train_median_test": float(d_test.median()),
        "nn_ratio": float(d_fake.median() / d_test.median()),
        "copy_share": float((d_fake < threshold).double().mean()),
    }


@torch.no_grad()
def neg_elbo(model, dataset: str, *, root=None, split: str = "test", seed: int = 0, batch: int = 500) -> dict:
    """A VAE's negative ELBO in nats per image on a whole real split (lower is better): the bound on -log p(x)
    the model was trained on, one seeded posterior sample per image. The Bernoulli likelihood of grey levels is a
    cross-entropy, not a density of binarised images: compare it across ganzoo VAEs, not with published
    binarised-MNIST likelihoods."""
    from .datasets import load_idx_split

    images, _ = load_idx_split(dataset, split, root)
    x = torch.from_numpy(images.copy()).float().div(255)[:, None] * 2 - 1  # (N, 1, 28, 28) in [-1, 1]
    noise = torch.Generator().manual_seed(seed)
    g = model.generator
    recon, kl = zip(*(g.neg_elbo_terms(x[i : i + batch], noise) for i in range(0, len(x), batch)))
    recon, kl = torch.cat(recon), torch.cat(kl)
    return {
        "neg_elbo_nats": float((recon + kl).mean()),
        "neg_elbo_recon_nats": float(recon.mean()),
        "neg_elbo_kl_nats": float(kl.mean()),
    }


def fd_key(dataset: str) -> str:
    """The name of the classifier-FD metric of a data set in eval JSONs and cards."""
    return f"fd_{dataset}_classifier"


def eval_latents(n: int, latent_dim: int, num_classes: int, seed: int, batch: int = 500, truncation=None):
    """The one sampling rule of every evaluation (ganzoo eval, Inception, training's checkpoint selection):
    chunks of `batch` standard-normal latents, chunk i seeded with seed * 1_000_003 + i, and balanced
    labels 0, 1, ..., K-1, 0, ... for conditional models. Yields CPU (z, labels or None). `truncation` t (BigGAN's
    trick, `check_eval_truncation`): every entry with |z| > t is redrawn from the chunk's own stream until it lies
    inside (clamped after TRUNCATION_ROUNDS draws, as the portable generator), so t = None is the untruncated rule
    and entries already inside t keep their values."""
    from .runtime import TRUNCATION_ROUNDS

    for i in range(0, n, batch):
        m = min(batch, n - i)
        g = torch.Generator().manual_seed(seed * 1_000_003 + i)
        z = torch.randn(m, latent_dim, generator=g)
        if truncation is not None:
            for _ in range(1, TRUNCATION_ROUNDS):
                bad = z.abs() > truncation
                if not bad.any():
                    break
                z[bad] = torch.randn(int(bad.sum()), generator=g)
            z.clamp_(-truncation, truncation)
        yield z, (torch.arange(m) % num_classes if num_classes else None)


def sample_for_eval(
    model, n: int, seed: int, truncation: float | None = None
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(images in [0, 1] on the CPU, labels or None) of a GANModel under `eval_latents`; `truncation`: a
    style-based generator's psi in W (the same latents, each w pulled toward w_avg), or a BigGAN's z threshold
    (the same latents with the entries beyond it redrawn: `eval_latents`)."""
    t = None if truncation is None else check_eval_truncation(model, truncation)
    kw = {"truncation": t} if t is not None and model.has_w_space else {}
    z_t = t if t is not None and not model.has_w_space else None
    # the chunks and their concatenation, then the features (float64 and float32 copies) the metrics compare
    model.check_memory(2 * n, f"{n} samples to measure", extra=3 * n * 128 * 8)
    imgs, labels = [], []
    for z, y in eval_latents(n, model.latent_dim, model.num_classes, seed, truncation=z_t):
        imgs.append(model.generate(z, y, **kw).cpu())
        if y is not None:
            labels.append(y)
    return torch.cat(imgs), (torch.cat(labels) if labels else None)


def check_eval_truncation(model, truncation) -> float:
    """The truncation an evaluation may measure: a style-based generator's psi in [0, 1] (each sample keeps its
    latent), or the z threshold t > 0 of a family whose card measures BigGAN's trick (TRUNCATION_TRICK: the
    evaluation's latents with the entries beyond t redrawn). Other families' numbers are untruncated."""
    from .registry import TRUNCATION_TRICK
    from .runtime import check_truncation

    if model.has_w_space:
        return model.check_psi(truncation)
    if model.architecture in TRUNCATION_TRICK:
        return check_truncation(truncation)
    raise GanzooError(
        f"an evaluation with truncation measures a style-based generator (stylegan2-*) at psi in W, or a BigGAN "
        f"(biggan-*) at a z threshold; {model.source or model.architecture} ({model.architecture}) has neither: "
        "measure it untruncated"
    )


def evaluate(
    model, *, n: int = 10000, seed: int = 0, root=None, split: str = "test", truncation: float | None = None
) -> dict:
    """Sample n images from a GANModel and measure them; returns metrics plus the protocol. `truncation`: a
    style-based generator's psi in [0, 1] or a BigGAN's z threshold (`check_eval_truncation`; recorded in the
    protocol; zoo numbers are untruncated)."""
    from . import __version__
    from .folder import sha256_file

    dataset = model.config.get("dataset")
    from .registry import DATASETS

    if dataset not in DATASETS or not DATASETS[dataset].zoo:
        raise GanzooError(
            f"classifier metrics exist for mnist and fashion-mnist, not {dataset!r}; "
            "use the Inception path (`ganzoo eval --inception-weights`)."
        )
    if truncation is not None:
        truncation = check_eval_truncation(model, truncation)  # before any sampling or data loading
    fake, labels = sample_for_eval(model, n, seed, truncation)
    metrics = compare(fake, dataset, root=root, labels=labels, split=split)
    metrics.update(memorisation(fake, dataset, root=root, n=min(2000, n)))
    if model.has_encoder:
        metrics.update(neg_elbo(model, dataset, root=root, split=split, seed=seed))
    rf, _, _ = real_features(dataset, split, root)
    meta = classifier_meta(dataset)
    protocol = {
        "n_generated": n,
        "n_real": len(rf),
        "real_split": split,
        "dataset": dataset,
        "seed": seed,
        "feature_network": f"ganzoo {dataset} classifier (penultimate 128-d ReLU features)",
        "feature_network_sha256": sha256_file(classifier_path(dataset)),
        "feature_network_test_accuracy": meta.get("test_accuracy"),
        "labels": "balanced, i % num_classes" if model.conditional else None,
        "kid": "cubic polynomial kernel, 50 subsets of 1000",
        "pr_k": 5,
        "memorisation": "pixel L2 to the nearest of the 60,000 training images, first 2,000 samples against the "
        "first 2,000 test images; copy_share: samples nearer than 99 % of those test images",
        **(
            {
                "neg_elbo": f"whole {split} split, one posterior sample per image (seed {seed}), "
                "Bernoulli likelihood of grey levels in nats per image"
            }
            if model.has_encoder
            else {}
        ),
        **({"truncation": truncation} if truncation is not None else {}),  # absent: untruncated, as before
        "ganzoo_version": __version__,
        "model": model.source,
    }
    return {"metrics": metrics, "protocol": protocol}


def best_assignment(weights: list[list[float]]) -> list[int]:
    """The assignment of each row to a different column with the largest total weight (rows <= columns <= 16), as
    a list of column indices per row. Exact: dynamic programming over the sets of columns used so far (2^columns
    states; a 10x10 table is ~10,000 steps), since scipy's linear_sum_assignment is not a dependency. Ties keep
    the first assignment found."""
    k = len(weights)
    m = len(weights[0]) if k else 0
    if any(len(r) != m for r in weights) or k > m or m > 16:
        raise ValueError(f"best_assignment needs a table of rows <= columns <= 16 of equal length, got {k} rows")
    # best[mask]: the largest total of rows 0..popcount(mask)-1 assigned to the columns in mask; last[mask]: the
    # column the last of those rows took. Every successor of a mask is a larger number, so one pass in order works.
    neg = float("-inf")
    best = [neg] * (1 << m)
    last = [-1] * (1 << m)
    best[0] = 0.0
    for mask in range(1 << m):
        row = mask.bit_count()
        if best[mask] == neg or row == k:
            continue
        for j in range(m):
            if not mask >> j & 1:
                v = best[mask] + weights[row][j]
                if v > best[mask | 1 << j]:
                    best[mask | 1 << j], last[mask | 1 << j] = v, j
    mask = max((s for s in range(1 << m) if s.bit_count() == k), key=best.__getitem__)
    cols = []
    while mask:
        cols.append(last[mask])
        mask ^= 1 << last[mask]
    return cols[::-1]


def class_table(source: torch.Tensor, predicted: torch.Tensor, k: int = 10) -> list[list[int]]:
    """(k, k) counts: row = an image's source class, column = the class predicted for its translation."""
    counts = torch.zeros(k, k, dtype=torch.long)
    counts.index_put_(
        (source.long().cpu(), predicted.long().cpu()), torch.ones(len(predicted), dtype=torch.long), accumulate=True
    )
    return counts.tolist()


def mapping_summary(counts: list[list[int]]) -> dict:
    """What a class-to-class count table (rows: source class, columns: the target class the classifier predicts
    for its translations) says about the mapping a translator learned; source classes with no images are left out
    of the means.

    - target_class, share: each source class's most common target class and its share of that class's
      translations; mapping_share, their mean (issue 38's metric). A collapse (everything to one class) scores 1.0;
    - mapping_classes: how many distinct target classes those most common classes are (10 = one-to-one);
    - one_to_one_class, one_to_one_share, mapping_share_one_to_one: the same shares after giving every source
      class a different target class, the assignment with the largest mean share (best_assignment), so a collapse
      keeps the share of one class only (0.1 + what the others leak into their assigned classes);
    - top_target_share: the share of all translations in the most common target class (0.1 when the target
      classes are used evenly, 1.0 for a collapse)."""
    totals = [sum(r) for r in counts]
    present = [i for i, t in enumerate(totals) if t]
    frac = [[c / t if t else 0.0 for c in r] for r, t in zip(counts, totals)]
    target = [max(range(len(r)), key=r.__getitem__) for r in counts]
    share = [frac[i][j] for i, j in enumerate(target)]
    one = best_assignment(frac)
    one_share = [frac[i][j] for i, j in enumerate(one)]
    column = [sum(c) for c in zip(*counts)]

    def mean(v):
        return sum(v[i] for i in present) / len(present) if present else 0.0

    return {
        "target_class": target,
        "share": share,
        "mapping_share": mean(share),
        "mapping_classes": len({target[i] for i in present}),
        "one_to_one_class": one,
        "one_to_one_share": one_share,
        "mapping_share_one_to_one": mean(one_share),
        "top_target_share": max(column) / sum(column) if sum(column) else 0.0,
    }


def evaluate_translation(model, *, n: int = 10000, root=None, split: str = "test") -> dict:
    """Measure an image-to-image model (a TranslationModel) in both directions on the first n images of each
    domain's `split`; returns metrics, per-direction class tables and the protocol:

    - fd_A_to_B: classifier FD of the translations against the whole `split` of the target domain (B's classifier);
    - cycle_mse_A: mean squared error in [0, 1] of A -> B -> A against the originals;
    - mapping_share_A_to_B: for each source class, the share of its translations that B's classifier puts in that
      class's most common target class (a learned class-to-class mapping), averaged over the source classes (the
      issue's metric; a collapse onto one class scores 1.0, so it is read with the next three);
    - mapping_classes_A_to_B: the number of distinct target classes in that mapping (10 = one-to-one);
    - mapping_share_one_to_one_A_to_B: the mean share when every source class gets a different target class (the
      best such assignment; a collapse scores about 0.1);
    - top_target_share_A_to_B: the share of all translations in the most common target class (0.1 = even).
      tables["A_to_B"] holds the 10x10 counts (rows: source class, columns: predicted target class), each source
      class's target class and share, and its one-to-one class and share (`mapping_summary`)."""
    from . import __version__
    from .datasets import load_idx_split
    from .folder import sha256_file
    from .runtime import check_n

    n = check_n(n)
    metrics: dict = {}
    tables: dict = {}
    used = []  # images translated per domain: n, or fewer where the split holds fewer
    for src in model.domains:
        dst = model.other(src)
        x, labels = load_idx_split(src, split, root)
        x = torch.from_numpy(x[:n].copy()).float().div(255)[:, None].to(model.device)
        used.append(len(x))
        labels = torch.from_numpy(labels[:n])
        y = model.translate(x, to=dst)
        ff, pred = features(load_classifier(dst), y.cpu())
        rf, _, _ = real_features(dst, split, root)
        metrics[f"fd_{src}_to_{dst}"] = frechet_distance(ff, rf)
        back = model.translate(y, to=src)
        metrics[f"cycle_mse_{src}"] = float((back - x).square().mean())
        counts = class_table(labels, pred)
        s = mapping_summary(counts)  # a class absent from the first n images has no mapping to measure
        for k in ("mapping_share", "mapping_classes", "mapping_share_one_to_one", "top_target_share"):
            metrics[f"{k}_{src}_to_{dst}"] = s[k]
        tables[f"{src}_to_{dst}"] = {
            "counts": counts,
            "target_class": s["target_class"],
            "share": [round(v, 4) for v in s["share"]],
            "one_to_one_class": s["one_to_one_class"],
            "one_to_one_share": [round(v, 4) for v in s["one_to_one_share"]],
        }
    protocol = {
        "n_translated": min(used),  # what was measured, not what was asked for
        "source_split": split,
        "real_split": split,
        "domains": list(model.domains),
        "feature_networks": {d: f"ganzoo {d} classifier (penultimate 128-d ReLU features)" for d in model.domains},
        "feature_networks_sha256": {d: sha256_file(classifier_path(d)) for d in model.domains},
        "mapping": "per source class: share of its translations in its most common predicted target class; "
        "averaged over the source classes",
        "mapping_one_to_one": "the same shares with every source class assigned a different target class (the "
        "assignment with the largest mean share); averaged over the source classes",
        "ganzoo_version": __version__,
        "model": model.source,
    }
    return {"metrics": metrics, "tables": tables, "protocol": protocol}
