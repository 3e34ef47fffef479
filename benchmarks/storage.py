"""What half-precision storage would cost each zoo entry: FD and size with the generator's weights rounded to
float16 (stored as float16, computed in float32 after loading), against the published float32 numbers.

    python benchmarks/storage.py --data-root ../shared/data [--entries dcgan-mnist,...]

Writes benchmarks/results/storage.json. The zoo's protocol: `ganzoo eval NAME --n 10000 --seed 0`.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

import ganzoo
from ganzoo.metrics import evaluate, fd_key
from ganzoo.registry import ZOO, list_models

OUT = Path(__file__).resolve().parent / "results" / "storage.json"


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--data-root", required=True)
    # generators: a translation entry (two domains) is measured by `ganzoo eval`'s translation protocol instead
    sampled = [n for n in list_models(with_weights=True) if not ZOO[n].dataset_b]
    p.add_argument("--entries", default=",".join(sampled))
    a = p.parse_args()
    torch.set_num_threads(1)
    results = json.loads(OUT.read_text()) if OUT.is_file() else {}
    for name in a.entries.split(","):
        m = ganzoo.load(name)
        fd32 = ZOO[name].manifest["evaluation"]["metrics"][fd_key(ZOO[name].dataset)]
        with torch.no_grad():
            for t in m.generator.state_dict().values():
                if t.is_floating_point():
                    t.copy_(t.half().float())
        res = evaluate(m, n=10000, seed=0, root=a.data_root)["metrics"]
        fd16 = res[fd_key(ZOO[name].dataset)]
        n_bytes = sum(t.numel() * t.element_size() for t in m.generator.state_dict().values())
        results[name] = {
            "version": m.version,
            "fd_float32": fd32,
            "fd_float16_weights": fd16,
            "fd_change_pct": 100 * (fd16 - fd32) / fd32,
            "float32_mb": n_bytes / 1e6,
            "float16_mb": n_bytes / 2e6,
            "min_class_share_float16": res["min_class_share"],
            "date": time.strftime("%Y-%m-%d"),
            "torch": torch.__version__,
        }
        print(
            f"{name:<22} FD {fd32:8.3f} -> {fd16:8.3f} ({results[name]['fd_change_pct']:+.2f} %), "
            f"{n_bytes / 1e6:.2f} -> {n_bytes / 2e6:.2f} MB",
            flush=True,
        )
        OUT.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
