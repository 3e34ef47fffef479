"""What a ProGAN or BigGAN entry does that its ancestors do not, measured, and the pictures of its docs.

    python benchmarks/progan_biggan.py biggan-mnist --data-root ../shared/data [--update-docs]

- BigGAN, truncation: `ganzoo eval NAME --n 10000 --seed 0 --truncation T` (ganzoo.metrics.evaluate, the test
  split; the evaluation's latents with every entry beyond t redrawn) at t = none, 2, 1, 0.5, 0.25: classifier FD,
  precision, recall, label accuracy and the smallest class share at each (fidelity against variety);
- equal CPU time (benchmarks.compare.compare_equal_cpu): ProGAN beside wgan-gp-* (the same loss, without growing),
  BigGAN beside cgan-* (class-conditional, the DCGAN design), of its data set, read off the records, never re-run:
  the baselines' proxy runs of their current recipes, and each baseline's full released run beside the best
  selection FD this entry's run had reached within the same CPU time (its ablation record: `python -m
  training.ablation collect runs/NAME-vN --note ...` after the run).

Writes model_cards/NAME.progan.json or NAME.biggan.json, which `ganzoo card NAME` reads (the card refuses a JSON
measured on other weights), and with --update-docs the pictures benchmarks/results/NAME-truncation.png (BigGAN) or
NAME-resolution-R.png per growth stage (ProGAN) and the NAME section of docs/progan-biggan.md. A model folder
instead of a zoo name (an unreleased run's model/) needs --entry (whose records and baselines to use) and --json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import ganzoo  # noqa: E402
import ganzoo.registry  # noqa: E402
from ganzoo.errors import GanzooError  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
DOC = ROOT / "docs" / "progan-biggan.md"
CARDS = ROOT / "model_cards"
BASELINES = {"progan": ("wgan-gp",), "biggan": ("cgan",)}  # the families the issue compares each with
TABLE_T = "none,2,1,0.5,0.25"  # the truncation table's thresholds (none: untruncated, the zoo's numbers)


def parse_truncations(text: str) -> list[float | None]:
    """'none,2,1,0.5' -> [None, 2.0, 1.0, 0.5]; anything else is an error saying what is allowed."""
    out: list[float | None] = []
    for t in (t.strip() for t in text.split(",")):
        if t.lower() == "none":
            out.append(None)
            continue
        try:
            v = float(t)
        except ValueError:
            v = float("nan")
        if not 0 < v < float("inf"):
            out = []
            break
        out.append(v)
    if not out:
        raise GanzooError(
            f"--truncations must be comma-separated thresholds t > 0 or none (untruncated), such as "
            f"{TABLE_T}, got {text!r}"
        )
    return out


def pictures(model, name: str, out: Path) -> list[Path]:
    """The docs' pictures of `model` in `out` (the card's, under the entry's name): a BigGAN's truncation grid, a
    ProGAN's grid per growth stage."""
    from ganzoo.control import Z_FIGURE_SEEDS, stage_grids, stage_picture, truncation_grid

    if model.architecture == "biggan":
        return [model.save_grid(truncation_grid(model), out / f"{name}-truncation.png", nrow=len(Z_FIGURE_SEEDS))]
    return [model.save_grid(x, out / f"{name}-{stage_picture(r)}", nrow=8) for r, x in stage_grids(model).items()]


def docs_section(res: dict, model, pictures_rel: str = "../benchmarks/results") -> str:
    """The generated markdown of one entry in docs/progan-biggan.md."""
    from ganzoo.cards import equal_cpu_tables, z_truncation_table
    from ganzoo.control import STAGE_SAMPLES, Z_TRUNCATIONS, stage_picture

    name = res["entry"]
    parts = [
        f"Measured by `{res['command']}` ({res['date']}, {res['hardware']}, torch {res['torch']}) on {res['model']}."
    ]
    if res["architecture"] == "biggan":
        values = ", ".join("none" if t is None else str(t) for t in Z_TRUNCATIONS)
        parts += [
            "",
            f"![{name}: seeds 0..9 (columns, column j as class j) at t = {values} (rows, top to bottom)]"
            f"({pictures_rel}/{name}-truncation.png)",
            "",
            z_truncation_table(res),
        ]
    else:
        parts += [
            "",
            f"Seed 0's first {STAGE_SAMPLES} samples at every growth stage (`sample({STAGE_SAMPLES}, seed=0, "
            "resolution=r)`), coarsest first:",
            "",
            *(f"![{name}: the {r}x{r} stage]({pictures_rel}/{name}-{stage_picture(r)})" for r in model.resolutions),
        ]
    parts += ["", equal_cpu_tables(res)]
    return "\n".join(parts)


