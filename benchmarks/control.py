"""Controllable generation, measured by held-out judges: steering toward every class and inversion of test images.

    python benchmarks/control.py --seeds 1000 --images 1000 --update-docs       # the issue's protocol, every part
    python benchmarks/control.py --seeds 50 --images 200 --only steer           # a quick look

Steering and inversion follow ganzoo's classifier of the data set; an image that only fools that one network
is no image of the class. So every end point is also read by the held-out judges of training/judges.py
(a small ResNet, an MLP and a LeNet per data set, other architectures, seeds and augmentations, in
benchmarks/judges/), which nothing in ganzoo can load.

The parts (--only, repeatable; default all) are merged into benchmarks/results/control.json, each with
its own date and command:
- steer: the latents of seeds 0..S-1 (sample_latent(S, seed=0)) are steered toward every class; per class:
  the share of end points each judge reads as the target (its top class), the share all judges do, the
  share the steering classifier does, the share steer reports as reached, the mean absolute pixel change
  between start and end image, and the CPU time per steer (process time over the steers, --threads);
- invert: the first N test images; mean squared error of the reconstructions, the share whose label each
  judge keeps (its class for the reconstruction is its class for the original) and every judge keeps, and
  the share the steering classifier gives the true label;
- pictures: benchmarks/results/control-NAME.png (one row per class: end points of seeds 0..7 steered toward
  it), morphs-NAME.png (four morphs, then test images above their reconstructions) and arithmetic-NAME.png
  (the latent arithmetic example of docs/control.md);
- directions: benchmarks/results/sefa-NAME.png (`ganzoo directions NAME -k 5 --seed 0`).
With --update-docs, the <!-- control --> section of docs/control.md is rewritten from control.json.
--latent-seed and --out measure on other latents into another file (development runs, the ablation).
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import ganzoo  # noqa: E402
from ganzoo.control import class_names, classifier_for, ensemble_paths, invert, steer_latents, to_space  # noqa: E402
from ganzoo.cli import output_path  # noqa: E402
from ganzoo.errors import GanzooError  # noqa: E402
from ganzoo.folder import sha256_file  # noqa: E402
from ganzoo.datasets import load_idx_split  # noqa: E402
from training.judges import judge_meta, load_judges, predict  # noqa: E402
from training.runlog import atomic_write_text  # noqa: E402

from bench import cpu_model, default_data_root  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
DOC = ROOT / "docs" / "control.md"  # its <!-- control begin/end --> section holds the results


def steer_defaults() -> dict:
    """steer_latents' default settings: part of a result's protocol, so that pieces measured before a default
    changed are never merged with pieces measured after."""
    params = inspect.signature(steer_latents).parameters.values()
    # not settings but what is steered (space and move_label are part of the protocol where not the default)
    skip = ("labels", "space", "move_label")
    return {p.name: p.default for p in params if p.default is not inspect.Parameter.empty and p.name not in skip}


def steer_stats(
    m,
    seeds: int,
    batch: int,
    *,
    latent_seed: int = 0,
    classes=None,
    seed_range: tuple[int, int] | None = None,
    previous: dict | None = None,
    space: str = "z",
    move_label: bool = False,
    **steer_kw,
) -> dict:
    """Steer sample_latent(seeds, seed=latent_seed) toward each class of `classes` (default: all); what the
    judges read at the end. A long run goes in pieces: `seed_range` (lo, hi) steers only latents lo..hi-1 of them,
    and `previous`, a result of the same protocol (seeds, latent seed, settings, steer_latents' defaults, ensemble
    members, weights version), keeps every (class, seed range) piece it measured that this call does not; a piece
    measured again is replaced. Each class's shares are over the union of its pieces (its `seeds_measured`). `space`
    "w" / "w+" (style-based generators): the same latents' ws are steered in W / W+ (`steer_latents(..., space=...)`).
    `move_label` (conditional models): the label moves to the target (`steer_latents(..., move_label=True)`) and
    the ends are drawn with the target's label."""
    lo, hi = seed_range or (0, seeds)
    if not 0 <= lo < hi <= seeds:
        raise ValueError(f"seed range {lo}:{hi} is not inside 0:{seeds}")
    z = to_space(m, m.sample_latent(seeds, seed=latent_seed)[lo:hi], space)
    # a cGAN holds labels 0, 1, ..., K-1, 0, ... by the latent's index
    y = torch.arange(lo, hi) % m.num_classes if m.conditional else None
    start = m.generate(z, y, space=space)
    net = classifier_for(m)
    judges = load_judges(m.config["dataset"])
    names = class_names(m)
    members = {p.name: sha256_file(p)[:16] for p in ensemble_paths(m.config["dataset"])}
    protocol = {
        "seeds": seeds,
        "latent_seed": latent_seed,
        "steer_kwargs": steer_kw,
        "steer_defaults": steer_defaults(),
        "ensemble_members": members,
        "weights": m.version,  # pieces of other weights (an older version) are not merged
        **({"space": space} if space != "z" else {}),  # z results of before the option stay mergeable
        **({"move_label": True} if move_label else {}),  # likewise
    }
    same = previous is not None and all(previous.get(k) == v for k, v in protocol.items())
    pieces = {name: dict(v["pieces"]) for name, v in previous["per_class"].items()} if same else {}
    key, measured = f"{lo}:{hi}", []
    for c, name in enumerate(names):
        if classes is not None and c not in classes and name not in classes:
            continue
        ends, reached, cpu = [], [], 0.0
        for i in range(0, hi - lo, batch):
            t = time.process_time()
            end, done = steer_latents(
                m,
                z[i : i + batch],
                c,
                labels=None if y is None else y[i : i + batch],
                space=space,
                move_label=move_label,
                **steer_kw,
            )
            cpu += time.process_time() - t
            ends.append(end)
            reached.append(done)
        img = m.generate(torch.cat(ends), torch.full_like(y, c) if move_label else y, space=space)
        with torch.no_grad():
            own = torch.cat([net(img[i : i + 500])[1].argmax(1) for i in range(0, len(img), 500)]).cpu()
        reads = {j: predict(judge, img) == c for j, judge in judges.items()}
        measured.append(name)
        pieces.setdefault(name, {})[key] = {  # counts, so that pieces add up
            "n": hi - lo,
            "judges": {j: int(r.sum()) for j, r in reads.items()},
            "all_judges": int(torch.stack(list(reads.values())).all(0).sum()),
            "steering_classifier": int((own == c).sum()),
            "reached": int(torch.cat(reached).sum()),
            "abs_pixel_change_sum": float((img - start).abs().flatten(1).mean(1).sum()),
            "cpu_s": round(cpu, 3),
        }
    per_class = {name: class_shares(pieces[name]) for name in names if name in pieces}  # class order
    kept = sum(len(v) for v in pieces.values()) - len(measured)
    return {**protocol, "per_class": per_class, "pieces_kept": kept, **summary(per_class, len(names))}


