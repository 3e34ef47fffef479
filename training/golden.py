"""Golden samples: a small stored reference of every bundled entry's images, per version.

    python -m training.golden                 # write the missing files for every bundled entry
    python -m training.golden wgan-mnist      # one entry

tests/golden/NAME-VERSION.safetensors holds 8 latents (and labels for conditional entries) and the images
`model.generate` made from them (float16). tests/test_golden.py regenerates them: a change that moves any
published image fails it, unless the entry's version changes too (a new version gets a new file). The latents
are stored, not seeds, so the check holds whatever draws latents from seeds. A golden file of a version is
never rewritten: this command only writes missing ones.

A translation entry (CycleGAN) has no latent: its file holds the first 8 test images of each domain ("a", "b") and
their translations into the other ("a_translated", "b_translated"); writing it reads the test splits
(`--data-root`, default $GANZOO_DATA, else ./data), checking it does not.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

GOLDEN_DIR = Path(__file__).resolve().parent.parent / "tests" / "golden"
N = 8


def golden_path(name: str, version: str) -> Path:
    return GOLDEN_DIR / f"{name}-{version}.safetensors"


def golden_inputs(model) -> tuple[torch.Tensor, torch.Tensor | None]:
    """8 latents from a fixed torch generator (stored in the file, so only their values matter), labels 0..7."""
    z = torch.randn(N, model.latent_dim, generator=torch.Generator().manual_seed(20261203))
    return z, (torch.arange(N) % model.num_classes if model.conditional else None)


def translation_inputs(model, root=None) -> dict[str, torch.Tensor]:
    """The first N test images of each domain of a translation model, (N, 1, H, W) in [0, 1]: "a" and "b"."""
    from ganzoo.datasets import load_idx_split

    return {
        key: torch.from_numpy(load_idx_split(d, "test", root)[0][:N].copy()).float().div(255)[:, None]
        for key, d in zip("ab", model.domains)
    }


def golden_images(model, inputs: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """What the model makes of a golden file's inputs, under the file's keys: "images" from "z" (and "labels"), or
    a translation model's "a_translated" and "b_translated" from "a" and "b"."""
    with torch.no_grad():
        if hasattr(model, "translate"):
            a, b = model.domains
            return {
                "a_translated": model.translate(inputs["a"], to=b),
                "b_translated": model.translate(inputs["b"], to=a),
            }
        return {"images": model.generate(inputs["z"], inputs.get("labels"))}


def write(name: str, root=None) -> Path | None:
    """Write NAME's golden file for its bundled version; None when it exists already (never rewritten)."""
    from safetensors.torch import save_file

    import ganzoo

    model = ganzoo.load(name)
    out = golden_path(name, model.version)
    if out.exists():
        return None
    if hasattr(model, "translate"):
        inputs = translation_inputs(model, root)
    else:
        z, y = golden_inputs(model)
        inputs = {"z": z} | ({"labels": y} if y is not None else {})
    tensors = {k: v.contiguous() for k, v in inputs.items()}
    tensors |= {k: v.to(torch.float16).contiguous() for k, v in golden_images(model, inputs).items()}
    GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(out), metadata={"name": name, "version": model.version})
    return out


def main(argv: list[str] | None = None) -> int:
    from ganzoo.registry import ZOO, list_models

    p = argparse.ArgumentParser(
        prog="python -m training.golden", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("names", nargs="*", help="zoo entries (default: every entry with bundled weights)")
    p.add_argument("--data-root", help="translation entries' test images (default: $GANZOO_DATA, else ./data)")
    a = p.parse_args(argv)
    bad = [n for n in a.names if n not in ZOO or not ZOO[n].has_weights]
    if bad:
        print(f"error: not zoo entries with bundled weights: {', '.join(bad)}", file=sys.stderr)
        return 2
    from ganzoo.errors import GanzooError

    for name in a.names or list_models(with_weights=True):
        try:
            out = write(name, a.data_root)
        except GanzooError as e:
            print(f"error: {name}: {e}", file=sys.stderr)
            return 2
        print(f"{name}: {'wrote ' + str(out) if out else 'golden file exists (never rewritten)'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
