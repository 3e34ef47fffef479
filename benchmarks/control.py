"""Controllable generation, measured: steering success per target class and inversion of test images.

    python benchmarks/control.py --seeds 1000 --images 1000 --update-readme     # the issue's protocol
    python benchmarks/control.py --seeds 50 --images 200 --no-timing            # a quick look

For each entry (default dcgan-mnist, dcgan-fashion-mnist):
- steering: the latents of seeds 0..S-1 (sample_latent(S, seed=0)) are steered toward every class;
  per class: the share that reaches it (classifier p >= 0.9, the default), and the mean absolute pixel
  change between the start and end images of those that did;
- wall time per steer (batched, 1 thread), unless --no-timing (timings need a quiet machine);
- inversion: the first N test images; mean squared error of the reconstruction and how often the
  classifier gives the reconstruction the original's (true) label.
Writes benchmarks/results/control.json, the pictures benchmarks/results/control-NAME.png (a morph
per row, then originals above reconstructions) and, with --update-readme, the README's section.
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import ganzoo  # noqa: E402
from ganzoo.control import classifier_for, invert, steer_latents  # noqa: E402
from ganzoo.datasets import load_idx_split  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"


def steer_stats(m, seeds: int, batch: int, timing: bool) -> dict:
    z = m.sample_latent(seeds, seed=0)
    with torch.no_grad():
        start = m.generate(z)
    net = classifier_for(m)
    per_class, seconds, n = {}, 0.0, 0
    for c, name in enumerate(m.class_names or ganzoo.registry.DATASETS[m.config["dataset"]].class_names):
        reached, assigned, change = [], [], []
        for i in range(0, seeds, batch):
            t = time.perf_counter()
            end, done = steer_latents(m, z[i:i + batch], c)
            seconds += time.perf_counter() - t
            n += len(end)
            with torch.no_grad():
                img = m.generate(end)
                diff = (img - start[i:i + batch]).abs().flatten(1).mean(1)
                assigned.append(net(img)[1].argmax(1) == c)
            reached.append(done)
            change.append(diff[done])
        done = torch.cat(reached)
        per_class[name] = {"reached": float(done.float().mean()),
                           "assigned": float(torch.cat(assigned).float().mean()),
                           "mean_abs_pixel_change": float(torch.cat(change).mean()) if done.any() else None}
    out = {"seeds": seeds, "per_class": per_class, "min_reached": min(v["reached"] for v in per_class.values()),
           "min_assigned": min(v["assigned"] for v in per_class.values())}
    if timing:
        out["ms_per_steer"] = round(1e3 * seconds / n, 2)
    return out


def invert_stats(m, images: int, batch: int, data_root) -> dict:
    x, y = load_idx_split(m.config["dataset"], "test", data_root)
    x = torch.from_numpy(x[:images].copy()).float().div(255)[:, None]
    y = torch.from_numpy(y[:images])
    mses, agree = [], []
    net = classifier_for(m)
    for i in range(0, images, batch):
        z, mse = invert(m, x[i:i + batch])
        with torch.no_grad():
            pred = net(m.generate(z))[1].argmax(1)
        mses.append(mse)
        agree.append(pred == y[i:i + batch])
    return {"images": images, "mse": float(torch.cat(mses).mean()), "label_kept": float(torch.cat(agree).float().mean())}


def picture(m, path: Path, data_root) -> None:
    rows = []
    for seed, c in ((0, 7), (1, 3), (2, 1), (3, 8)):
        rows.append(m.generate(m.steer(m.sample_latent(1, seed=seed)[0], c, steps=8)))
    x, _ = load_idx_split(m.config["dataset"], "test", data_root)
    real = torch.from_numpy(x[:8].copy()).float().div(255)[:, None]
    rows += [real, m.generate(m.invert(real))]
    m.save_grid(torch.cat(rows), path, nrow=8)


def markdown(res: dict) -> str:
    lines = [f"Measured {res['date']} on {res['cpu']}, torch {res['torch']}, {res['threads']} thread(s). "
             f"Regenerate with `{res['command']}`.", ""]
    for name, r in res["entries"].items():
        s, inv = r["steer"], r["invert"]
        timing = f"; {s['ms_per_steer']} ms per steer (batched)" if "ms_per_steer" in s else \
            "; wall time not measured (--no-timing: the machine was busy)"
        lines.append(f"**{name}**: steering {s['seeds']} seeds toward each class reaches it (classifier p >= 0.9, "
                     f"steer's default) for {s['min_reached']:.1%} of seeds in the worst class, and ends on an image "
                     f"the classifier assigns to it (its top class) for {s['min_assigned']:.1%}{timing}. "
                     f"Inverting {inv['images']} test "
                     f"images: MSE {inv['mse']:.4f}, the classifier keeps the true label for {inv['label_kept']:.1%}.")
        lines.append("")
        lines.append("| target class | " + " | ".join(s["per_class"]) + " |")
        lines.append("|---|" + "---|" * len(s["per_class"]))
        lines.append("| reached (p >= 0.9) | " + " | ".join(f"{v['reached']:.1%}" for v in s["per_class"].values())
                     + " |")
        lines.append("| assigned (top class) | " + " | ".join(f"{v['assigned']:.1%}" for v in s["per_class"].values())
                     + " |")
        lines.append("| mean abs. pixel change | " + " | ".join(
            f"{v['mean_abs_pixel_change']:.3f}" if v["mean_abs_pixel_change"] is not None else "-"
            for v in s["per_class"].values()) + " |")
        lines.append("")
        lines.append(f"![{name}: morphs toward 7, 3, 1, 8; test images above their reconstructions]"
                     f"(benchmarks/results/control-{name}.png)")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--entries", nargs="+", default=["dcgan-mnist", "dcgan-fashion-mnist"])
    p.add_argument("--seeds", type=int, default=1000)
    p.add_argument("--images", type=int, default=1000)
    p.add_argument("--batch", type=int, default=250)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--data-root")
    p.add_argument("--no-timing", action="store_true", help="skip wall times (the machine is busy)")
    p.add_argument("--update-readme", action="store_true")
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    cpu = platform.processor() or platform.machine()
    for line in open("/proc/cpuinfo") if Path("/proc/cpuinfo").exists() else []:
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    res = {"date": time.strftime("%Y-%m-%d"), "cpu": cpu, "torch": torch.__version__, "threads": a.threads,
           "command": "python benchmarks/control.py " + " ".join(argv if argv is not None else sys.argv[1:]),
           "entries": {}}
    RESULTS.mkdir(parents=True, exist_ok=True)
    for name in a.entries:
        m = ganzoo.load(name)
        res["entries"][name] = {"steer": steer_stats(m, a.seeds, a.batch, not a.no_timing),
                                "invert": invert_stats(m, a.images, a.batch, a.data_root)}
        picture(m, RESULTS / f"control-{name}.png", a.data_root)
        print(json.dumps(res["entries"][name]), flush=True)
    (RESULTS / "control.json").write_text(json.dumps(res, indent=2) + "\n")
    text = markdown(res)
    print(text)
    if a.update_readme:
        sys.path.insert(0, str(ROOT))
        from training.markers import replace_section

        replace_section(ROOT / "README.md", "control", text)


if __name__ == "__main__":
    main()