def class_shares(pieces: dict) -> dict:
    """One class's shares over its pieces (each a seed range "lo:hi" with counts); overlapping ranges are refused."""
    spans = sorted(tuple(map(int, k.split(":"))) for k in pieces)
    if any(a[1] > b[0] for a, b in zip(spans, spans[1:])):
        raise ValueError(f"overlapping seed ranges {sorted(pieces)}: measure pieces that do not overlap")
    n = sum(p["n"] for p in pieces.values())
    total = lambda key: sum(p[key] for p in pieces.values())  # noqa: E731
    return {
        "seeds_measured": n,
        "judges": {j: sum(p["judges"][j] for p in pieces.values()) / n for j in next(iter(pieces.values()))["judges"]},
        "all_judges": total("all_judges") / n,
        "steering_classifier": total("steering_classifier") / n,
        "reached": total("reached") / n,
        "mean_abs_pixel_change": total("abs_pixel_change_sum") / n,
        "cpu_ms_per_steer": round(1e3 * total("cpu_s") / n, 1),
        "pieces": pieces,
    }


def summary(per_class: dict, num_classes: int) -> dict:
    """The worst class per judge, the mean pixel change and CPU time over the classes measured."""
    worst = {j: min(v["judges"][j] for v in per_class.values()) for j in next(iter(per_class.values()))["judges"]}
    mean = lambda key: sum(v[key] for v in per_class.values()) / len(per_class)  # noqa: E731
    return {
        "classes_measured": f"{len(per_class)} of {num_classes}",
        "seeds_measured": min(v.get("seeds_measured", 0) for v in per_class.values()),  # in the class with fewest
        "worst_class": {
            "judges": worst,
            "worst_judge": min(worst.values()),
            "all_judges": min(v["all_judges"] for v in per_class.values()),
            "steering_classifier": min(v["steering_classifier"] for v in per_class.values()),
        },
        "mean_abs_pixel_change": mean("mean_abs_pixel_change"),
        "cpu_ms_per_steer": round(mean("cpu_ms_per_steer"), 1),
    }


