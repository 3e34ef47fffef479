"""The ablation table: recipe variants compared at equal CPU time.

    # a proxy run: one thread, stopped at a CPU budget, evaluated every 250 steps
    python -m training.train dcgan-mnist --out runs/ablation/dcgan-mnist-sn --threads 1 --quiet \\
        --max-cpu-minutes 12 --steps=100000 --eval_every=250 --model.d_norm=spectral
    python -m training.ablation collect runs/ablation/dcgan-mnist-sn --note "spectral norm in D, no BatchNorm"
    python -m training.ablation table --update training/README.md

`collect` keeps only the measurements (command, FD over CPU time) in training/ablation/NAME.json (NAME: the run
folder's name, or `--name` for a short folder such as runs/gfm-x);
`table` reads those files and writes the markdown table between the README's ablation markers.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ganzoo.errors import TrainingError

from .markers import replace_section
from .plots import column, read_csv
from .report import processor

HERE = Path(__file__).resolve().parent / "ablation"
BUDGETS = (3, 6, 8, 10)  # CPU minutes at which the table reads each curve (8: the wgan proxies' budget)


def collect(run: Path, note: str, name: str | None = None) -> Path:
    """Write training/ablation/NAME.json from a finished proxy run folder (NAME: `name`, else the folder's name)."""
    if not (run / "run.json").is_file():
        raise TrainingError(
            f"{run} has no run.json: the run has not finished. Finish it (`python -m training.train "
            f"NAME --out {run} --resume`, with --steps=STEP to end it at its last checkpoint's step), "
            "then collect it."
        )
    rec = json.loads((run / "run.json").read_text())
    evals = read_csv(run / "eval.csv")
    cpu, fd = column(evals, "cpu_seconds", "fd")
    steps, _ = column(evals, "step", "fd")
    # the full recipe is the truth: the command's overrides are relative to the recipe registered when it ran
    name = name or run.name
    out = {
        "name": name,
        "recipe": rec["recipe"]["name"],
        "note": note,
        "command": rec["command"],
        "full_recipe": rec["recipe"],
        "hardware": rec["hardware"],
        "curve": [{"cpu_seconds": c, "step": int(s), "fd": f} for c, s, f in zip(cpu, steps, fd)],
    }
    HERE.mkdir(exist_ok=True)
    path = HERE / f"{name}.json"
    path.write_text(json.dumps(out, indent=1) + "\n")
    return path


def fd_at(curve: list[dict], minutes: float) -> dict | None:
    """The last evaluation within a CPU budget, or None if the run never got there."""
    within = [p for p in curve if p["cpu_seconds"] <= minutes * 60 + 5]  # 5 s: the final eval's overshoot
    if not within or curve[-1]["cpu_seconds"] < minutes * 60 - 30:
        return None
    return within[-1]


def best_within(curve: list[dict], minutes: float) -> dict | None:
    """The evaluation with the lowest FD within a CPU budget (what a run of that length would have kept as its
    best checkpoint), or None if the run never got there."""
    if fd_at(curve, minutes) is None:
        return None
    return min((p for p in curve if p["cpu_seconds"] <= minutes * 60 + 5), key=lambda p: p["fd"])


def on_gpu(hardware: str) -> bool:
    """A run with any session on a GPU (sessions are joined by " + "): its cpu_seconds are partly the launching
    process's, not the cost of training on a CPU."""
    return "(cuda)" in hardware


def best_cell(r: dict) -> str:
    """The run's lowest selection FD over its whole curve: 'FD (step, CPU-min)', or 'FD (step, GPU)' for a run
    trained on a GPU ('GPU + CPU' when it went on on a CPU)."""
    p = min(r["curve"], key=lambda p: p["fd"])
    gpu = [on_gpu(h) for h in r["hardware"].split(" + ")]
    where = "GPU" if all(gpu) else "GPU + CPU" if any(gpu) else f"{p['cpu_seconds'] / 60:.0f} CPU-min"
    return f"{p['fd']:.1f} ({p['step']}, {where})"


def table(records: list[dict]) -> str:
    head = (
        "| recipe | variant | CPU | "
        + " | ".join(f"FD @ {b} CPU-min (step)" for b in BUDGETS)
        + " | best FD (step, when) | full recipe |"
    )
    rows = [head, "|" + "---|" * (len(BUDGETS) + 5)]
    for r in sorted(records, key=lambda r: (r["recipe"], r["name"])):
        cells = []
        for b in BUDGETS:
            p = None if on_gpu(r["hardware"]) else fd_at(r["curve"], b)  # GPU runs have no CPU-minutes to read
            cells.append(f"{p['fd']:.1f} ({p['step']})" if p else "-")
        rows.append(
            f"| {r['recipe']} | {r['note']} | {processor(r['hardware'])} | "
            + " | ".join(cells)
            + f" | {best_cell(r)} | [{r['name']}.json](ablation/{r['name']}.json) |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        prog="python -m training.ablation", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("collect")
    c.add_argument("run", type=Path)
    c.add_argument("--note", required=True, help="what this variant changes, in words")
    c.add_argument("--name", help="the record's name (default: the run folder's name), e.g. RECIPE-VARIANT")
    t = sub.add_parser("table")
    t.add_argument("--update", type=Path, help="README whose <!-- ablation begin/end --> section to rewrite")
    a = p.parse_args(argv)
    if a.cmd == "collect":
        try:
            print(collect(a.run, a.note, a.name))
        except TrainingError as e:  # a user's mistake: one line and exit code 2, as training.train
            print(f"error: {e}", file=sys.stderr)
            sys.exit(2)
        return
    text = table([json.loads(f.read_text()) for f in sorted(HERE.glob("*.json"))])
    if a.update:
        replace_section(a.update, "ablation", text)
    print(text)


if __name__ == "__main__":
    main()
