"""What adversarial training buys: every family of the zoo side by side with the VAE baseline, per data set.

    python benchmarks/compare.py --data-root ../shared/data [--extra vae-mnist=runs/vae/model] [--update-docs]

For each model: the published test-split metrics of its manifest (FD, precision, recall, smallest class share;
`ganzoo eval NAME --n 10000 --seed 0`), or the same evaluation run here for an --extra folder; a sharpness number
(mean gradient magnitude of 2,000 samples, next to the same number on 2,000 real test images); the memorisation
audit (`ganzoo.metrics.memorisation`); and, with --inversion, the reconstruction error of the first 1,000 test
images (a VAE through its encoder; a GAN through `invert`). Pictures: one row per model from the same seeds, and
each model's closest sample / training image pairs. Writes benchmarks/results/compare.json and the PNGs; with
--update-docs the generated section of docs/vae-vs-gan.md.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

import ganzoo
import ganzoo.registry
from ganzoo.metrics import evaluate, fd_key, memorisation, nearest_distances, real_features

RESULTS = Path(__file__).resolve().parent / "results"
DOC = Path(__file__).resolve().parent.parent / "docs" / "vae-vs-gan.md"
N = 2000


def sharpness(images: torch.Tensor) -> float:
    """Mean gradient magnitude of images in [0, 1] (finite differences): blur lowers it."""
    dx = images[..., :, 1:] - images[..., :, :-1]
    dy = images[..., 1:, :] - images[..., :-1, :]
    return float((dx[..., :-1, :].square() + dy[..., :, :-1].square()).sqrt().mean())


def measure(name: str, model, dataset: str, root, inversion: bool, eval_n: int = 10000) -> dict:
    """One model's row; `inversion`: also reconstruct the first 1,000 test images."""
    entry = ganzoo.registry.ZOO.get(name)
    if entry is not None and entry.has_weights and model.version == entry.version:
        published = entry.manifest["evaluation"]["metrics"]  # the published protocol's numbers
    else:
        published = evaluate(model, n=eval_n, seed=0, root=root)["metrics"]
    x = model.sample(N, seed=0)
    out = {
        "fd": published[fd_key(dataset)],
        "precision": published["precision"],
        "recall": published["recall"],
        "min_class_share": published["min_class_share"],
        "sharpness": sharpness(x),
        **memorisation(x, dataset, root=root, n=N),
        "architecture": model.architecture,
        "version": getattr(model, "version", None),
        # the training budget behind the numbers (the manifest's run; unknown for an --extra folder)
        "train_cpu_minutes": (
            round(entry.manifest["training"]["cpu_seconds"] / 60, 1)
            if entry is not None and entry.has_weights and model.version == entry.version
            else None
        ),
    }
    if "neg_elbo_nats" in published:
        out["neg_elbo_nats"] = published["neg_elbo_nats"]
    if inversion:
        _, _, test = real_features(dataset, "test", root)
        _, mse = model.invert(test[:1000], return_error=True)
        out["inversion_mse"] = float(mse.mean())
        out["inversion_by"] = "encoder" if model.has_encoder else "optimisation (ganzoo.control.invert)"
    return out


def pictures(models: dict, dataset: str, root) -> None:
    from ganzoo.datasets import load_idx_split
    from ganzoo.images import save_grid

    rows = torch.cat([m.sample(8, seed=0) for m in models.values()])
    save_grid(rows, RESULTS / f"compare-{dataset}.png", nrow=8)
    train, _ = load_idx_split(dataset, "train", root)
    train = torch.from_numpy(train.copy()).float().div(255)[:, None]
    pairs = []
    for m in models.values():  # per model: its 4 samples closest to a training image, each above that image
        x = m.sample(N, seed=0)
        d, j = nearest_distances(x, train)
        k = d.argsort()[:4]
        pairs += [x[k], train[j[k]]]
    save_grid(torch.cat(pairs), RESULTS / f"compare-nn-{dataset}.png", nrow=4)