def real_images(dataset: str, data_root, split: str = "test", first: int = 0, n: int | None = None):
    """Images first..first+n-1 of a data set's split (all from `first` when n is None) as (N, 1, H, W) floats in
    [0, 1], and their labels (N,) long: what the judges, the stability check and inversion read."""
    x, y = load_idx_split(dataset, split, data_root)
    end = len(x) if n is None else first + n
    return torch.from_numpy(x[first:end].copy()).float().div(255)[:, None], torch.from_numpy(y[first:end]).long()


def judge_reference(dataset: str, data_root) -> dict:
    """Each judge's accuracy on the real test images, overall and per class: how well a judge can read the
    class at all (a ceiling for what it can agree with on generated images)."""
    x, y = real_images(dataset, data_root)
    out = {}
    for j, judge in load_judges(dataset).items():
        ok = predict(judge, x) == y
        per = [float(ok[y == c].float().mean()) for c in range(10)]
        out[j] = {"test_accuracy": float(ok.float().mean()), "worst_class_accuracy": min(per), "per_class": per}
    return out


# changes to a real image that a person would not notice, and that keep its class: (name, view of VIEWS' form, or
# None for the blur: half the image, half its 3x3 binomial blur)
STABILITY_CHANGES = (
    ("1-pixel shift right", (0, 1, 1.0, 0)),
    ("1-pixel shift down", (0, 1, 0, 1.0)),
    ("4-degree rotation", (4, 1, 0, 0)),
    ("5 % zoom", (0, 1.05, 0, 0)),
    ("half 3x3 blur", None),
)


def stability_views(x: torch.Tensor) -> dict[str, torch.Tensor]:
    """Images x (N, 1, H, W) in [0, 1] under each of STABILITY_CHANGES, by name."""
    import torch.nn.functional as F

    from ganzoo.control import view_images

    k = torch.tensor([1.0, 2.0, 1.0])
    kernel = (k[:, None] * k[None] / 16)[None, None]  # (1, 1, 3, 3) binomial
    blur = F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), kernel)
    return {name: 0.5 * x + 0.5 * blur if view is None else view_images(x, [view]) for name, view in STABILITY_CHANGES}


def judge_stability(dataset: str, data_root: str | Path, images: int = 1000) -> dict:
    """How often every judge keeps its label of a real test image (the first `images`) under each of
    STABILITY_CHANGES, with each change's mean squared error, and how often the judges agree with each other on the
    originals: how stable the judges' labels are under changes that keep the image the same to a person."""
    x, _ = real_images(dataset, data_root, n=images)
    judges = load_judges(dataset)
    base = [predict(judge, x) for judge in judges.values()]
    out = {"images": images, "judges_agree": float(torch.stack([b == base[0] for b in base]).all(0).float().mean())}
    for name, xc in stability_views(x).items():
        kept = torch.stack([predict(judge, xc) == b for judge, b in zip(judges.values(), base)])
        out[name] = {"mse": float((xc - x).square().mean()), "all_judges_keep": float(kept.all(0).float().mean())}
    return out


