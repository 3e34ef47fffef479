"""What a style-based entry (stylegan2-*) does that no other family does, measured, and the pictures of its docs.

    python benchmarks/stylegan2.py stylegan2-mnist --data-root ../shared/data [--update-docs]

- truncation: `ganzoo eval NAME --n 10000 --seed 0 --truncation PSI` (ganzoo.metrics.evaluate, the test split) at
  psi 1.0, 0.85, 0.7, 0.5: classifier FD, precision, recall and the smallest class share at each (fidelity against
  variety: truncation is a trade, not a gain);
- equal CPU time: the entry beside dcgan-* and wgan-gp-* of its data set, read off the records, never re-run:
  (a) benchmarks/compare.py's equal-CPU rows (`equal_cpu`, this entry as the reference) from the ablation records
  of runs that trained each entry's current recipe; (b) each baseline's full released run (its manifest: CPU time,
  best selection FD) beside the best selection FD this entry's run had reached within the same CPU time (its
  ablation record: `python -m training.ablation collect runs/NAME-vN --note ...` after the run);
- projection: the first --project test images inverted into W and W+ (`model.invert(..., space=...)`), MSE.

Writes model_cards/NAME.style.json, which `ganzoo card NAME` reads (the truncation and equal-CPU tables of a
style-based entry's card; the card refuses a JSON measured on other weights), and with --update-docs the pictures
benchmarks/results/NAME-{truncation,mixing-2,mixing-4,projection}.png and the NAME section of docs/stylegan2.md.
A model folder instead of a zoo name (an unreleased run's model/) needs --entry (whose records and baselines to use)
and --json.
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
DOC = ROOT / "docs" / "stylegan2.md"
CARDS = ROOT / "model_cards"
TABLE_PSI = (1.0, 0.85, 0.7, 0.5)
BASELINES = ("dcgan", "wgan-gp")  # the families the issue compares with, per data set
PROJECT = 8  # test images projected for the picture and the MSE


def projection(model, root, k: int = PROJECT, steps: int = 1000) -> tuple[torch.Tensor, dict]:
    """(originals, W and W+ reconstructions stacked as three rows; MSE per space) of the first k test images."""
    from ganzoo.datasets import load_idx_split

    x, _ = load_idx_split(model.config["dataset"], "test", root)
    x = torch.from_numpy(x[:k].copy()).float().div(255)[:, None]
    rows, mse = [x], {}
    for space in ("w", "w+"):
        w, err = model.invert(x, space=space, steps=steps, return_error=True)
        rows.append(model.generate(w, space=space).cpu())
        mse[space] = float(err.mean())
    return torch.cat(rows), mse


def pictures(model, name: str, root, out: Path, k: int, steps: int = 1000) -> dict:
    """The docs' pictures of `model` in `out`; returns the projection MSE per space (empty for k = 0)."""
    from ganzoo.control import FIGURE_SEEDS, MIX_COLS, MIX_ROWS, mixing_figure, truncation_grid

    model.save_grid(truncation_grid(model), out / f"{name}-truncation.png", nrow=len(FIGURE_SEEDS))
    for crossover in (2, 4):
        tiles, nrow = mixing_figure(model, list(MIX_ROWS), list(MIX_COLS), crossover=crossover)
        model.save_grid(tiles, out / f"{name}-mixing-{crossover}.png", nrow=nrow)
    if not k:
        return {}
    grid, mse = projection(model, root, k, steps)
    model.save_grid(grid, out / f"{name}-projection.png", nrow=k)
    return mse


