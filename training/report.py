"""Print the zoo's results table (markdown) from model_cards/*.eval.json and *.train.json.

    python -m training.report > /tmp/table.md

Every number comes from those files: nothing is typed by hand.
"""
from __future__ import annotations

import json
from pathlib import Path

from ganzoo.registry import ZOO

CARDS = Path(__file__).resolve().parent.parent / "model_cards"


def rows() -> list[dict]:
    out = []
    for name, e in ZOO.items():
        ev, tr = CARDS / f"{name}.eval.json", CARDS / f"{name}.train.json"
        if not ev.is_file():
            continue
        m = json.loads(ev.read_text())["metrics"]
        run = json.loads(tr.read_text()) if tr.is_file() else {}
        out.append({"name": name, "fd": m[f"fd_{e.dataset}_classifier"], "kid": m["kid"],
                    "precision": m["precision"], "recall": m["recall"], "coverage": m["coverage"],
                    "min_class_share": m["min_class_share"], "label_accuracy": m.get("label_accuracy"),
                    "minutes": run.get("wall_seconds", 0) / 60, "steps": run.get("steps"),
                    "best_step": run.get("best_step"), "command": run.get("command", ""),
                    "hardware": run.get("hardware", "")})
    return out


def main() -> None:
    print("| entry | FD (classifier) | KID | precision | recall | coverage | min class share | label acc. "
          "| steps (best) | wall time | command |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows():
        la = f"{r['label_accuracy']:.4f}" if r["label_accuracy"] is not None else "-"
        print(f"| {r['name']} | {r['fd']:.2f} | {r['kid']:.3f} | {r['precision']:.3f} | {r['recall']:.3f} "
              f"| {r['coverage']:.3f} | {r['min_class_share']:.3f} | {la} | {r['steps']} ({r['best_step']}) "
              f"| {r['minutes']:.1f} min | `{r['command']}` |")
    hw = {r["hardware"] for r in rows()}
    print(f"\nHardware: {'; '.join(sorted(hw))}. Evaluation: `ganzoo eval NAME --n 10000 --seed 0` against "
          "the 10,000-image test split.")


if __name__ == "__main__":
    main()
