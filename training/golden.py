"""Golden samples: a small stored reference of every bundled entry's images, per version.

    python -m training.golden                 # write the missing files for every bundled entry
    python -m training.golden wgan-mnist      # one entry

tests/golden/NAME-VERSION.safetensors holds 8 latents (and labels for conditional entries) and the images
`model.generate` made from them (float16). tests/test_golden.py regenerates them: a change that moves any
published image fails it, unless the entry's version changes too (a new version gets a new file). The latents
are stored, not seeds, so the check holds whatever draws latents from seeds. A golden file of a version is
never rewritten: this command only writes missing ones.
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


def write(name: str) -> Path | None:
    """Write NAME's golden file for its bundled version; None when it exists already (never rewritten)."""
    from safetensors.torch import save_file

    import ganzoo

    model = ganzoo.load(name)
    out = golden_path(name, model.version)
    if out.exists():
        return None
    z, y = golden_inputs(model)
    with torch.no_grad():
        images = model.generate(z, y)
    tensors = {"z": z.contiguous(), "images": images.to(torch.float16).contiguous()}
    if y is not None:
        tensors["labels"] = y.contiguous()
    GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(out), metadata={"name": name, "version": model.version})
    return out


def main(argv: list[str] | None = None) -> int:
    from ganzoo.registry import ZOO, list_models

    p = argparse.ArgumentParser(
        prog="python -m training.golden", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("names", nargs="*", help="zoo entries (default: every entry with bundled weights)")
    a = p.parse_args(argv)
    bad = [n for n in a.names if n not in ZOO or not ZOO[n].has_weights]
    if bad:
        print(f"error: not zoo entries with bundled weights: {', '.join(bad)}", file=sys.stderr)
        return 2
    for name in a.names or list_models(with_weights=True):
        out = write(name)
        print(f"{name}: {'wrote ' + str(out) if out else 'golden file exists (never rewritten)'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