def table(results: dict, dataset: str, real_sharpness: float) -> str:
    lines = [
        "| model | train CPU-min | FD | precision | recall | smallest class | sharpness (real: %.3f) | nn ratio | "
        "copy share |" % real_sharpness,
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        cpu = "-" if r.get("train_cpu_minutes") is None else f"{r['train_cpu_minutes']:.0f}"
        lines.append(
            f"| `{name}` {r['version'] or ''} | {cpu} | {r['fd']:.1f} | {r['precision']:.3f} | {r['recall']:.3f} | "
            f"{r['min_class_share']:.3f} | {r['sharpness']:.3f} | {r['nn_ratio']:.2f} | "
            f"{r['copy_share']:.3f} |"
        )
    elbo = {n: r for n, r in results.items() if "neg_elbo_nats" in r}
    if elbo:
        lines += ["", "| model | -ELBO on the test split (nats per image, lower is better) |", "|---|---|"]
        lines += [f"| `{n}` | {r['neg_elbo_nats']:.1f} |" for n, r in elbo.items()]
    inv = {n: r for n, r in results.items() if "inversion_mse" in r}
    if inv:
        lines += ["", "| model | inversion MSE (first 1,000 test images) | by |", "|---|---|---|"]
        lines += [f"| `{n}` | {r['inversion_mse']:.4f} | {r['inversion_by']} |" for n, r in inv.items()]
    return "\n".join(lines)


# Recipe fields that only schedule logging, evaluation, checkpoints, the run's length or the stored precision:
# a proxy run that differs from an entry's recipe in these alone trained the same network the same way.
SCHEDULE = {"version", "steps", "eval_every", "log_every", "sample_every", "ckpt_every", "eval_n", "storage"}


def same_training(record: dict, recipe, step: int) -> bool:
    """Did an ablation record's run train exactly `recipe` (schedule fields aside) up to `step`?"""
    import dataclasses

    from training.recipes import recipe_from_dict

    try:
        ran = recipe_from_dict(record["full_recipe"])
    except Exception:  # a record from an older recipe format: not comparable
        return False
    a, b = dataclasses.asdict(ran), dataclasses.asdict(recipe)
    differ = {k for k in a if a[k] != b[k]} - SCHEDULE - {"model", "decay_from"}
    decay = [d for d in (ran.decay_from, recipe.decay_from) if d]
    # a decay changes the rates from decay_from on, at a pace set by `steps`: the same decay and steps are the same
    # training throughout (the released run of a recipe with a decay); otherwise only the steps before any decay are
    same_decay = (ran.decay_from, ran.steps) == (recipe.decay_from, recipe.steps)
    return not differ and ran.model_config() == recipe.model_config() and (same_decay or all(d >= step for d in decay))


def _records(dataset: str, models: dict) -> list[tuple[str, dict]]:
    """(entry, ablation record) of runs that trained an entry's current recipe on this data set."""
    from training.ablation import HERE
    from training.recipes import RECIPES

    out = []
    for f in sorted(HERE.glob("*.json")):
        rec = json.loads(f.read_text())
        name = rec.get("recipe")
        if name in models and name in RECIPES and ganzoo.registry.ZOO[name].dataset == dataset:
            if rec["curve"] and same_training(rec, RECIPES[name], rec["curve"][-1]["step"]):
                out.append((name, rec | {"record": f.stem}))
    return out


def _longest(records: list[tuple[str, dict]]) -> tuple[str, dict]:
    """Of an entry's records, the one that trained longest (its full run, not a short proxy of the same recipe that
    it continued); the first in file order among equals."""
    return max(records, key=lambda r: r[1]["curve"][-1]["cpu_seconds"])


def equal_cpu(dataset: str, models: dict, reference: str | None = None) -> list[dict]:
    """Each other entry beside a reference entry at equal CPU time (default reference: the data set's VAE; a
    style-based entry's card uses its own): selection FD (training split, 2,000 samples: the metric every run
    logs) read off the ablation records of runs that trained an entry's current recipe, at the reference's whole
    budget or, for a shorter record, at the record's last reading, with the reference's reading at that CPU time.
    The published test FDs come from each entry's full run, which may be longer."""
    from training.ablation import fd_at

    recs = _records(dataset, models)
    ref = [(n, r) for n, r in recs if (n == reference if reference else models[n].has_encoder)]
    if not ref:
        return []
    ref_name, ref_rec = _longest(ref)
    budget = ref_rec["curve"][-1]["cpu_seconds"] / 60
    rows = []
    for name, rec in recs:
        if name == ref_name:
            continue
        minutes = min(budget, rec["curve"][-1]["cpu_seconds"] / 60)
        other, mine = fd_at(rec["curve"], minutes), fd_at(ref_rec["curve"], minutes)
        if other is None or mine is None:
            continue
        rows.append(
            {
                "model": name,
                "record": rec["record"],
                "hardware": rec["hardware"].split(",")[0],
                "cpu_minutes": other["cpu_seconds"] / 60,
                "fd": other["fd"],
                "step": other["step"],
                "ref": ref_name,
                "ref_record": ref_rec["record"],
                "ref_cpu_minutes": mine["cpu_seconds"] / 60,
                "ref_fd": mine["fd"],
                "ref_step": mine["step"],
                "ref_hardware": ref_rec["hardware"].split(",")[0],
            }
        )
    return rows


def truncation_rows(model, values, n: int, root, key: str = "truncation") -> list[dict]:
    """One row per truncation value (`key`: its name in the row): the test-split metrics of
    `evaluate(model, n=n, seed=0, truncation=value)` (a style-based psi, or a BigGAN's z threshold; None: untruncated)
    that trace fidelity against variety: FD, precision, recall, label accuracy (conditional models) and the
    smallest class share with its class."""
    from ganzoo.registry import DATASETS

    names = model.class_names or list(DATASETS[model.config["dataset"]].class_names)
    rows = []
    for v in values:
        m = evaluate(model, n=n, seed=0, root=root, truncation=v)["metrics"]
        shares = m["class_share"]
        low = min(range(len(shares)), key=shares.__getitem__)
        rows.append(
            {
                key: v,
                "fd": m[fd_key(model.config["dataset"])],
                "precision": m["precision"],
                "recall": m["recall"],
                **({"label_accuracy": m["label_accuracy"]} if "label_accuracy" in m else {}),
                "min_class_share": m["min_class_share"],
                "min_class": names[low],
            }
        )
        print(f"{key} {v}: {rows[-1]}", flush=True)
    return rows


def check_same_dataset(model, name: str, entry: str) -> None:
    """Refuse a model (given as `name` on the command line) trained on another data set than zoo entry `entry`."""
    from ganzoo.errors import GanzooError

    want = ganzoo.registry.ZOO[entry].dataset
    if model.config.get("dataset") != want:
        raise GanzooError(f"{name} was trained on {model.config.get('dataset')}, {entry} is {want}")


def model_and_entry(model: str, entry: str | None, json_path: str | None) -> tuple[Path | str, str]:
    """A benchmark's `model` argument resolved: (what to `ganzoo.load`, the canonical zoo entry). A model folder (an
    unreleased run's model/) needs `entry` (whose records and baselines to use) and `json_path` (where to write)."""
    from ganzoo.cli import output_path
    from ganzoo.errors import GanzooError
    from ganzoo.registry import canonical_name

    if json_path:  # checked before any work: a .json file in a writable folder, never a device or a folder
        output_path(str(json_path), (".json",), "the results", flag="--json")
    folder = Path(model)
    if folder.is_dir():
        if not entry or not json_path:
            raise GanzooError("a model folder needs --entry (the zoo entry it would be) and --json (where to write)")
        return folder, canonical_name(entry)
    return canonical_name(model), canonical_name(model)


def compare_equal_cpu(entry: str, model, baselines: tuple[str, ...]) -> dict:
    """What an entry's design buys against the released entries of the `baselines` families (architecture names)
    of its data set, at equal CPU time: (a) `equal_cpu`'s rows with `entry` as the reference (the baselines' proxy
    runs); (b) each baseline's full released run beside the best selection FD `entry`'s run reached within that
    run's CPU time. Both need `entry`'s ablation record (`python -m training.ablation collect`). `model`: the
    entry's weights (released, or a run's folder before its release)."""
    from ganzoo.errors import GanzooError
    from training.ablation import best_within

    dataset = ganzoo.registry.ZOO[entry].dataset
    base = [n for n, e in ganzoo.registry.ZOO.items() if e.arch in baselines and e.dataset == dataset and e.has_weights]
    models = {n: ganzoo.load(n) for n in base} | {entry: model}
    mine = [(n, r) for n, r in _records(dataset, models) if n == entry]
    if not mine:
        raise GanzooError(
            f"no ablation record of a run that trained {entry}'s current recipe (training/ablation/*.json): "
            f"collect the finished run first, e.g. `python -m training.ablation collect runs/{entry}-v1 "
            f'--note "recipe v1, the released run"`'
        )
    mine = _longest(mine)[1]  # the entry's full run: a shorter record of the recipe may sort first
    curve = mine["curve"]
    full = []
    for n in base:
        m = ganzoo.registry.ZOO[n].manifest
        t = m["training"]
        minutes = t["cpu_seconds"] / 60
        reached = best_within(curve, minutes)
        full.append(
            {
                "model": n,
                "version": m["version"],
                "cpu_minutes": minutes,
                "hardware": t["hardware"].split(",")[0],
                "best_selection_fd": t["best_selection_fd"],
                "best_step": t["best_step"],
                "test_fd": m["evaluation"]["metrics"][fd_key(dataset)],
                "ref_selection_fd": None if reached is None else reached["fd"],
                "ref_step": None if reached is None else reached["step"],
                "ref_cpu_minutes": None if reached is None else reached["cpu_seconds"] / 60,
            }
        )
    return {
        "baselines": list(baselines),
        "ref_record": mine["record"],
        "ref_hardware": mine["hardware"].split(",")[0],
        "ref_cpu_minutes": curve[-1]["cpu_seconds"] / 60,
        "records": equal_cpu(dataset, models, reference=entry),
        "full_runs": full,
    }


def cpu_name() -> str:
    """The processor's model name, for the measurement scripts' records (they run torch on one thread)."""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip().split(" @")[0] + ", 1 thread"
    except OSError:
        pass
    import platform

    return (platform.processor() or platform.machine()) + ", 1 thread"


def cpu_table(rows: list[dict], what: str = "a current GAN recipe", reference: str = "the VAE") -> str:
    """The markdown of `equal_cpu`'s rows (or a sentence saying there is nothing to compare)."""
    if not rows:
        return f"At equal CPU time: no ablation record of {what} on this data set to compare with."
    lines = [
        "At equal CPU time: selection FD (training split, 2,000 samples) of runs that trained each entry's current "
        f"recipe (training/ablation/), at {reference}'s whole budget or the record's end, beside "
        f"`{rows[0]['ref']}` at the same CPU time.",
        "",
        f"| model | CPU-min | its selection FD (step) | `{rows[0]['ref']}`'s (step) | processors | record |",
        "|---|---|---|---|---|---|",
    ]
    for r in sorted(rows, key=lambda r: r["fd"]):
        hw = r["hardware"] if r["hardware"] == r["ref_hardware"] else f"{r['hardware']} / {r['ref_hardware']}"
        lines.append(
            f"| `{r['model']}` | {r['cpu_minutes']:.1f} | {r['fd']:.1f} ({r['step']:,}) | {r['ref_fd']:.1f} "
            f"({r['ref_step']:,}) | {hw} | {r['record']} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(
        prog="python benchmarks/compare.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--data-root", required=True)
    p.add_argument("--datasets", default="mnist,fashion-mnist")
    p.add_argument(
        "--extra",
        action="append",
        default=[],
        metavar="NAME=FOLDER",
        help="a model folder to compare beside the bundled entries (e.g. an unreleased run)",
    )
    p.add_argument("--only-extra", action="store_true", help="compare only the --extra folders")
    p.add_argument("--eval-n", type=int, default=10000, help="samples per evaluation of an --extra folder")
    p.add_argument(
        "--inversion",
        nargs="?",
        const="best",
        help="also reconstruct the first 1,000 test images: the VAEs through their encoders and the GAN with the "
        "lowest FD through `invert` (--inversion all: every model; slow)",
    )
    p.add_argument(
        "--tables-only",
        action="store_true",
        help="re-render from benchmarks/results/compare.json (no sampling; the equal-CPU tables re-read)",
    )
    p.add_argument("--update-docs", action="store_true", help=f"rewrite the generated section of {DOC.name}")
    a = p.parse_args(argv)
    torch.set_num_threads(1)
    extra = dict(e.split("=", 1) for e in a.extra)
    RESULTS.mkdir(exist_ok=True)
    out = {}
    if a.tables_only:  # the measurements of the last full run; the equal-CPU tables re-read from the records
        out = json.loads((RESULTS / "compare.json").read_text())
        for d, r in out.items():
            r["equal_cpu"] = equal_cpu(d, {n: ganzoo.load(n) for n in r["rows"] if n in ganzoo.registry.ZOO})
    for dataset in [] if a.tables_only else a.datasets.split(","):
        models = (
            {}
            if a.only_extra
            else {
                n: ganzoo.load(n)
                for n in ganzoo.list_models(with_weights=True)
                if ganzoo.registry.ZOO[n].domains == (dataset,)  # a translation entry (two domains) draws no samples
            }
        )
        models.update(
            {n: ganzoo.load(Path(f)) for n, f in extra.items() if ganzoo.load(Path(f)).config["dataset"] == dataset}
        )
        _, _, test = real_features(dataset, "test", a.data_root)
        real = sharpness(test[:N])
        # --inversion: the VAEs and the zoo GAN with the lowest published FD of this data set (all: every model)
        gans = [n for n, m in models.items() if not m.has_encoder and n in ganzoo.registry.ZOO]
        fd = {n: ganzoo.registry.ZOO[n].manifest["evaluation"]["metrics"][fd_key(dataset)] for n in gans}
        best = min(fd, key=fd.get) if fd else None
        invert = {
            n: bool(a.inversion) and (a.inversion == "all" or m.has_encoder or n == best) for n, m in models.items()
        }
        res = {n: measure(n, m, dataset, a.data_root, invert[n], a.eval_n) for n, m in models.items()}
        pictures(models, dataset, a.data_root)
        out[dataset] = {
            "real_sharpness": real,
            "models": res,
            "equal_cpu": equal_cpu(dataset, models),
            "rows": list(models),
            "date": time.strftime("%Y-%m-%d"),
            "torch": torch.__version__,
        }
        print(f"## {dataset}\n\n{table(res, dataset, real)}\n\n{cpu_table(out[dataset]['equal_cpu'])}\n", flush=True)
    if not a.tables_only:
        (RESULTS / "compare.json").write_text(json.dumps(out, indent=1) + "\n")
    if a.update_docs:
        from training.markers import replace_section

        body = "\n\n".join(
            f"### {d}\n\nRows of `compare-{d}.png`, top to bottom: {', '.join(r['rows'])}.\n\n"
            f"{table(r['models'], d, r['real_sharpness'])}\n\n{cpu_table(r['equal_cpu'])}\n\n"
            f"![{d}: one row per model, seed 0](../benchmarks/results/compare-{d}.png)\n\n"
            f"Closest pairs (each model's 4 samples nearest to a training image, above that image; rows in the "
            f"order above):\n\n![{d}: closest sample / training image pairs](../benchmarks/results/compare-nn-{d}.png)"
            for d, r in out.items()
        )
        replace_section(DOC, "compare", body)
    return out


if __name__ == "__main__":
    np.set_printoptions(precision=3)
    main()
