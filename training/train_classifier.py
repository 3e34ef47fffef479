"""Train the small evaluation classifier for a data set and ship it in the package.

    python -m training.train_classifier mnist [--data-root ../shared/data]

Writes ganzoo/weights/classifiers/<dataset>.safetensors and .json (test accuracy, command).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm import tqdm

from ganzoo.folder import sha256_file
from ganzoo.metrics import CLASSIFIER_DIR, Classifier

from .data import load_images


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("dataset", choices=["mnist", "fashion-mnist"])
    p.add_argument("--data-root")
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", default=str(CLASSIFIER_DIR))
    a = p.parse_args(argv)
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    t0 = time.time()
    x, y = load_images(a.dataset, a.data_root, train=True)
    xt, yt = load_images(a.dataset, a.data_root, train=False)
    net = Classifier()
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, 3e-3, total_steps=a.epochs * (len(x) // 128))
    g = torch.Generator().manual_seed(a.seed)
    for epoch in range(a.epochs):
        net.train()
        perm = torch.randperm(len(x), generator=g)
        for i in tqdm(range(0, len(x) - 127, 128), desc=f"epoch {epoch}"):
            idx = perm[i : i + 128]
            xb = x[idx].float() / 255
            # light augmentation (random shifts) so features generalise beyond the training pixels
            xb = torch.roll(xb, shifts=tuple(torch.randint(-2, 3, (2,), generator=g).tolist()), dims=(2, 3))
            loss = F.cross_entropy(net(xb)[1], y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    net.eval()
    with torch.inference_mode():
        pred = torch.cat([net(xt[i : i + 1000].float() / 255)[1].argmax(1) for i in range(0, len(xt), 1000)])
    acc = float((pred == yt).float().mean())
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    from safetensors.torch import save_file

    path = out / f"{a.dataset}.safetensors"
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(path))
    meta = {
        "dataset": a.dataset,
        "test_accuracy": acc,
        "epochs": a.epochs,
        "seed": a.seed,
        "train_seconds": round(time.time() - t0, 1),
        "threads": a.threads,
        "sha256": sha256_file(path),
        "command": "python -m training.train_classifier " + " ".join(argv if argv is not None else sys.argv[1:]),
    }
    path.with_suffix(".json").write_text(json.dumps(meta, indent=2) + "\n")
    print(json.dumps(meta, indent=2))
    return meta


if __name__ == "__main__":
    main()
