"""Print the zoo's results table (markdown) from the bundled entries' manifests, and
the comparison with the PyTorch-GAN reference scripts from training/reference/*.json.

    python -m training.report                           # print
    python -m training.report --update training/README.md   # rewrite the part between the markers
    python -m training.report --update-zoo README.md         # the main README's zoo table (FD + thumbnails)

Every number comes from those files: nothing is typed by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

from ganzoo.metrics import fd_key
from ganzoo.registry import ZOO

REFERENCE = Path(__file__).resolve().parent / "reference"


def rows() -> list[dict]:
    out = []
    for name, e in ZOO.items():
        if not e.has_weights or e.dataset_b:  # a translation entry has no sample metrics (zoo_table shows it)
            continue
        m, run = e.manifest["evaluation"]["metrics"], e.manifest["training"]
        out.append(
            {
                "name": name,
                "version": e.version,
                "fd": m[fd_key(e.dataset)],
                "kid": m["kid"],
                "precision": m["precision"],
                "recall": m["recall"],
                "coverage": m["coverage"],
                "min_class_share": m["min_class_share"],
                "label_accuracy": m.get("label_accuracy"),
                "minutes": run.get("wall_seconds", 0) / 60,
                "cpu_minutes": run.get("cpu_seconds", run.get("wall_seconds", 0)) / 60,
                "steps": run.get("steps"),
                "best_step": run.get("best_step"),
                "command": run.get("command", ""),
                "hardware": run.get("hardware", ""),
            }
        )
    return out


def processor(hardware: str) -> str:
    """ "Intel(R) Xeon(R) Processor, 1 thread(s), torch ..." -> "Intel Xeon Processor": CPU-minutes compare only
    on one processor model, so every table that shows them names it."""
    return hardware.split(",")[0].replace("(R)", "").strip()


def main() -> None:
    import argparse
    import contextlib
    import io

    from .markers import replace_section

    p = argparse.ArgumentParser()
    p.add_argument("--update", help="markdown file whose <!-- results begin/end --> section is replaced")
    p.add_argument("--update-zoo", help="markdown file whose <!-- zoo begin/end --> section gets the zoo table")
    a = p.parse_args()
    if a.update_zoo:
        replace_section(a.update_zoo, "zoo", zoo_table())
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        tables()
    if not a.update:
        print(buf.getvalue(), end="")
        return
    replace_section(a.update, "results", buf.getvalue())


def zoo_table() -> str:
    """One row per architecture, one column per data set: a sample thumbnail and the entry's FD."""
    from ganzoo.registry import ARCHITECTURES, DATASETS

    datasets = [d for d, ds in DATASETS.items() if ds.zoo]
    fds = {r["name"]: r for r in rows()}
    out = ["| architecture | paper | " + " | ".join(datasets) + " |", "|---|---|" + "---|" * len(datasets)]
    for arch, spec in ARCHITECTURES.items():
        cells = []
        for d in datasets:
            name = f"{arch}-{d}"
            if name not in ZOO:  # a translation architecture's entries pair two data sets (below)
                cells.append("-")
                continue
            r = fds.get(name)
            fd = (
                f"FD {r['fd']:.1f}" + (f", label acc. {r['label_accuracy']:.3f}" if r["label_accuracy"] else "")
                if r
                else "no eval yet"
            )
            if not ZOO[name].has_weights:  # registered, not trained yet: no samples to show
                cells.append(f"`{name}`<br>not released yet")
                continue
            ver = f" {r['version']}" if r else ""
            cells.append(f'<img src="ganzoo/weights/{name}/samples.png" width="110"><br>`{name}`{ver}<br>{fd}')
        pairs = [e for e in ZOO.values() if e.arch == arch and e.name not in {f"{arch}-{d}" for d in datasets}]
        for e in pairs:  # e.g. cyclegan-mnist-fashion-mnist: between two data sets, shown in the first column
            if not e.has_weights:
                cells[0] = f"`{e.name}`<br>not released yet"
                continue
            m = e.manifest["evaluation"]["metrics"]
            a, b = e.domains
            fd = f"FD {m[f'fd_{a}_to_{b}']:.1f} / {m[f'fd_{b}_to_{a}']:.1f}"
            thumb = f'<img src="ganzoo/weights/{e.name}/samples.png" width="110"><br>'
            cells[0] = f"{thumb}`{e.name}` {e.version}<br>{a} ↔ {b}, {fd}"
        out.append(f"| `{arch}` | {spec.paper} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def tables() -> None:
    print(
        "| entry | FD (classifier) | KID | precision | recall | coverage | min class share | label acc. "
        "| steps (best) | wall time | CPU time | command |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    ours = rows()
    for r in ours:
        la = f"{r['label_accuracy']:.4f}" if r["label_accuracy"] is not None else "-"
        print(
            f"| {r['name']} {r['version']} | {r['fd']:.2f} | {r['kid']:.3f} | {r['precision']:.3f} "
            f"| {r['recall']:.3f} "
            f"| {r['coverage']:.3f} | {r['min_class_share']:.3f} | {la} | {r['steps']} ({r['best_step']}) "
            f"| {r['minutes']:.1f} min | {r['cpu_minutes']:.1f} min ({processor(r['hardware'])}) "
            f"| `{r['command']}` |"
        )
    hw = {r["hardware"] for r in ours}
    print(
        f"\nHardware: {'; '.join(sorted(hw))}. Evaluation: `ganzoo eval NAME --n 10000 --seed 0` against "
        "the 10,000-image test split."
    )

    ref = reference_rows()
    if ref:
        print(
            "\n| entry | ours: FD | ours: min class share | ours: label acc. | CPU: ours / ref | reference script "
            "| ref: FD | ref: min class share | ref: label acc. | ref: G steps in that budget |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|")
        for r in ref:
            if r["budget"] is None:
                cpu, theirs = f"{r['cpu_minutes']:.1f} / - min", "not run yet | - | - | -"
            else:
                note = budget_note(r["cpu_minutes"] * 60, r["hardware"], r["budget"], r["ref_cpu_s"], r["ref_hardware"])
                cpu = f"{r['cpu_minutes']:.1f} / {r['budget'] / 60:.1f} min{note}, {processor(r['ref_hardware'])}"
                theirs = (
                    f"{r['ref_fd']:.2f} | {r['ref_min_class_share']:.3f} | {_acc(r['ref_label_accuracy'])} "
                    f"| {r['ref_g_steps']}"
                )
            print(
                f"| {r['name']} | {r['fd']:.2f} | {r['min_class_share']:.3f} | {_acc(r['label_accuracy'])} "
                f"| {cpu} | `{r['script']}` | {theirs} |"
            )


def budget_note(ours_s: float, ours_hardware: str, ref_s: float, ref_used_s: float, ref_hardware: str) -> str:
    """How fair the CPU budget of a reference run is. CPU seconds compare only on one processor model; a
    reference given less CPU time than the entry is not a fair comparison, unless the script ended on its
    own first (it had all it asks for); one given more favours the reference, so it stands (and says so)."""
    if processor(ours_hardware) != processor(ref_hardware):
        return " (ref. to re-run: other processor)"
    if ref_used_s < 0.99 * ref_s:
        return f" (ref. ran to its end at {ref_used_s / 60:.1f} min)"
    if ref_s < 0.95 * ours_s:
        return " (ref. to re-run)"
    return " (ref. had more)" if ref_s > 1.05 * ours_s else ""


def _acc(v) -> str:
    return f"{v:.4f}" if v is not None else "-"


# The families PyTorch-GAN (eriklindernoren/PyTorch-GAN) has a script for; the others (the VAE, StyleGAN2, ProGAN,
# BigGAN) have none there to re-run, so the reference table leaves them out rather than name a missing script.
PYTORCH_GAN = ("gan", "dcgan", "cgan", "wgan", "wgan-gp", "cyclegan")


def reference_script(arch: str) -> str:
    """PyTorch-GAN's script for one of our architectures."""
    return f"implementations/{arch.replace('-', '_')}/{arch.replace('-', '_')}.py"


def reference_rows() -> list[dict]:
    """Our entries next to PyTorch-GAN's scripts re-run with the same CPU time (better of its
    train-mode and eval-mode sampling, so the comparison favours the reference)."""
    done = {}
    for f in sorted(REFERENCE.glob("*.json")):
        ref = json.loads(f.read_text())
        done[f"{ref['arch']}-{ref['dataset']}"] = ref
    out = []

    for r in rows():  # every entry, those whose reference has not run too, so none goes unmentioned
        if ZOO[r["name"]].arch not in PYTORCH_GAN:
            continue  # no PyTorch-GAN script (the VAE is compared in docs/vae-vs-gan.md, StyleGAN2 in its card)
        ref = done.get(r["name"])
        if ref is None:
            out.append({**r, "budget": None, "script": reference_script(ZOO[r["name"]].arch)})
            continue
        key = fd_key(ref["dataset"])
        best = min(ref["metrics"].values(), key=lambda m: m[key])
        out.append(
            {
                **r,
                "budget": ref["budget_cpu_s"],
                "script": ref["script"],
                "ref_fd": best[key],
                "ref_min_class_share": best["min_class_share"],
                "ref_label_accuracy": best.get("label_accuracy"),
                "ref_g_steps": ref["g_steps"],
                "ref_hardware": ref["hardware"],
                "ref_cpu_s": ref["cpu_s"],
            }
        )
    return out  # rows() already follows the zoo's order


if __name__ == "__main__":
    main()