def run(a) -> dict:
    from benchmarks.compare import (
        check_same_dataset,
        compare_equal_cpu,
        cpu_name,
        model_and_entry,
        truncation_rows,
    )
    from ganzoo.cards import measured_json
    from ganzoo.fileio import atomic_write_text
    from ganzoo.folder import sha256_file

    values = parse_truncations(a.truncations)
    if a.n < 10:
        raise GanzooError(f"--n must be >= 10 to measure FD, got {a.n}")
    source, entry = model_and_entry(a.model, a.entry, a.json)
    families = [n for n, e in ganzoo.registry.ZOO.items() if e.arch in BASELINES]
    if entry not in ganzoo.registry.ZOO or ganzoo.registry.ZOO[entry].arch not in BASELINES:
        raise GanzooError(f"{entry!r} is not a ProGAN or BigGAN entry; this script measures {', '.join(families)}")
    arch = ganzoo.registry.ZOO[entry].arch
    if arch != "biggan" and a.truncations != TABLE_T:
        raise GanzooError(f"--truncations is for biggan-* entries (BigGAN's truncation trick); {entry} is {arch}")
    model = ganzoo.load(source)
    if model.architecture != arch:
        raise GanzooError(f"{a.model} is a {model.architecture} model, not a {arch} one as {entry} is")
    check_same_dataset(model, a.model, entry)
    torch.set_num_threads(1)
    torch.manual_seed(0)
    out = a.json or CARDS / measured_json(entry, arch)
    res = {
        "entry": entry,
        "architecture": arch,
        "model": str(model.source),
        "version": model.version,
        "model_sha256": sha256_file(Path(model.folder) / "model.safetensors"),
        "command": "python benchmarks/progan_biggan.py " + " ".join(_argv(a, arch)),
        "date": time.strftime("%Y-%m-%d"),
        "hardware": cpu_name(),
        "torch": torch.__version__,
        "equal_cpu": compare_equal_cpu(entry, model, BASELINES[arch]),
    }
    if arch == "biggan":
        res["protocol"] = {"n_generated": a.n, "seed": 0, "real_split": "test", "labels": "balanced, i % 10"}
        res["truncation"] = truncation_rows(model, values, a.n, a.data_root)
    if a.update_docs:
        from training.markers import replace_section

        RESULTS.mkdir(exist_ok=True)
        pictures(model, entry, RESULTS)
        replace_section(DOC, entry, docs_section(res, model))
    atomic_write_text(out, json.dumps(res, indent=1) + "\n")
    print(f"wrote {out}")
    return res


def _argv(a, arch: str) -> list[str]:
    """The command line that reproduces this measurement (for the card and the docs)."""
    args = [str(a.model)]
    if a.entry:
        args += ["--entry", a.entry]
    if arch == "biggan":
        args += ["--n", str(a.n), "--truncations", a.truncations, "--data-root", "DATA"]
    return args + (["--update-docs"] if a.update_docs else [])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python benchmarks/progan_biggan.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("model", help="a progan-* or biggan-* zoo entry, or a model folder (with --entry, --json)")
    p.add_argument("--data-root", help="data root holding MNIST/ FashionMNIST/ (default $GANZOO_DATA or ./data)")
    p.add_argument("--entry", help="for a model folder: the zoo entry whose records and baselines to use")
    p.add_argument("--json", type=Path, help="where to write the results (default model_cards/NAME.ARCH.json)")
    p.add_argument("--n", type=int, default=10000, help="samples per truncation evaluation (BigGAN; default 10000)")
    p.add_argument("--truncations", default=TABLE_T, help=f"BigGAN's table's thresholds (default {TABLE_T})")
    p.add_argument("--update-docs", action="store_true", help=f"write the pictures and the section of {DOC.name}")
    a = p.parse_args(argv)
    try:
        res = run(a)
    except GanzooError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(json.dumps({k: v for k, v in res.items() if k in ("truncation",)}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