def invert_stats(
    m,
    images: int,
    batch: int,
    data_root,
    *,
    first: int = 0,
    previous: dict | None = None,
    split: str = "test",
    space: str = "z",
    **invert_kw,
) -> dict:
    """Invert test images first..first+images-1 (`split` "train": training images, for development); what the
    judges read on the reconstructions. `previous`, a result of the same settings (invert's keyword arguments and
    defaults, weights version), keeps the image ranges it measured that this call does not (a range measured again
    is replaced): a long run goes in pieces; the shares are over them all. `space` "w" / "w+" (style-based
    generators): projected into W / W+ (`invert(..., space=...)`), part of the protocol, so pieces of another space
    are not merged."""
    x, y = real_images(m.config["dataset"], data_root, split, first, images)
    if len(x) < images:
        raise ValueError(f"the {split} split has no images {first}..{first + images - 1}")
    net = classifier_for(m)
    judges = load_judges(m.config["dataset"])
    if space != "z":  # only where not the default, so that z results of before the option stay mergeable
        invert_kw = {**invert_kw, "space": space}
    params = inspect.signature(invert).parameters.values()
    protocol = {
        "weights": m.version,  # pieces of other weights (an older version) are not merged
        "invert_kwargs": invert_kw,
        "invert_defaults": {p.name: p.default for p in params if p.default is not inspect.Parameter.empty},
    }
    same = previous is not None and all(previous.get(k) == v for k, v in protocol.items()) and "pieces" in previous
    pieces = dict(previous["pieces"]) if same else {}
    zs, mses, cpu = [], [], 0.0
    for i in range(0, images, batch):
        t = time.process_time()
        z, mse = invert(m, x[i : i + batch], labels=y[i : i + batch] if m.conditional else None, **invert_kw)
        cpu += time.process_time() - t
        zs.append(z)
        mses.append(mse)
    recon = m.generate(torch.cat(zs), y if m.conditional else None, space=space).cpu()
    with torch.no_grad():
        own = torch.cat([net(recon[i : i + 500])[1].argmax(1) for i in range(0, images, 500)])
    kept = {j: predict(judge, recon) == predict(judge, x) for j, judge in judges.items()}
    pieces[f"{first}:{first + images}"] = {  # counts, so that pieces add up
        "n": images,
        "mse_sum": float(torch.cat(mses).sum()),
        "judges_keep": {j: int(k.sum()) for j, k in kept.items()},
        "all_judges_keep": int(torch.stack(list(kept.values())).all(0).sum()),
        "judges_true_label": {j: int((predict(judge, recon) == y).sum()) for j, judge in judges.items()},
        "steering_classifier_true_label": int((own == y).sum()),
        "cpu_s": round(cpu, 3),
    }
    spans = sorted(tuple(map(int, k.split(":"))) for k in pieces)
    if any(a[1] > b[0] for a, b in zip(spans, spans[1:])):
        raise ValueError(f"overlapping image ranges {sorted(pieces)}: measure pieces that do not overlap")
    n = sum(p["n"] for p in pieces.values())
    total = lambda key: sum(p[key] for p in pieces.values())  # noqa: E731
    per_judge = lambda key: {j: sum(p[key][j] for p in pieces.values()) / n for j in judges}  # noqa: E731
    contiguous = all(a[1] == b[0] for a, b in zip(spans, spans[1:]))
    return {
        "images": n,
        "first": spans[0][0],
        "ranges": "contiguous" if contiguous else ", ".join(f"{a}:{b}" for a, b in spans),
        "mse": total("mse_sum") / n,
        "judges_keep": per_judge("judges_keep"),
        "all_judges_keep": total("all_judges_keep") / n,
        "judges_true_label": per_judge("judges_true_label"),
        "steering_classifier_true_label": total("steering_classifier_true_label") / n,
        **protocol,
        "cpu_ms_per_image": round(1e3 * total("cpu_s") / n, 1),
        "pieces": pieces,
    }


def weights_note(name: str, parts: dict) -> str:
    """Which weights an entry's parts were measured on ("" if none is), and which parts measured weights that are
    no longer the bundled version (a part that recorded no version is not called stale: its version is unknown)."""
    from ganzoo.registry import ZOO

    used = {k.replace("_", " "): v.get("weights") for k, v in parts.items() if isinstance(v, dict)}
    if not used:
        return ""
    label = lambda v: v or "version not recorded"  # noqa: E731
    if len(set(used.values())) == 1:
        note = f"weights {label(next(iter(used.values())))}"
    else:
        note = "weights: " + ", ".join(f"{k} {label(v)}" for k, v in used.items())
    bundled = ZOO[name].version if name in ZOO else None
    stale = [f"{k} ({v})" for k, v in used.items() if v and bundled and v != bundled]
    if stale:
        note += f"; the bundled version is {bundled}: {', '.join(stale)} measured on weights no longer bundled"
    return note


