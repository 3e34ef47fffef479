"""The `ganzoo` command line: list, info, sample, eval, export, publish, card, train."""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from .errors import GanzooError


def _labels(text: str | None):
    if text is None:
        return None
    parts = [p.strip() for p in text.split(",") if p.strip()]
    vals = [int(p) if p.lstrip("-").isdigit() else p for p in parts]
    return vals[0] if len(vals) == 1 else vals


def cmd_list(a) -> None:
    from .registry import ZOO, list_models

    names = list_models(a.pattern, with_weights=not a.all)
    print(f"{'name':<22} {'architecture':<9} {'dataset':<14} {'weights':<8} hub repo")
    for n in names:
        e = ZOO[n]
        print(f"{n:<22} {e.arch:<9} {e.dataset:<14} {'bundled' if e.has_weights else '-':<8} {e.hub_repo}")
    if not names:
        print("(no entries match; try `ganzoo list --all`)")


def cmd_info(a) -> None:
    from .registry import ZOO, info

    out = info(a.name) if a.name in ZOO else {}
    try:
        from . import load

        m = load(a.name, revision=a.revision)
        out.update({"latent_dim": m.latent_dim, "image_shape": list(m.image_shape), "num_classes": m.num_classes,
                    "class_names": m.class_names, "config": m.config})
    except GanzooError as e:
        if not out:
            raise
        out["load"] = str(e)
    print(json.dumps(out, indent=2))


def cmd_sample(a) -> None:
    from . import load

    m = load(a.name, device=a.device, revision=a.revision)
    imgs = m.sample(a.n, labels=_labels(a.labels), seed=a.seed, truncation=a.truncation)
    path = m.save_grid(imgs, a.output, nrow=a.nrow)
    print(f"wrote {a.n} samples of {m.source} to {path}")


def cmd_eval(a) -> None:
    from . import load
    from .metrics import evaluate

    m = load(a.name, revision=a.revision)
    if a.inception_weights:
        from .inception import inception_metrics

        res = inception_metrics(m, a.inception_weights, n=a.n, seed=a.seed, root=a.data_root)
    else:
        res = evaluate(m, n=a.n, seed=a.seed, root=a.data_root)
    print(format_table(res))
    if a.json:
        Path(a.json).write_text(json.dumps(res, indent=2) + "\n")
        print(f"wrote {a.json}")


def format_table(res: dict) -> str:
    rows = [f"{'metric':<28} value"]
    for k, v in res["metrics"].items():
        rows.append(f"{k:<28} {v:.4f}" if isinstance(v, float) else f"{k:<28} {v}")
    rows.append("protocol: " + ", ".join(f"{k}={v}" for k, v in res["protocol"].items()))
    return "\n".join(rows)


def cmd_export(a) -> None:
    from . import load
    from .export import verify_onnx

    m = load(a.name, revision=a.revision)
    path = m.export_onnx(a.output, opset=a.opset, uint8=a.uint8, check=False)
    diffs = verify_onnx(m, path, uint8=a.uint8)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB); checked with onnx.checker and onnxruntime: "
          + ", ".join(f"batch {b}: max|diff| {d:.1e}" for b, d in diffs.items()))


def cmd_publish(a) -> None:
    from .publish import publish

    publish(a.source, a.repo_id, private=a.private, revision=a.revision, create_pr=a.create_pr,
            dry_run=a.dry_run, include_onnx=a.include_onnx, eval_json=a.eval_json, card=a.card)


def cmd_card(a) -> None:
    from .cards import write_card

    path = write_card(a.name, eval_json=a.eval_json, run_json=a.run_json, out=a.output)
    print(f"wrote {path}")


def cmd_train(a, rest: list[str]) -> None:
    try:
        import training  # noqa: F401 - only to give a clear error; the run is a subprocess
    except ImportError:
        raise GanzooError("the training recipes are not installed: run from a ganzoo checkout, "
                          "or `pip install ganzoo[train]`.") from None
    sys.exit(subprocess.call([sys.executable, "-m", "training.train", *rest]))


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ganzoo", description="GAN model zoo: list, sample, evaluate, export, publish.")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("list", help="list zoo entries")
    s.add_argument("pattern", nargs="?", default="*", help="glob, e.g. '*-mnist'")
    s.add_argument("--all", action="store_true", help="include entries without bundled weights")
    s = sub.add_parser("info", help="describe a model")
    s.add_argument("name")
    s.add_argument("--revision")
    s = sub.add_parser("sample", help="write a grid of samples to a PNG")
    s.add_argument("name", help="zoo name, model folder or OWNER/NAME Hub repo")
    s.add_argument("-n", type=int, default=64)
    s.add_argument("--seed", type=int)
    s.add_argument("--labels", help="ints or class names, comma separated: 3,3,7 or Sneaker")
    s.add_argument("--truncation", type=float)
    s.add_argument("--nrow", type=int)
    s.add_argument("--device", default="cpu")
    s.add_argument("--revision")
    s.add_argument("-o", "--output", default="samples.png")
    s = sub.add_parser("eval", help="measure a model (classifier FD, KID, precision/recall, coverage)")
    s.add_argument("name")
    s.add_argument("--n", type=int, default=10000)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--data-root", help="data root holding MNIST/ FashionMNIST/ (default $GANZOO_DATA or ./data)")
    s.add_argument("--json", help="write every number and the protocol here")
    s.add_argument("--inception-weights", help="local FID Inception weights (pt_inception-2015-12-05) for "
                                               "Inception FID/IS/KID via torch-fidelity")
    s.add_argument("--revision")
    s = sub.add_parser("export", help="export the generator to ONNX and verify it")
    s.add_argument("name")
    s.add_argument("-o", "--output", required=True)
    s.add_argument("--opset", type=int, default=18)
    s.add_argument("--uint8", action="store_true", help="output uint8 N x H x W x C")
    s.add_argument("--revision")
    s = sub.add_parser("publish", help="validate and upload a model folder to the Hugging Face Hub")
    s.add_argument("source", help="run folder (with model/), model folder or zoo name")
    s.add_argument("--repo-id", required=True)
    s.add_argument("--private", action="store_true")
    g = s.add_mutually_exclusive_group()
    g.add_argument("--revision", help="branch to push to")
    g.add_argument("--create-pr", action="store_true")
    s.add_argument("--dry-run", action="store_true")
    s.add_argument("--include-onnx", action="store_true")
    s.add_argument("--eval-json", help="eval JSON the card's metrics must equal (default: model_cards/NAME.eval.json)")
    s.add_argument("--card", help="model card (default: model_cards/NAME.md for zoo entries)")
    s = sub.add_parser("card", help="generate a zoo entry's model card from its eval JSON")
    s.add_argument("name")
    s.add_argument("--eval-json")
    s.add_argument("--run-json")
    s.add_argument("-o", "--output")
    sub.add_parser("train", help="train a recipe (python -m training.train ...)", add_help=False)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["train"]:
        cmd_train(None, argv[1:])
    a = build_parser().parse_args(argv)
    try:
        {"list": cmd_list, "info": cmd_info, "sample": cmd_sample, "eval": cmd_eval, "export": cmd_export,
         "publish": cmd_publish, "card": cmd_card}[a.cmd](a)
    except (GanzooError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
