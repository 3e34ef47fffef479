"""The ablation: variants of steer_latents' and invert's settings, measured by the held-out judges on development
latents (sample_latent(S, seed=1)) and test images (5000..5000+N-1), not the seeds 0..999 and test images 0..999
of benchmarks/control.py's report.

    python benchmarks/control_ablation.py --variant before --variant views --seeds 100
    python benchmarks/control_ablation.py --invert-variant before --images 200
    python benchmarks/control_ablation.py --invert-variant select-only --split train --first 0 --images 100

Inversion variants are chosen on training images (--split train, stored as "invert-train:VARIANT"); the older
ones were measured on test images 5000.. (stored as "invert:VARIANT").

Each variant's numbers go into benchmarks/results/control-ablation.json under its name (with the date, the
command and the settings); docs/control.md's ablation table is copied from there.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

import ganzoo  # noqa: E402
from ganzoo.cli import output_path  # noqa: E402
from ganzoo.errors import GanzooError  # noqa: E402
from control import RESULTS, default_data_root, invert_stats, steer_stats  # noqa: E402
from training.runlog import atomic_write_text  # noqa: E402

NEAREST = dict(restart="nearest", anchor_mix=0.5)  # the restarts before class centres: halfway to an anchor
# every variant measured before the default became 50 steps keeps its 200 (or says otherwise)
VARIANTS = {
    # the steer of ganzoo 0.x: one classifier, one view, p >= 0.9
    "before": dict(views=False, ensemble=False, confidence=0.9, worst_weight=0.0, iters=200, **NEAREST),
    "views": dict(views=True, ensemble=False, confidence=0.9, worst_weight=0.0, iters=200, **NEAREST),
    "ensemble": dict(views=False, ensemble=True, confidence=0.9, worst_weight=0.0, iters=200, **NEAREST),
    "views+ensemble": dict(views=True, ensemble=True, confidence=0.9, worst_weight=0.0, iters=200, **NEAREST),
    "views+ensemble-p0.99": dict(views=True, ensemble=True, confidence=0.99, worst_weight=0.0, iters=200, **NEAREST),
    "views+ensemble-p0.97": dict(views=True, ensemble=True, confidence=0.97, worst_weight=0.0, iters=200, **NEAREST),
    "views+ensemble-p0.99-iters400": dict(confidence=0.99, iters=400, worst_weight=0.0, **NEAREST),
    "views+ensemble-p0.99-worst": dict(confidence=0.99, worst_weight=1.0, iters=200, **NEAREST),
    "views+ensemble-p0.999": dict(confidence=0.999, worst_weight=0.0, iters=200, **NEAREST),
    # restarts toward the class centre (the mean latent of the 32 of 2,000 seeded samples most typical of the class)
    "centre-0.7": dict(iters=200),  # the default until the 1,000-seed protocol needed a cheaper steer
    "centre-0.85": dict(anchor_mix=0.85, iters=200),
    "centre-0.5": dict(anchor_mix=0.5, iters=200),
    # the restart after fewer steps (the penalties fade over them too)
    "iters100": dict(iters=100),
    "iters50": dict(iters=50),  # the default now
}
INVERT_VARIANTS = {
    # before the label gap (the KL divergence from the steering classifiers' class probabilities of the original to
    # the reconstruction's): pixels + 0.1 classifier features, from the best of 8 / 32 seeded starts in pixels
    "before": dict(steps=300, starts=8, select_weight=0.0),
    "steps1000": dict(steps=1000, starts=8, select_weight=0.0),
    "starts32": dict(steps=300, starts=32, select_weight=0.0),
    "steps1000-starts32": dict(steps=1000, starts=32, select_weight=0.0),
    "pixels-only": dict(feature_weight=0.0, select_weight=0.0),
    "features0.3": dict(feature_weight=0.3, select_weight=0.0),
    "starts256": dict(starts=256, select_weight=0.0),
    "lr0.1": dict(lr=0.1, select_weight=0.0),
    # the label gap in the descent's loss (every steering classifier, one view per step)
    "label0.01": dict(label_weight=0.01, select_weight=0.0),
    "label0.1": dict(label_weight=0.1, select_weight=0.0),
    # ... and in the choice of the start
    "label0.1-select": dict(label_weight=0.1, select_weight=0.1),
    "label0.1-select-own": dict(label_weight=0.1, select_weight=0.1, ensemble=False, label_views=False),
    "label0.1-select-steps450": dict(label_weight=0.1, select_weight=0.1, steps=450),
    "select-only": dict(select_weight=0.1),  # the default now
    "select1": dict(select_weight=1.0),
    # style-based entries, projected into W+ (the protocol of their report): the label gap in the descent's loss
    "wplus": dict(space="w+"),
    "wplus-label0.1": dict(space="w+", label_weight=0.1),
    "wplus-label1": dict(space="w+", label_weight=1.0),
    "wplus-steps3000": dict(space="w+", steps=3000),
}


def table(res: dict, classes: list[str] | None = None) -> str:
    """Markdown: per variant and entry, the worst class (among `classes`, default every class measured) for each
    judge, every judge at once and the steering classifier, the pixel change and CPU time per steer."""
    lines = [
        "| variant | entry | seeds x classes | resnet | mlp | lenet | every judge | steering | pixel change | ms/steer"
        " |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for variant, entries in res.items():
        for name, s in entries.items():
            if "per_class" not in s:
                continue
            per = {c: v for c, v in s["per_class"].items() if classes is None or c in classes}
            if not per:
                continue
            worst = lambda key: min(v[key] for v in per.values())  # noqa: E731
            judges = " | ".join(f"{min(v['judges'][j] for v in per.values()):.0%}" for j in ("resnet", "mlp", "lenet"))
            change = sum(v["mean_abs_pixel_change"] for v in per.values()) / len(per)
            lines.append(
                f"| {variant} | {name} | {s['seeds']} x {len(per)} | {judges} | {worst('all_judges'):.0%} | "
                f"{worst('steering_classifier'):.0%} | {change:.3f} | {s['cpu_ms_per_steer']:.0f} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--variant", action="append", choices=VARIANTS, default=[])
    p.add_argument("--invert-variant", action="append", choices=INVERT_VARIANTS, default=[])
    p.add_argument("--images", type=int, default=200)
    p.add_argument(
        "--split",
        choices=["test", "train"],
        default="test",
        help="invert images of this split (train: development, choosing a method without the test images)",
    )
    p.add_argument(
        "--first",
        type=int,
        help="invert images FIRST..FIRST+--images-1 (default 5000 of test, 0 of train); the variant's other ranges "
        "are kept",
    )
    p.add_argument("--entries", nargs="+", default=["dcgan-mnist", "dcgan-fashion-mnist"])
    p.add_argument("--seeds", type=int, default=100)
    p.add_argument(
        "--classes",
        type=lambda t: [int(c) for c in t.split(",")],
        help="only these target classes, e.g. 2,3,6 (kept beside the others a previous run of the variant measured)",
    )
    p.add_argument("--batch", type=int, default=100)
    p.add_argument("--out", default=str(RESULTS / "control-ablation.json"))
    p.add_argument("--table", action="store_true", help="print the markdown tables of docs/control.md and exit")
    a = p.parse_args(argv)
    if a.table:
        res = json.loads(Path(a.out).read_text())
        print(table(res))
        print()
        print(table(res, ["Pullover", "Dress", "Shirt"]))
        return
    torch.set_num_threads(1)
    try:  # a .json file in a writable folder, never a device or a folder (the results merge into it)
        path = output_path(a.out, (".json",), "the results", flag="--out")
    except GanzooError as e:
        p.error(str(e))
    command = "python benchmarks/control_ablation.py " + " ".join(argv if argv is not None else sys.argv[1:])
    for variant in a.variant:
        for name in a.entries:
            res = json.loads(path.read_text()) if path.exists() else {}
            prev = res.get(variant, {}).get(name)
            s = steer_stats(
                ganzoo.load(name),
                a.seeds,
                a.batch,
                latent_seed=1,
                classes=a.classes,
                previous=prev,
                **VARIANTS[variant],
            )
            res.setdefault(variant, {})[name] = {**s, "date": time.strftime("%Y-%m-%d"), "command": command}
            atomic_write_text(path, json.dumps(res, indent=2) + "\n")
            w = s["worst_class"]
            print(
                f"{variant:14s} {name:20s} worst class: "
                + " ".join(f"{j} {v:.1%}" for j, v in w["judges"].items())
                + f" ({s['classes_measured']} classes) | all {w['all_judges']:.1%}"
                + f" | steering {w['steering_classifier']:.1%} | "
                f"change {s['mean_abs_pixel_change']:.3f} | {s['cpu_ms_per_steer']:.0f} ms/steer",
                flush=True,
            )
    first = a.first if a.first is not None else (5000 if a.split == "test" else 0)
    for variant in a.invert_variant:
        key = ("invert:" if a.split == "test" else "invert-train:") + variant
        for name in a.entries:
            res = json.loads(path.read_text()) if path.exists() else {}
            s = invert_stats(
                ganzoo.load(name),
                a.images,
                a.batch,
                default_data_root(),
                first=first,
                split=a.split,
                previous=res.get(key, {}).get(name),
                **INVERT_VARIANTS[variant],
            )
            res = json.loads(path.read_text()) if path.exists() else {}  # again: another variant may have written
            res.setdefault(key, {})[name] = {**s, "date": time.strftime("%Y-%m-%d"), "command": command}
            atomic_write_text(path, json.dumps(res, indent=2) + "\n")
            print(
                f"{key:24s} {name:20s} {s['images']} images ({s['ranges']}) mse {s['mse']:.4f} | "
                f"every judge keeps {s['all_judges_keep']:.1%} ("
                + " ".join(f"{j} {v:.1%}" for j, v in s["judges_keep"].items())
                + f") | {s['cpu_ms_per_image']:.0f} "
                "ms/image",
                flush=True,
            )


if __name__ == "__main__":
    main()
