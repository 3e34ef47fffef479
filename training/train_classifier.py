"""Train the small evaluation classifier for a data set and ship it in the package, a steering ensemble
member, or a held-out judge.

    python -m training.train_classifier mnist [--data-root ../shared/data]
    python -m training.train_classifier mnist --arch allconv --seed 10   # a steering ensemble member
    python -m training.train_classifier mnist --arch resnet              # a held-out judge (training/judges.py)

`--arch cnn` (the default) writes ganzoo/weights/classifiers/<dataset>.safetensors and .json (test accuracy,
command): the classifier of the metrics, steering and inversion. `--arch allconv` writes
ganzoo/weights/classifiers/<dataset>-allconv-<seed>.safetensors: steering and inversion follow every such
member beside the classifier (ganzoo.control.steering_classifiers). The other archs are judges that only
measure steering and inversion. Members and judges are trained with their own seed on randomly rotated,
scaled and shifted images and stored in float16; the judges go to benchmarks/judges/<dataset>-<arch>.*,
outside the package.
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
from ganzoo.control import AllConvNet
from ganzoo.metrics import CLASSIFIER_DIR, Classifier

from .data import load_images
from .judges import ARCHS, AUGMENT, JUDGE_DIR, random_affine

SEEDS = {"cnn": 0, "resnet": 1, "mlp": 2, "lenet": 3, "allconv": 10}  # every network its own seed
STEERING = {"cnn": Classifier, "allconv": AllConvNet}  # in the package: they guide steering and inversion


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("dataset", choices=["mnist", "fashion-mnist"])
    p.add_argument("--data-root")
    p.add_argument(
        "--arch",
        choices=[*STEERING, *ARCHS],
        default="cnn",
        help="cnn: ganzoo's classifier (default); allconv: a steering ensemble member (one per --seed); "
        "resnet, mlp, lenet: held-out judges",
    )
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--seed", type=int, help="default: 0 for cnn, 10 allconv, 1 resnet, 2 mlp, 3 lenet")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", help=f"default {CLASSIFIER_DIR} for cnn, {JUDGE_DIR} for the judges")
    a = p.parse_args(argv)
    judge = a.arch in ARCHS
    member = a.arch == "allconv"
    a.seed = SEEDS[a.arch] if a.seed is None else a.seed
    a.out = a.out or str(JUDGE_DIR if judge else CLASSIFIER_DIR)
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    t0 = time.time()
    x, y = load_images(a.dataset, a.data_root, train=True)
    xt, yt = load_images(a.dataset, a.data_root, train=False)
    net = ARCHS[a.arch]() if judge else STEERING[a.arch]()
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, 3e-3, total_steps=a.epochs * (len(x) // 128))
    g = torch.Generator().manual_seed(a.seed)
    for epoch in range(a.epochs):
        net.train()
        perm = torch.randperm(len(x), generator=g)
        for i in tqdm(range(0, len(x) - 127, 128), desc=f"epoch {epoch}"):
            idx = perm[i : i + 128]
            xb = x[idx].float() / 255
            if judge or member:  # each image its own small rotation, scaling and shift: a different view from the cnn's
                xb = random_affine(xb, g, **AUGMENT[a.dataset])
            else:  # light augmentation (random shifts) so features generalise beyond the training pixels
                xb = torch.roll(xb, shifts=tuple(torch.randint(-2, 3, (2,), generator=g).tolist()), dims=(2, 3))
            loss = F.cross_entropy(logits_of(net(xb)), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    net.eval()
    if judge or member:  # measure what is stored: float16 weights
        with torch.no_grad():
            for t in net.state_dict().values():
                if t.is_floating_point():
                    t.copy_(t.half().float())
    with torch.inference_mode():
        pred = torch.cat([logits_of(net(xt[i : i + 1000].float() / 255)).argmax(1) for i in range(0, len(xt), 1000)])
    acc = float((pred == yt).float().mean())
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    from safetensors.torch import save_file

    path = out / (
        f"{a.dataset}-{a.arch}.safetensors"
        if judge
        else f"{a.dataset}-allconv-{a.seed}.safetensors"
        if member
        else f"{a.dataset}.safetensors"
    )
    state = {
        k: (v.half() if (judge or member) and v.is_floating_point() else v).contiguous()
        for k, v in net.state_dict().items()
    }
    save_file(state, str(path))
    meta = {
        "dataset": a.dataset,
        "arch": a.arch,
        "test_accuracy": acc,
        "epochs": a.epochs,
        "seed": a.seed,
        **({"augment": AUGMENT[a.dataset]} if judge or member else {}),
        "train_seconds": round(time.time() - t0, 1),
        "threads": a.threads,
        "sha256": sha256_file(path),
        "command": "python -m training.train_classifier " + " ".join(argv if argv is not None else sys.argv[1:]),
    }
    path.with_suffix(".json").write_text(json.dumps(meta, indent=2) + "\n")
    print(json.dumps(meta, indent=2))
    return meta


def logits_of(out) -> torch.Tensor:
    """The logits of a network's output (the cnn gives (features, logits), a judge logits)."""
    return out[1] if isinstance(out, tuple) else out


if __name__ == "__main__":
    main()
