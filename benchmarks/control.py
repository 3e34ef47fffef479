"""Controllable generation, measured: steering success per target class and inversion of test images.

    python benchmarks/control.py --seeds 1000 --images 1000 --update-docs       # the issue's protocol, every part
    python benchmarks/control.py --seeds 50 --images 200 --only steer           # a quick look

The parts (--only, repeatable; default all) are merged into benchmarks/results/control.json, each with
its own date and command, so the long untimed parts (steer, invert, pictures) may run beside other work
while `--only timing` runs on a quiet machine:
    python benchmarks/control.py --only steer --only invert --only pictures
    python benchmarks/control.py --only timing --update-docs                     # nothing else running

For each entry (default dcgan-mnist, dcgan-fashion-mnist):
- steering: the latents of seeds 0..S-1 (sample_latent(S, seed=0)) are steered toward every class;
  per class: the share that reaches it (classifier p >= 0.9, the default), and the mean absolute pixel
  change between the start and end images of those that did;
- timing: wall time per steer (batched, --threads), over the first --timing-seeds seeds toward every class;
- inversion: the first N test images; mean squared error of the reconstruction and how often the
  classifier gives the reconstruction the original's (true) label.
- pictures: benchmarks/results/control-NAME.png (a morph per row, then test images above their
  reconstructions) and arithmetic-NAME.png (the latent arithmetic example of docs/control.md and the README).
With --update-docs, the <!-- control --> section of docs/control.md is rewritten from control.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import ganzoo  # noqa: E402
from ganzoo.control import class_names, classifier_for, invert, steer_latents  # noqa: E402
from ganzoo.datasets import load_idx_split  # noqa: E402
from training.runlog import atomic_write_text  # noqa: E402

from bench import cpu_model, default_data_root  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
DOC = ROOT / "docs" / "control.md"  # its <!-- control begin/end --> section holds the results


def steer_stats(m, seeds: int, batch: int) -> dict:
    z = m.sample_latent(seeds, seed=0)
    with torch.no_grad():
        start = m.generate(z)
    net = classifier_for(m)
    per_class = {}
    for c, name in enumerate(class_names(m)):
        reached, assigned, change = [], [], []
        for i in range(0, seeds, batch):
            end, done = steer_latents(m, z[i : i + batch], c)
            with torch.no_grad():
                img = m.generate(end)
                diff = (img - start[i : i + batch]).abs().flatten(1).mean(1)
                assigned.append(net(img)[1].argmax(1) == c)
            reached.append(done)
            change.append(diff[done])
        done = torch.cat(reached)
        per_class[name] = {
            "reached": float(done.float().mean()),
            "assigned": float(torch.cat(assigned).float().mean()),
            "mean_abs_pixel_change": float(torch.cat(change).mean()) if done.any() else None,
        }
    return {
        "seeds": seeds,
        "per_class": per_class,
        "min_reached": min(v["reached"] for v in per_class.values()),
        "min_assigned": min(v["assigned"] for v in per_class.values()),
    }


def timing_stats(m, seeds: int, batch: int) -> dict:
    """Wall time per steer: the first `seeds` seeds toward every class, `batch` latents per call."""
    z = m.sample_latent(seeds, seed=0)
    steer_latents(m, z[:2], 0)  # warm-up: the classifier's first load and the anchor pool's first use
    seconds = 0.0
    for c in range(len(class_names(m))):
        for i in range(0, seeds, batch):
            t = time.perf_counter()
            steer_latents(m, z[i : i + batch], c)
            seconds += time.perf_counter() - t
    n = seeds * len(class_names(m))
    return {"seeds": seeds, "steers": n, "batch": min(batch, seeds), "ms_per_steer": round(1e3 * seconds / n, 2)}


def invert_stats(m, images: int, batch: int, data_root) -> dict:
    x, y = load_idx_split(m.config["dataset"], "test", data_root)
    x = torch.from_numpy(x[:images].copy()).float().div(255)[:, None]
    y = torch.from_numpy(y[:images])
    mses, agree = [], []
    net = classifier_for(m)
    for i in range(0, images, batch):
        z, mse = invert(m, x[i : i + batch])
        with torch.no_grad():
            pred = net(m.generate(z))[1].argmax(1)
        mses.append(mse)
        agree.append(pred == y[i : i + batch])
    return {
        "images": images,
        "mse": float(torch.cat(mses).mean()),
        "label_kept": float(torch.cat(agree).float().mean()),
    }


def picture(m, path: Path, data_root) -> None:
    rows = []
    for seed, c in ((0, 7), (1, 3), (2, 1), (3, 8)):
        rows.append(m.generate(m.steer(m.sample_latent(1, seed=seed)[0], c, steps=8)))
    x, _ = load_idx_split(m.config["dataset"], "test", data_root)
    real = torch.from_numpy(x[:8].copy()).float().div(255)[:, None]
    rows += [real, m.generate(m.invert(real))]
    m.save_grid(torch.cat(rows), path, nrow=8)


def arithmetic_picture(m, path: Path) -> None:
    """The example of docs/control.md, as written there: eight samples steered to class 1 (top), then + d[7] - d[1]."""
    d = m.class_directions(n=2000)  # (10, latent_dim)
    ones = torch.stack([m.steer(z, 1)[-1] for z in m.sample_latent(8, seed=0)])
    m.save_grid(torch.cat([m.generate(ones), m.generate(ones + d[7] - d[1])]), path, nrow=8)


def markdown(res: dict) -> str:
    lines = [
        f"On {res['cpu']}, torch {res['torch']}; each part's date and command are in "
        "`benchmarks/results/control.json`.",
        "",
    ]
    for name, r in res["entries"].items():
        s, inv, t = r.get("steer"), r.get("invert"), r.get("timing")
        text = [f"**{name}**:"]
        if s:
            text.append(
                f"steering {s['seeds']} seeds (`sample_latent({s['seeds']}, seed=0)`) toward each class "
                f"reaches it (classifier p >= 0.9, steer's default) for {s['min_reached']:.1%} of seeds in "
                f"the worst class, and ends on an image the classifier assigns to it (its top class) for "
                f"{s['min_assigned']:.1%} (`{s['command']}`, {s['date']})."
            )
        if t:
            text.append(
                f"Wall time: {t['ms_per_steer']} ms per steer ({t['threads']} thread(s), {t['batch']} "
                f"latents per call, {t['steers']} steers, nothing else running: `{t['command']}`, "
                f"{t['date']})."
            )
        if inv:
            text.append(
                f"Inverting the first {inv['images']} test images: mean squared error {inv['mse']:.4f}; "
                f"the classifier gives the reconstruction the original's label for {inv['label_kept']:.1%}."
            )
        lines += [" ".join(text), ""]
        if s:
            lines.append("| target class | " + " | ".join(s["per_class"]) + " |")
            lines.append("|---|" + "---|" * len(s["per_class"]))
            for key, label in (("reached", "reached (p >= 0.9)"), ("assigned", "assigned (top class)")):
                lines.append(f"| {label} | " + " | ".join(f"{v[key]:.1%}" for v in s["per_class"].values()) + " |")
            lines.append(
                "| mean abs. pixel change | "
                + " | ".join(
                    f"{v['mean_abs_pixel_change']:.3f}" if v["mean_abs_pixel_change"] is not None else "-"
                    for v in s["per_class"].values()
                )
                + " |"
            )
            lines.append("")
        if (RESULTS / f"control-{name}.png").exists():
            lines += [
                f"![{name}: morphs toward classes 7, 3, 1, 8; test images above their reconstructions]"
                f"({os.path.relpath(RESULTS / f'control-{name}.png', DOC.parent)})",
                "",
            ]
    return "\n".join(lines)


PARTS = ("steer", "invert", "timing", "pictures")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--entries", nargs="+", default=["dcgan-mnist", "dcgan-fashion-mnist"])
    p.add_argument("--only", choices=PARTS, action="append", help="run only these parts (repeatable)")
    p.add_argument("--seeds", type=int, default=1000)
    p.add_argument("--timing-seeds", type=int, default=250)
    p.add_argument("--images", type=int, default=1000)
    p.add_argument("--batch", type=int, default=250)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument(
        "--data-root", default=default_data_root(), help="test images for inversion (default $GANZOO_DATA, else ./data)"
    )
    p.add_argument(
        "--update-docs",
        "--update-readme",
        dest="update_docs",
        action="store_true",
        help="rewrite the <!-- control --> section of docs/control.md (--update-readme: its old name)",
    )
    a = p.parse_args(argv)
    for flag in ("seeds", "timing_seeds", "images", "batch", "threads"):
        if getattr(a, flag) < 1:
            p.error(f"--{flag.replace('_', '-')} must be >= 1")
    parts = a.only or list(PARTS)
    torch.set_num_threads(a.threads)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "control.json"
    res = json.loads(path.read_text()) if path.exists() else {"entries": {}}
    res.update(cpu=cpu_model(), torch=torch.__version__)
    stamp = {
        "date": time.strftime("%Y-%m-%d"),
        "threads": a.threads,
        "command": "python benchmarks/control.py " + " ".join(argv if argv is not None else sys.argv[1:]),
    }

    def save() -> None:  # after every part, so a late failure keeps what was measured
        atomic_write_text(path, json.dumps(res, indent=2) + "\n")

    for name in a.entries:
        m = ganzoo.load(name)
        r = res["entries"].setdefault(name, {})
        if "steer" in parts:
            r["steer"] = {**steer_stats(m, a.seeds, a.batch), **stamp}
            save()
        if "invert" in parts:
            r["invert"] = {**invert_stats(m, a.images, a.batch, a.data_root), **stamp}
            save()
        if "timing" in parts:
            r["timing"] = {**timing_stats(m, a.timing_seeds, a.batch), **stamp}
            save()
        if "pictures" in parts:
            picture(m, RESULTS / f"control-{name}.png", a.data_root)
            arithmetic_picture(m, RESULTS / f"arithmetic-{name}.png")
        print(json.dumps({name: r}), flush=True)
    text = markdown(res)
    print(text)
    if a.update_docs:
        from training.markers import replace_section

        replace_section(DOC, "control", text)


if __name__ == "__main__":
    main()