def end_points_picture(m, path: Path) -> None:
    """One row per class: the end points of seeds 0..7 (sample_latent(8, seed=0)) steered toward it."""
    z = m.sample_latent(8, seed=0)
    y = torch.arange(8) % m.num_classes if m.conditional else None
    rows = [m.generate(z, y)]
    for c in range(len(class_names(m))):
        rows.append(m.generate(steer_latents(m, z, c, labels=y)[0], y))
    m.save_grid(torch.cat(rows), path, nrow=8)


def morphs_picture(m, path: Path, data_root) -> None:
    rows = []
    for seed, c in ((0, 7), (1, 3), (2, 1), (3, 8)):
        y = [seed % m.num_classes] if m.conditional else None
        rows.append(m.generate(m.steer(m.sample_latent(1, seed=seed)[0], c, steps=8, labels=y), y * 8 if y else None))
    real, labels = real_images(m.config["dataset"], data_root, n=8)
    y = labels if m.conditional else None
    rows += [real, m.generate(m.invert(real, labels=y), y)]
    m.save_grid(torch.cat(rows), path, nrow=8)


def arithmetic_picture(m, path: Path) -> None:
    """The example of docs/control.md, as written there: eight samples steered to class 1 (top), then + d[7] - d[1]."""
    d = m.class_directions(n=2000)  # (10, latent_dim)
    ones = torch.stack([m.steer(z, 1)[-1] for z in m.sample_latent(8, seed=0)])
    m.save_grid(torch.cat([m.generate(ones), m.generate(ones + d[7] - d[1])]), path, nrow=8)


def sefa_picture(m, path: Path) -> None:
    """`ganzoo directions NAME -k 5 --seed 0`: rows are the first five SeFa directions, z - 3d .. z + 3d."""
    from ganzoo.cli import main as cli

    labels = ["--labels", "0"] if m.conditional else []
    if cli(["directions", m.source, "-k", "5", "--seed", "0", *labels, "-o", str(path)]) != 0:
        raise RuntimeError(f"ganzoo directions {m.source} failed")


def pct(v: float) -> str:
    return f"{v:.1%}"