def docs_section(res: dict, pictures_rel: str = "../benchmarks/results") -> str:
    """The generated markdown of one entry in docs/stylegan2.md."""
    from ganzoo.cards import style_tables

    name = res["entry"]
    parts = [
        f"Measured by `{res['command']}` ({res['date']}, {res['hardware']}, torch {res['torch']}) on {res['model']}.",
        "",
        f"![{name}: the same seeds (columns) at psi {', '.join(map(str, res['psi_grid']))} (rows, top to bottom)]"
        f"({pictures_rel}/{name}-truncation.png)",
        "",
        style_tables(res),
        "",
        f"Style mixing, crossover 2 (rows: the coarse styles, 7x7, of the left column's sources; columns: the fine "
        f"ones of the top row's):\n\n![{name}: style mixing at crossover 2]({pictures_rel}/{name}-mixing-2.png)",
        "",
        f"Crossover 4 (the rows keep 7x7 and 14x14):\n\n![{name}: style mixing at crossover 4]"
        f"({pictures_rel}/{name}-mixing-4.png)",
    ]
    if res.get("projection_mse"):
        p = res["projection_mse"]
        parts += [
            "",
            f"Projection of the first {res['projection_images']} test images ({res['projection_steps']} steps from "
            f'w_avg; top: originals; then `invert(..., space="w")`, MSE {p["w"]:.4f}; then `space="w+"`, '
            f"MSE {p['w+']:.4f}):\n\n"
            f"![{name}: projection into W and W+]({pictures_rel}/{name}-projection.png)",
        ]
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python benchmarks/stylegan2.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("model", help="a style-based zoo entry (stylegan2-mnist) or a model folder (with --entry, --json)")
    p.add_argument("--data-root", help="data root holding MNIST/ FashionMNIST/ (default $GANZOO_DATA or ./data)")
    p.add_argument("--entry", help="for a model folder: the zoo entry whose records and baselines to use")
    p.add_argument("--json", type=Path, help="where to write the results (default model_cards/NAME.style.json)")
    p.add_argument("--n", type=int, default=10000, help="samples per truncation evaluation (default 10000)")
    p.add_argument("--psi", default=",".join(map(str, TABLE_PSI)), help="the table's psi values, comma separated")
    p.add_argument("--project", type=int, default=PROJECT, help="test images to project for the docs (0: none)")
    p.add_argument("--project-steps", type=int, default=1000, help="optimisation steps per projection (default 1000)")
    p.add_argument("--update-docs", action="store_true", help=f"write the pictures and the section of {DOC.name}")
    a = p.parse_args(argv)
    try:
        res = run(a)
    except GanzooError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(json.dumps({k: v for k, v in res.items() if k in ("truncation", "projection_mse")}, indent=1))
    return 0


def parse_psis(text: str) -> list[float]:
    try:
        psis = [float(t) for t in text.split(",") if t.strip()]
    except ValueError:
        psis = []
    if not psis or not all(0 <= v <= 1 for v in psis):
        raise GanzooError(f"--psi must be comma-separated numbers in [0, 1] such as 1,0.7,0.5, got {text!r}")
    return psis


def run(a) -> dict:
    from ganzoo.control import PSI_VALUES
    from benchmarks.compare import (
        check_same_dataset,
        compare_equal_cpu,
        cpu_name,
        model_and_entry,
        truncation_rows,
    )
    from ganzoo.folder import sha256_file

    psis = parse_psis(a.psi)
    if a.n < 10:
        raise GanzooError(f"--n must be >= 10 to measure FD, got {a.n}")
    if not 0 <= a.project <= 100:
        raise GanzooError(f"--project must be 0..100 test images, got {a.project}")
    if a.project_steps < 1:
        raise GanzooError(f"--project-steps must be >= 1, got {a.project_steps}")
    source, entry = model_and_entry(a.model, a.entry, a.json)
    if entry not in ganzoo.registry.ZOO:
        raise GanzooError(
            f"{entry!r} is not a zoo entry; style-based entries: stylegan2-mnist, stylegan2-fashion-mnist"
        )
    model = ganzoo.load(source)
    if not model.has_w_space:
        raise GanzooError(f"{a.model} ({model.architecture}) is not style-based: this script measures stylegan2-*")
    check_same_dataset(model, a.model, entry)
    torch.set_num_threads(1)
    torch.manual_seed(0)
    out = a.json or CARDS / f"{entry}.style.json"
    res = {
        "entry": entry,
        "model": str(model.source),
        "version": model.version,
        "model_sha256": sha256_file(Path(model.folder) / "model.safetensors"),
        "command": "python benchmarks/stylegan2.py " + " ".join(_argv(a)),
        "date": time.strftime("%Y-%m-%d"),
        "hardware": cpu_name(),
        "torch": torch.__version__,
        "protocol": {"n_generated": a.n, "seed": 0, "real_split": "test"},
        "psi_grid": list(PSI_VALUES),
        "truncation": truncation_rows(model, psis, a.n, a.data_root, key="psi"),
        "equal_cpu": compare_equal_cpu(entry, model, BASELINES),
    }
    if a.update_docs:
        from training.markers import replace_section

        RESULTS.mkdir(exist_ok=True)
        res["projection_mse"] = pictures(model, entry, a.data_root, RESULTS, a.project, a.project_steps)
        res["projection_images"], res["projection_steps"] = a.project, a.project_steps
        replace_section(DOC, entry, docs_section(res))
    from ganzoo.fileio import atomic_write_text

    atomic_write_text(out, json.dumps(res, indent=1) + "\n")
    print(f"wrote {out}")
    return res


def _argv(a) -> list[str]:
    """The command line that reproduces this measurement (for the card and the docs)."""
    args = [str(a.model)]
    if a.entry:
        args += ["--entry", a.entry]
    args += ["--n", str(a.n), "--psi", a.psi, "--data-root", "DATA"]
    if a.update_docs:
        args += ["--project", str(a.project), "--project-steps", str(a.project_steps)]
    return args + (["--update-docs"] if a.update_docs else [])


if __name__ == "__main__":
    sys.exit(main())
