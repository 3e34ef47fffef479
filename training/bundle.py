"""Ship trained runs as zoo entries.

    python -m training.bundle dcgan-mnist cgan-mnist ... [--runs runs]

For each entry: copies runs/NAME/model/{config.json, model.safetensors, samples.png, curves.png}
into ganzoo/weights/NAME/, the discriminator to zoo_extras/ (for the Hub folder; not in the installed package), run.json to
model_cards/NAME.train.json, and writes the sha256 table in ganzoo/registry.py.
"""
from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from ganzoo.errors import TrainingError
from ganzoo.folder import load_modules, sha256_file
from ganzoo.registry import DISCRIMINATOR_SHA256, SHA256, ZOO

from .markers import replace_between

BUNDLED = ("config.json", "model.safetensors", "samples.png", "curves.png")  # each hash-checked at load

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("names", nargs="+")
    p.add_argument("--runs", default="runs")
    a = p.parse_args(argv)
    table = {k: dict(v) for k, v in SHA256.items()}
    disc_table = dict(DISCRIMINATOR_SHA256)
    for name in a.names:
        if name not in ZOO:
            raise TrainingError(f"{name!r} is not a zoo entry; entries: {', '.join(ZOO)}")
        src = Path(a.runs) / name / "model"
        load_modules(src, discriminator=True)  # strict check before shipping
        dst = ROOT / "ganzoo" / "weights" / name
        dst.mkdir(parents=True, exist_ok=True)
        files = [f for f in BUNDLED if (src / f).is_file()]
        for f in files:
            shutil.copy2(src / f, dst / f)
        (ROOT / "zoo_extras").mkdir(exist_ok=True)
        disc = ROOT / "zoo_extras" / f"{name}.discriminator.safetensors"
        shutil.copy2(src / "discriminator.safetensors", disc)
        disc_table[name] = sha256_file(disc)
        run = json.loads((Path(a.runs) / name / "run.json").read_text())
        (ROOT / "model_cards" / f"{name}.train.json").write_text(json.dumps(run, indent=2) + "\n")
        table[name] = {f: sha256_file(dst / f) for f in files}
        print(f"{name}: {table[name]}")
    body = "SHA256: dict[str, dict[str, str]] = {\n" + "".join(
        f'    "{n}": {{\n' + "".join(f'        "{f}": "{h}",\n' for f, h in table[n].items()) + "    },\n"
        for n in ZOO if n in table) + "}"
    replace_between(ROOT / "ganzoo" / "registry.py", "# --- SHA256 begin ---", "# --- SHA256 end ---", body)
    body = "DISCRIMINATOR_SHA256: dict[str, str] = {\n" + "".join(
        f'    "{n}": "{disc_table[n]}",\n' for n in ZOO if n in disc_table) + "}"
    replace_between(ROOT / "ganzoo" / "registry.py", "# --- DISCRIMINATOR SHA256 begin ---",
                    "# --- DISCRIMINATOR SHA256 end ---", body)


if __name__ == "__main__":
    main()