def markdown(res: dict) -> str:
    lines = [
        f"On {res['cpu']}, torch {res['torch']}; each part's date and command are in "
        "`benchmarks/results/control.json`. Held-out judges (classifiers in `benchmarks/judges/` that steering "
        "and inversion never consult), their accuracy on the real test images, overall / in their worst class: "
        + "; ".join(
            f"{ds}: "
            + ", ".join(
                f"{j} {pct(v['test_accuracy'])} / {pct(v['worst_class_accuracy'])}" for j, v in d["judges"].items()
            )
            for ds, d in res["judges"].items()
        )
        + ". Per class (a ceiling for how often a judge can agree with any image of the class):",
        "",
    ]
    for ds, d in res["judges"].items():
        from ganzoo.registry import DATASETS

        lines.append(f"| {ds} | " + " | ".join(DATASETS[ds].class_names) + " |")
        lines.append("|---|" + "---|" * len(DATASETS[ds].class_names))
        lines += [f"| judge {j} | " + " | ".join(map(pct, v["per_class"])) + " |" for j, v in d["judges"].items()]
        lines.append("")
        st = d.get("stability")
        if st:
            lines += [
                f"The judges agree with each other on {pct(st['judges_agree'])} of the first {st['images']:,} real "
                "test images. How often every judge keeps its label of a real test image under a change a person "
                "would not notice (mean squared error of the change in brackets): "
                + ", ".join(f"{c} {pct(st[c]['all_judges_keep'])} ({st[c]['mse']:.4f})" for c, _ in STABILITY_CHANGES)
                + ". Most of these changes are larger in pixels than an inversion's error; the half blur is about "
                "as large as a close one's.",
                "",
            ]
    for name, r in res["entries"].items():
        inv = r.get("invert")
        note = weights_note(name, r)
        lines += [f"**{name}**" + (f" ({note})" if note else ""), ""]
        for key in ("steer", "steer_move_label"):
            if not r.get(key):
                continue
            s = r[key]
            w = s["worst_class"]
            n = s.get("seeds_measured", s["seeds"])
            runs = s.get("runs", s.get("pieces", []))
            in_w = f" mapped into {s['space'].upper()}, steered there" if s.get("space", "z") != "z" else ""
            how = ""
            if key == "steer_move_label":
                how = (
                    "With the label moved (`--move-label`: the label input goes from the held label to the target, "
                    "z is steered under the target's label only as far as the criterion still needs). "
                )
            elif name.startswith(("cgan", "biggan")):
                how = "With the label held (seed i keeps label i mod 10; z alone must change the class). "
            lines += [
                how
                + (
                    f"Steering {s['seeds']} seeds (`sample_latent({s['seeds']}, seed=0)`{in_w}) toward each class"
                    if n == s["seeds"]
                    else f"Steering {n} of the protocol's {s['seeds']} seeds "
                    f"(`sample_latent({s['seeds']}, seed=0)`{in_w}, "
                    f"in the class with fewest measured) toward each class"
                )
                + (
                    ""
                    if s["classes_measured"].split()[0] == s["classes_measured"].split()[-1]
                    else f" ({s['classes_measured']} classes measured)"
                )
                + ": in the "
                f"worst class, {pct(w['worst_judge'])} of end points are read as the target by the strictest "
                f"judge (" + ", ".join(f"{j} {pct(v)}" for j, v in w["judges"].items()) + f"), "
                f"{pct(w['all_judges'])} by every judge at once, {pct(w['steering_classifier'])} by the steering "
                f"classifier. Mean absolute pixel change {s['mean_abs_pixel_change']:.3f}; "
                f"{s['cpu_ms_per_steer']:.0f} ms of CPU time per steer ({s['threads']} thread, "
                f"{min(s['batch'], s['seeds'])} latents per call); `{s['command']}`"
                + (f" (the last of {len(runs)} runs, one per piece)" if len(runs) > 1 else "")
                + f", {s['date']}.",
                "",
            ]
            judges = list(w["judges"])
            lines.append("| target class | " + " | ".join(s["per_class"]) + " |")
            lines.append("|---|" + "---|" * len(s["per_class"]))
            for j in judges:
                lines.append(
                    f"| judge {j} | " + " | ".join(pct(v["judges"][j]) for v in s["per_class"].values()) + " |"
                )
            for key, label in (
                ("all_judges", "every judge"),
                ("steering_classifier", "steering classifier"),
                ("mean_abs_pixel_change", "mean abs. pixel change"),
            ):
                fmt = (lambda v: f"{v:.3f}") if key == "mean_abs_pixel_change" else pct
                lines.append(f"| {label} | " + " | ".join(fmt(v[key]) for v in s["per_class"].values()) + " |")
            lines.append("")
        if inv:
            into = inv["invert_kwargs"].get("space", "z")
            lines += [
                (
                    f"Inverting the first {inv['images']} test images"
                    if inv.get("ranges", "contiguous") == "contiguous" and inv["first"] == 0
                    else f"Inverting {inv['images']} test images ({inv.get('ranges') or inv['first']})"
                )
                + (f" (projected into {into.upper()})" if into != "z" else "")
                + f": mean squared error {inv['mse']:.4f}; every "
                f"judge keeps its label of the original for {pct(inv['all_judges_keep'])} ("
                + ", ".join(f"{j} {pct(v)}" for j, v in inv["judges_keep"].items())
                + f"); the steering classifier gives the reconstruction the true label for "
                f"{pct(inv['steering_classifier_true_label'])}. {inv['cpu_ms_per_image']:.0f} ms of CPU time per "
                f"image; `{inv['command']}`"
                + (f" (the last of {len(inv['runs'])} runs, one per piece)" if len(inv.get("runs", [])) > 1 else "")
                + f", {inv['date']}.",
                "",
            ]
        for stem, alt in (
            ("control", "one row per class: seeds 0..7 (top row) steered toward it"),
            ("morphs", "morphs of seeds 0-3 toward classes 7, 3, 1, 8; then test images above their reconstructions"),
            ("sefa", "`ganzoo directions` -k 5 --seed 0: SeFa directions (rows), z - 3d .. z + 3d"),
        ):
            if (RESULTS / f"{stem}-{name}.png").exists():
                lines += [f"![{name}: {alt}]({os.path.relpath(RESULTS / f'{stem}-{name}.png', DOC.parent)})", ""]
    return "\n".join(lines)


