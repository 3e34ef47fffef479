"""Ship trained runs as zoo entries.

    python -m training.bundle dcgan-mnist cgan-mnist ... [--runs runs]

For each entry: copies runs/NAME/model/{config.json, model.safetensors, samples.png} into
ganzoo/weights/NAME/, the discriminator to zoo_extras/ (for the Hub folder), run.json to
model_cards/NAME.train.json, and writes the sha256 table in ganzoo/registry.py.
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
from pathlib import Path

from ganzoo.folder import sha256_file, load_modules
from ganzoo.registry import ZOO

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("names", nargs="+")
    p.add_argument("--runs", default="runs")
    a = p.parse_args(argv)
    reg = ROOT / "ganzoo" / "registry.py"
    text = reg.read_text()
    table = dict(re.findall(r'"([\w-]+)": "([0-9a-f]{64})"', text.split("# --- SHA256 begin ---")[1]))
    for name in a.names:
        if name not in ZOO:
            raise SystemExit(f"error: {name!r} is not a zoo entry")
        src = Path(a.runs) / name / "model"
        load_modules(src, discriminator=True)  # strict check before shipping
        dst = ROOT / "ganzoo" / "weights" / name
        dst.mkdir(parents=True, exist_ok=True)
        for f in ("config.json", "model.safetensors", "samples.png"):
            shutil.copy2(src / f, dst / f)
        (ROOT / "zoo_extras").mkdir(exist_ok=True)
        shutil.copy2(src / "discriminator.safetensors", ROOT / "zoo_extras" / f"{name}.discriminator.safetensors")
        run = json.loads((Path(a.runs) / name / "run.json").read_text())
        (ROOT / "model_cards" / f"{name}.train.json").write_text(json.dumps(run, indent=2) + "\n")
        table[name] = sha256_file(dst / "model.safetensors")
        print(f"{name}: {table[name]}")
    body = "".join(f'    "{k}": "{v}",\n' for k, v in sorted(table.items(), key=lambda kv: list(ZOO).index(kv[0])))
    new = re.sub(r"(# --- SHA256 begin ---\n).*?(# --- SHA256 end ---)",
                 lambda m: m.group(1) + "SHA256: dict[str, str] = {\n" + body + "}\n" + m.group(2), text, flags=re.S)
    reg.write_text(new)


if __name__ == "__main__":
    main()
