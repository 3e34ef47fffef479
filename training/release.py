"""Release a trained run as a new version of a zoo entry.

    ganzoo eval runs/X/model --n 10000 --seed 0 --json runs/X/eval.json     # the test-split evaluation
    python -m training.release wgan-mnist --run runs/X --version v9 --eval-json runs/X/eval.json

Writes ganzoo/weights/NAME/ (config.json, model.safetensors, samples.png, curves.png, the family's pictures drawn
from the weights by ganzoo.control.write_entry_figures: a style-based entry's truncation.png and mixing.png, a
BigGAN's truncation.png, a ProGAN's resolution-7.png, -14.png, -28.png; and manifest.json: the version, sha256 of
every file, the exact recipe, command, hardware, CPU and wall time, metrics) and
zoo_extras/NAME.discriminator.safetensors. No Python source is edited: the registry reads the manifest.

A version is released once: its recipe must be the literal for that version in training/recipes.py (so anyone
can retrain it), it must be newer than the bundled one, and the run must have trained exactly that recipe.
Then regenerate the card (`ganzoo card NAME`), the golden samples (`python -m training.golden NAME`) and the zoo
table (`python -m training.report --update-zoo README.md`). A style-based, ProGAN or BigGAN entry's card also needs
its measured tables (truncation, equal CPU time), measured first: `python -m training.ablation collect runs/X --note
...` (the run's FD curve as an ablation record) and `python benchmarks/stylegan2.py NAME --data-root DATA
--update-docs` (stylegan2-*) or `python benchmarks/progan_biggan.py NAME --data-root DATA --update-docs`. A
CycleGAN entry's card needs its class mapping read by every classifier: `python benchmarks/cyclegan_mapping.py NAME
--data-root DATA --update-docs`.

A translation entry (CycleGAN: no latent, two domains) is measured by `ganzoo eval RUN/model --n 10000 --json FILE`
(no seed: nothing is drawn at random), and its release also bundles one picture per direction,
classes-A-to-B.png: one row per source class, the first 8 test images of that class on the left and their
translations on the right (the card shows them beside the 10x10 class-to-class table). Those need the test
splits: `--data-root` (default: $GANZOO_DATA, else ./data).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from ganzoo import load
from ganzoo.cards import MEASURED
from ganzoo.control import write_entry_figures
from ganzoo.errors import GanzooError, TrainingError
from ganzoo.folder import load_modules, sha256_file
from ganzoo.hub import VERSION_RE
from ganzoo.registry import ARCHITECTURES, MANIFEST, WEIGHTS_DIR, ZOO

from .recipes import VERSIONS, Recipe, drop_options

BUNDLED = ("config.json", "model.safetensors", "samples.png", "curves.png")  # each hash-checked at load
ROOT = Path(__file__).resolve().parent.parent
EVAL_PROTOCOL = {"n_generated": 10000, "real_split": "test", "seed": 0}  # what every zoo number is measured with
# a translation entry's: every test image of each domain translated (ganzoo.metrics.evaluate_translation)
TRANSLATION_PROTOCOL = {"n_translated": 10000, "source_split": "test", "real_split": "test"}
PER_CLASS = 8  # test images per source class in a translation entry's class pictures


def is_translation(name: str) -> bool:
    return name in ZOO and ARCHITECTURES[ZOO[name].arch].translation


def class_picture_name(source: str, target: str) -> str:
    return f"classes-{source}-to-{target}.png"


def version_number(version: str) -> int:
    return int(version[1:])


def retrain_command(command: str, name: str, version: str) -> str:
    """The command that trains `name` `version` from scratch, from the run's own command: its options (data root,
    threads, output folder) kept, its recipe overrides and version replaced by `--version=VERSION` (check_release
    has shown that literal to be exactly the run's recipe; the run's overrides were relative to whichever recipe
    was newest when it ended, which a later release changes) and a CPU-time budget dropped (it belongs to the
    machine the run was on, not to the recipe)."""
    fields = {f.name for f in dataclasses.fields(Recipe)}
    words = command.split()
    if name not in words:  # not a training command we wrote: name the recipe alone
        return f"python -m training.train {name} --version={version}"
    head, opts = words[: words.index(name) + 1], words[words.index(name) + 1 :]
    kept = [
        w
        for w in drop_options(opts, {"--version", "--max-cpu-minutes"})
        if not (w.startswith("--") and "=" in w and (w[2:].split("=")[0] in fields or w.startswith("--model.")))
    ]
    return " ".join([*head, *kept, f"--version={version}"])


def check_release(name: str, version: str, run: dict, eval_res: dict) -> None:
    """Refuse a release that would replace weights in place, lacks its recipe literal, or was measured otherwise."""
    if name not in ZOO:
        raise TrainingError(f"{name!r} is not a zoo entry; entries: {', '.join(ZOO)}")
    if not VERSION_RE.match(version):
        raise TrainingError(f"--version must look like v1, v2, ...; got {version!r}")
    current = ZOO[name].version
    if current is not None and version_number(version) <= version_number(current):
        raise TrainingError(
            f"{name} {current} is bundled: a release must be a newer version than {current} "
            "(published weights are never replaced in place)."
        )
    recipe = VERSIONS.get(name, {}).get(version)
    if recipe is None:
        raise TrainingError(
            f"training/recipes.py has no literal for {name} {version}: add the complete recipe "
            "(a new Recipe(..., version=...) after the previous one) before releasing."
        )
    want = {k: v for k, v in json.loads(json.dumps(dataclasses.asdict(recipe))).items() if k != "version"}
    got = {k: v for k, v in run.get("recipe", {}).items() if k != "version"}
    diff = sorted(k for k in set(want) | set(got) if want.get(k) != got.get(k))
    if diff:
        raise TrainingError(
            f"the run did not train the {name} {version} recipe: {', '.join(diff)} differ "
            f"(run: {', '.join(f'{k}={got.get(k)!r}' for k in diff)}). Release only what the "
            "recipe literal reproduces."
        )
    proto = eval_res.get("protocol", {})
    want_proto = TRANSLATION_PROTOCOL if is_translation(name) else EVAL_PROTOCOL
    off = {k: proto.get(k) for k, v in want_proto.items() if proto.get(k) != v}
    if proto.get("truncation") is not None:  # a zoo number is the untruncated model's
        off["truncation"] = proto["truncation"]
    if off:
        seed = "" if is_translation(name) else " --seed 0"
        raise TrainingError(
            f"the eval JSON was not measured with the zoo's protocol {want_proto}: {off}. "
            f"Run `ganzoo eval RUN/model --n 10000{seed} --json FILE`."
        )
    if is_translation(name) and list(proto.get("domains", [])) != list(ZOO[name].domains):
        raise TrainingError(
            f"the eval JSON measured domains {proto.get('domains')}, not {name}'s {list(ZOO[name].domains)}: "
            "it belongs to another model."
        )


def write_class_pictures(model_dir: Path, out: Path, root=None) -> list[str]:
    """A translation model's pictures, one per direction: a row per source class, the first PER_CLASS test images
    of that class (left) and their translations (right, after a grey bar). Returns the file names written."""
    import numpy as np
    import torch
    from PIL import Image

    import ganzoo
    from ganzoo.datasets import load_idx_split
    from ganzoo.images import make_grid

    model = ganzoo.load(model_dir)
    names = []
    for src in model.domains:
        x, labels = load_idx_split(src, "test", root)
        idx = [i for c in range(10) for i in np.flatnonzero(labels == c)[:PER_CLASS]]
        if len(idx) != 10 * PER_CLASS:
            raise TrainingError(f"the {src} test split has fewer than {PER_CLASS} images of some class")
        originals = torch.from_numpy(x[idx].copy()).float().div(255)[:, None]
        dst = model.other(src)
        translated = model.translate(originals, to=dst)
        left, right = make_grid(originals, nrow=PER_CLASS), make_grid(translated, nrow=PER_CLASS)
        bar = np.full((left.shape[0], 4, left.shape[2]), 128, np.uint8)
        grid = np.concatenate([left, bar, right], axis=1)
        names.append(class_picture_name(src, dst))
        Image.fromarray(grid[..., 0]).save(out / names[-1])
    return names


def release(name: str, run_dir: Path, version: str, eval_json: Path, data_root=None) -> Path:
    """Write the entry's weights folder and manifest; returns the folder. `data_root`: where a translation
    entry's class pictures take their test images from."""
    src = run_dir / "model"
    has_d = name not in ZOO or ARCHITECTURES[ZOO[name].arch].discriminator is not None  # a VAE has none
    needed = (run_dir / "run.json", eval_json, *([src / "discriminator.safetensors"] if has_d else []))
    for f in needed:
        if not f.is_file():
            raise TrainingError(
                f"{f} is missing: release a finished run (its folder holds run.json and model/) "
                "with its test-split eval JSON."
            )
    run = json.loads((run_dir / "run.json").read_text())
    eval_res = json.loads(eval_json.read_text())
    check_release(name, version, run, eval_res)
    load_modules(src, discriminator=has_d)  # strict check before shipping
    dst = WEIGHTS_DIR / name
    staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=WEIGHTS_DIR))  # unique, ours: swapped in whole
    files = [f for f in BUNDLED if (src / f).is_file()]
    for f in files:
        shutil.copy2(src / f, staging / f)
    try:
        if is_translation(name):
            files += write_class_pictures(src, staging, data_root)
        else:  # a style-based entry's psi grid and mixing figure, a BigGAN's truncation grid, a ProGAN's stages
            files += [p.name for p in write_entry_figures(load(src), staging)]
    except BaseException:
        shutil.rmtree(staging)
        raise
    extras = ROOT / "zoo_extras"
    extras.mkdir(exist_ok=True)
    disc = extras / f"{name}.discriminator.safetensors"
    manifest = {
        "name": name,
        "version": version,
        "architecture": ZOO[name].arch,
        "dataset": ZOO[name].dataset,
        "files": {f: sha256_file(staging / f) for f in files},
        "discriminator_sha256": sha256_file(src / "discriminator.safetensors") if has_d else None,
        "recipe": run["recipe"] | {"version": version},
        "training": {k: v for k, v in run.items() if k != "recipe"}
        | {"command": retrain_command(run.get("command", ""), name, version)},
        "evaluation": eval_res,
    }
    (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    if has_d:
        shutil.copy2(src / "discriminator.safetensors", disc)
    if dst.exists():  # the previous version stays in git history (and on the Hub under its tag)
        old = Path(tempfile.mkdtemp(prefix=f".{name}-old-", dir=WEIGHTS_DIR))
        os.replace(dst, old / name)
        os.replace(staging, dst)
        shutil.rmtree(old)
    else:
        os.replace(staging, dst)
    return dst


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m training.release", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("name", help="zoo entry, e.g. wgan-mnist")
    p.add_argument("--run", required=True, type=Path, help="finished training run folder (run.json, model/)")
    p.add_argument("--version", required=True, help="the new version, e.g. v9")
    p.add_argument(
        "--eval-json", required=True, type=Path, help="`ganzoo eval RUN/model --n 10000 --seed 0 --json FILE` output"
    )
    p.add_argument(
        "--data-root", help="a translation entry's test images for its class pictures (default: $GANZOO_DATA, ./data)"
    )
    a = p.parse_args(argv)
    try:
        dst = release(a.name, a.run, a.version, a.eval_json, a.data_root)
    except GanzooError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    style = ""
    if ZOO[a.name].arch in MEASURED:  # its card reads tables measured from the weights (and the records)
        _, script, _, keys = MEASURED[ZOO[a.name].arch]
        if "equal_cpu" in keys:  # the equal-CPU table reads the run's FD curve from its ablation record
            style = (
                f'`python -m training.ablation collect {a.run} --note "recipe {a.version}, the released run"` '
                "(unless collected), "
            )
        style += f"`python {script} {a.name} --data-root DATA --update-docs`, "
    print(
        f"released {a.name} {a.version} to {dst}. Next: {style}`ganzoo card {a.name}`, "
        f"`python -m training.golden {a.name}`, `python -m training.report --update-zoo README.md`."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