PARTS = ("steer", "invert", "pictures", "directions")
# the entries: the two DCGANs, and the conditional ones (steered and inverted with their labels held, or
# steered with the label moved: --move-label)
ENTRIES = [
    "dcgan-mnist",
    "dcgan-fashion-mnist",
    "cgan-mnist",
    "cgan-fashion-mnist",
    "biggan-mnist",
    "biggan-fashion-mnist",
]


def span(text: str) -> tuple[int, int]:
    """ "LO:HI" -> (LO, HI), 0 <= LO < HI (argparse's type for --seed-range and --image-range)."""
    lo, sep, hi = text.partition(":")
    if not sep or not lo.isdigit() or not hi.isdigit() or int(lo) >= int(hi):
        raise argparse.ArgumentTypeError(f"expected LO:HI with 0 <= LO < HI (e.g. 0:250), got {text!r}")
    return int(lo), int(hi)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--entries", nargs="+", default=ENTRIES)
    p.add_argument("--only", choices=PARTS, action="append", help="run only these parts (repeatable)")
    p.add_argument("--seeds", type=int, default=1000)
    p.add_argument(
        "--classes",
        type=lambda t: [int(c) for c in t.split(",")],
        help="steer toward these classes only, e.g. 0,1,2 (the others are kept from a previous run of the same "
        "protocol in the results file): a long run in pieces",
    )
    p.add_argument(
        "--seed-range",
        type=span,
        help="steer only latents LO..HI-1 of the --seeds (e.g. 0:250); the other ranges are kept from a previous run "
        "of the same protocol: a long run in pieces",
    )
    p.add_argument("--latent-seed", type=int, default=0, help="steer sample_latent(seeds, seed=this) (default 0)")
    p.add_argument(
        "--space",
        choices=["z", "w", "w+"],
        default="z",
        help="steer / invert in this space (w, w+: style-based entries; steering moves the seeds' ws, inversion "
        "projects into it; with --only steer and/or --only invert)",
    )
    p.add_argument(
        "--move-label",
        action="store_true",
        help="conditional entries: move the label to the target class instead of holding it (steer_latents' "
        "move_label; stored apart from the label-held results)",
    )
    p.add_argument("--images", type=int, default=1000)
    p.add_argument(
        "--image-range",
        type=span,
        help="invert only test images LO..HI-1 (e.g. 0:200); the other ranges are kept from a previous run with the "
        "same settings (default: 0..--images-1)",
    )
    p.add_argument("--batch", type=int, default=250)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument(
        "--data-root", default=default_data_root(), help="test images for inversion (default $GANZOO_DATA, else ./data)"
    )
    p.add_argument("--out", default=str(RESULTS / "control.json"))
    p.add_argument(
        "--update-docs",
        "--update-readme",
        dest="update_docs",
        action="store_true",
        help="rewrite the <!-- control --> section of docs/control.md (--update-readme: its old name)",
    )
    a = p.parse_args(argv)
    for flag in ("seeds", "images", "batch", "threads"):
        if getattr(a, flag) < 1:
            p.error(f"--{flag.replace('_', '-')} must be >= 1")
    if a.seed_range and a.seed_range[1] > a.seeds:
        p.error(f"--seed-range {a.seed_range[0]}:{a.seed_range[1]} must lie inside 0:{a.seeds} (--seeds)")
    if a.image_range and a.image_range[1] > 10_000:
        p.error("--image-range must lie inside the 10,000 test images (0:10000)")
    parts = a.only or list(PARTS)
    if a.space != "z" and not set(parts) <= {"steer", "invert"}:
        p.error(f"--space {a.space} measures steering and inversion only: add --only steer and/or --only invert")
    if a.move_label and parts != ["steer"]:
        p.error("--move-label measures steering only: add --only steer")
    models = {}
    for name in a.entries:  # every entry checked before anything is measured: a late bad one loses no work
        try:
            models[name] = ganzoo.load(name)
            if a.space != "z":
                models[name].check_space(a.space)
        except GanzooError as e:
            p.error(f"--entries {name}: {e}")
    torch.set_num_threads(a.threads)
    RESULTS.mkdir(parents=True, exist_ok=True)
    try:  # a .json file in a writable folder, never a device or a folder (the results merge into it)
        path = output_path(a.out, (".json",), "the results", flag="--out")
    except GanzooError as e:
        p.error(str(e))
    res = json.loads(path.read_text()) if path.exists() else {"entries": {}}
    res.update(cpu=cpu_model(), torch=torch.__version__)
    judges = res.setdefault("judges", {})
    stamp = {
        "date": time.strftime("%Y-%m-%d"),
        "threads": a.threads,
        "batch": a.batch,
        "command": "python benchmarks/control.py " + " ".join(argv if argv is not None else sys.argv[1:]),
    }

    def save() -> None:  # after every part, so a late failure keeps what was measured
        atomic_write_text(path, json.dumps(res, indent=2) + "\n")

    for name, m in models.items():
        if a.move_label and not m.conditional:  # the default entries start with the DCGANs
            print(f"{name}: skipped (unconditional: --move-label measures conditional entries only)", flush=True)
            continue
        r = res["entries"].setdefault(name, {})
        ds = m.config["dataset"]
        if not isinstance(judges.get(ds), dict) or "command" not in judges[ds]:  # each judge read on real images
            judges[ds] = {
                "judges": judge_reference(ds, a.data_root),
                "trained_by": {j: judge_meta(ds, j)["command"] for j in load_judges(ds)},
                "command": stamp["command"],
            }
        if "stability" not in judges[ds]:  # every judge's label of a real image under unnoticeable changes
            judges[ds]["stability"] = {
                **judge_stability(ds, a.data_root),
                "date": stamp["date"],
                "command": stamp["command"],
            }
        if "steer" in parts:
            key = "steer_move_label" if a.move_label else "steer"
            prev = r.get(key)
            kw = dict(
                latent_seed=a.latent_seed, classes=a.classes, seed_range=a.seed_range, previous=prev, space=a.space
            )
            stats = steer_stats(m, a.seeds, a.batch, move_label=a.move_label, **kw)
            runs = prev.get("runs", []) if stats["pieces_kept"] else []  # the runs whose pieces it merges
            r[key] = {**stats, **stamp, "runs": [*runs, stamp["command"]]}
            save()
            print(json.dumps({name: r[key]["worst_class"]}), flush=True)
        if "invert" in parts:
            lo, hi = a.image_range or (0, a.images)
            prev = r.get("invert")
            stats = invert_stats(m, hi - lo, a.batch, a.data_root, first=lo, previous=prev, space=a.space)
            runs = prev.get("runs", []) if len(stats["pieces"]) > 1 else []
            r["invert"] = {**stats, **stamp, "runs": [*runs, stamp["command"]]}
            save()
            print(json.dumps({name: {k: v for k, v in r["invert"].items() if k not in ("command", "pieces")}}))
        if "pictures" in parts:
            end_points_picture(m, RESULTS / f"control-{name}.png")
            morphs_picture(m, RESULTS / f"morphs-{name}.png", a.data_root)
            if not m.conditional:
                arithmetic_picture(m, RESULTS / f"arithmetic-{name}.png")
        if "directions" in parts:
            sefa_picture(m, RESULTS / f"sefa-{name}.png")
    text = markdown(res)
    print(text)
    if a.update_docs:
        from training.markers import replace_section

        replace_section(DOC, "control", text)


if __name__ == "__main__":
    main()
