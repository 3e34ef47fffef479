"""The class mapping of a translation entry (cyclegan-*) read by every classifier ganzoo has, not only by the one
`ganzoo eval` uses: does a translation's class hold up on networks its training never saw?

    python benchmarks/cyclegan_mapping.py cyclegan-mnist-fashion-mnist --data-root ../shared/data [--n 10000]
        [--json FILE] [--update-docs]

For each direction, the first --n test images of the source are translated and each target-domain classifier reads
the translations: ganzoo's classifier (`ganzoo eval`'s FD and mapping share), the two steering ensemble members
(allconv-10 is the one a recipe's class-mapping term, `model.mapping_weight`, trains against; allconv-11 is never
in training) and the held-out judges of benchmarks/judges/ (resnet, mlp, lenet: never in training or steering).
Per reader: the mapping share (issue 38's metric), the one-to-one share and the distinct target classes
(ganzoo.metrics.mapping_summary), and how often that reader agrees with ganzoo's classifier on a translation.
Prints a markdown table; --json FILE writes the numbers to FILE. A model folder (an unreleased run's model/) works
too. For a zoo entry, --update-docs also writes model_cards/NAME.mapping.json, which `ganzoo card NAME` reads (the
card refuses a JSON measured on other weights). Unlike benchmarks/stylegan2.py and progan_biggan.py, which write
their card JSON by default, this script writes it only with --update-docs: it also measures unreleased runs.
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
from ganzoo.datasets import load_idx_split  # noqa: E402
from ganzoo.errors import GanzooError  # noqa: E402
from ganzoo.fileio import atomic_write_text  # noqa: E402
from ganzoo.folder import sha256_file  # noqa: E402
from ganzoo.models.cyclegan import MAPPING_MEMBER  # noqa: E402
from ganzoo.cli import output_path  # noqa: E402
from ganzoo.runtime import check_n  # noqa: E402
from ganzoo.metrics import class_table, load_classifier, mapping_summary  # noqa: E402
from training.judges import ARCHS, judge_path, load_judges, predict  # noqa: E402
from training.objectives import mapping_classifier  # noqa: E402

CARDS = ROOT / "model_cards"
MEMBERS = (MAPPING_MEMBER, "allconv-11")  # the steering ensemble's members (the mapping term's among them)


@torch.inference_mode()
def readers(dataset: str) -> dict:
    """Every classifier of a data set as name -> f(images in [0, 1]) -> predicted classes (N,)."""
    missing = [str(judge_path(dataset, arch)) for arch in ARCHS if not judge_path(dataset, arch).is_file()]
    if missing:  # a table without a judge's row would read as complete
        raise GanzooError(
            f"missing held-out judge(s) {', '.join(missing)}; train them with "
            f"`python -m training.train_classifier {dataset} --arch ARCH` or restore benchmarks/judges/"
        )
    out = {"ganzoo": lambda x, net=load_classifier(dataset): predict(lambda v: net(v)[1], x)}
    for m in MEMBERS:
        net = mapping_classifier(dataset, m)
        out[m] = lambda x, net=net: predict(lambda v: net(v)[1], x)
    for arch, net in load_judges(dataset).items():
        out[f"judge {arch}"] = lambda x, net=net: predict(net, x)
    return out


@torch.inference_mode()
def measure(model, n: int, root, *, every: bool = False) -> dict:
    """Per direction: the first n test images of the source translated and read by every classifier (`every`:
    refuse unless that is the whole test split, as the card's numbers are)."""
    result = {}
    for src in model.domains:
        dst = model.other(src)
        x, labels = load_idx_split(src, "test", root)
        if every and n < len(x):
            raise GanzooError(
                f"--update-docs records the card's numbers, read on every test image: {src}'s test split has "
                f"{len(x)}, --n is {n}; use --n {len(x)} or leave out --update-docs for a quick look"
            )
        x = torch.from_numpy(x[:n].copy()).float().div(255)[:, None]
        labels = torch.from_numpy(labels[:n])
        y = model.translate(x, to=dst).cpu()
        preds = {name: f(y) for name, f in readers(dst).items()}
        rows = {}
        for name, pred in preds.items():
            s = mapping_summary(class_table(labels, pred))
            rows[name] = {
                "mapping_share": round(s["mapping_share"], 4),
                "mapping_share_one_to_one": round(s["mapping_share_one_to_one"], 4),
                "mapping_classes": s["mapping_classes"],
                "agrees_with_ganzoo": round(float((pred == preds["ganzoo"]).float().mean()), 4),
            }
        result[f"{src}_to_{dst}"] = {"n": len(x), "readers": rows}
    return result


def table(result: dict) -> str:
    lines = []
    for direction, r in result.items():
        lines += [
            f"**{direction.replace('_to_', ' -> ')}** ({r['n']} test images)",
            "",
            "| reader | mapping share | one-to-one | target classes | agrees with ganzoo's classifier |",
            "|---|---|---|---|---|",
        ]
        for name, v in r["readers"].items():
            lines.append(
                f"| {name} | {v['mapping_share']:.3f} | {v['mapping_share_one_to_one']:.3f} | "
                f"{v['mapping_classes']} | {100 * v['agrees_with_ganzoo']:.1f}% |"
            )
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model", help="a translation zoo entry (cyclegan-*) or a model folder")
    p.add_argument("--data-root", help="data root holding MNIST/ FashionMNIST/ (default $GANZOO_DATA or ./data)")
    p.add_argument("--n", type=int, default=10000, help="test images per direction (default 10000)")
    p.add_argument("--json", type=Path, help="also write the numbers here")
    p.add_argument(
        "--update-docs", action="store_true", help="for a zoo entry: write model_cards/NAME.mapping.json for its card"
    )
    a = p.parse_args(argv)
    try:
        from ganzoo.cards import measured_json
        from ganzoo.registry import ZOO, canonical_name

        n = check_n(a.n)
        if a.json:
            output_path(str(a.json), (".json",), "the results", flag="--json")
        name = canonical_name(a.model)  # zoo names are case-insensitive
        if a.update_docs and name not in ZOO:
            raise GanzooError(
                f"--update-docs writes a zoo entry's card measurements; {a.model} is not a zoo entry "
                "(use --json FILE for a model folder)"
            )
        model = ganzoo.load(name)
        if not hasattr(model, "translate") or not getattr(model, "domains", None):
            raise GanzooError(f"{a.model} is not a translation model; give a cyclegan-* entry or its folder")
        if a.json and Path(model.folder).resolve() in a.json.resolve().parents:
            raise GanzooError(f"--json {a.json} is inside the model's folder; write the numbers elsewhere")
        t0 = time.process_time()
        result = measure(model, n, a.data_root, every=a.update_docs)
        n = min(r["n"] for r in result.values())  # the images read: --n may exceed a test split
        print(table(result))
        print(f"({time.process_time() - t0:.0f} CPU-s)")
        res = {
            "model": str(name),
            "version": model.version,  # None for a run's model/: the sha256 says which weights
            "model_sha256": sha256_file(Path(model.folder) / "model.safetensors"),
            "command": " ".join(
                ["python benchmarks/cyclegan_mapping.py", str(name), "--n", str(n), "--data-root", "DATA"]
                + (["--update-docs"] if a.update_docs else [])
            ),
            "n": n,
            "date": time.strftime("%Y-%m-%d"),
            "torch": torch.__version__,
            "directions": result,
        }
        outs = [a.json] if a.json else []
        outs += [CARDS / measured_json(name, "cyclegan")] if a.update_docs else []
        for out in outs:
            atomic_write_text(out, json.dumps(res, indent=1) + "\n")  # a FileWriteError says what failed
            print(f"wrote {out}")
    except GanzooError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
