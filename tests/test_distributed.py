"""torch.distributed (gloo, CPU): 2 processes train a few steps; ranks agree; resume crosses modes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest
import torch
import torch.multiprocessing as mp

from .conftest import ROOT

FAST = [
    "--subset=256",
    "--batch_size=16",
    "--log_every=1",
    "--ckpt_every=2",
    "--eval_every=0",
    "--sample_every=0",
    "--model.latent_dim=8",
    "--model.g_width=8",
    "--model.d_width=8",
    "--decay_from=0",
]  # wgan-mnist's recipe decays its rates late in the run: constant rates for a 4-step run
# StyleGAN2 has per-resolution widths, and R1 on every 2nd D update so the 4 steps run it twice
SG2 = [
    *FAST[:6],
    "--model.latent_dim=8",
    "--model.w_dim=8",
    "--model.g_widths=8,8,4",
    "--model.d_widths=4,8,8",
    "--gp_every=2",
]


# ProGAN grows through every stage in the 4 steps (its D and G leave layers unused before); BigGAN's widths
PG = [
    *SG2[:7],
    "--model.g_widths=8,8,4",
    "--model.d_widths=4,8,8",
    "--model.stable_steps=1",
    "--model.fade_steps=1",
    "--decay_from=0",
]
BG = [*SG2[:7], "--model.g_widths=8,8,4", "--model.d_widths=4,8,8", "--model.embed_dim=4", "--decay_from=0"]


# CycleGAN has no latent; a pool of 4 fills in the first step, so later steps swap pooled images
CG = [
    *FAST[:6],
    "--decay_from=0",
    "--model.g_width=4",
    "--model.g_blocks=1",
    "--model.d_width=4",
    "--model.pool_size=4",
]


def fast(name: str) -> list[str]:
    for prefix, args in (("stylegan2", SG2), ("progan", PG), ("biggan", BG), ("cyclegan", CG)):
        if name.startswith(prefix):
            return args
    return FAST


pytestmark = pytest.mark.slow  # multi-process training / Inception at 299x299: minutes


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(rank: int, world: int, port: int, name: str, out: str, steps: int, root: str) -> None:
    os.environ.update(
        RANK=str(rank), WORLD_SIZE=str(world), LOCAL_RANK=str(rank), MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port)
    )
    torch.set_num_threads(1)
    from training.recipes import apply_overrides, get_recipe
    from training.train import Trainer

    recipe = apply_overrides(get_recipe(name), [f"--steps={steps}", *fast(name)])
    t = Trainer(recipe, out, data_root=root, device="cpu", quiet=True)
    t.run()
    params = {f"G.{k}": v.detach().clone() for k, v in t.G.module.named_parameters()}
    params.update({f"D.{k}": v.detach().clone() for k, v in t.D.module.named_parameters()})
    torch.save(params, os.path.join(out, f"params_rank{rank}.pt"))
    import torch.distributed as dist

    dist.destroy_process_group()


@pytest.mark.parametrize(
    "name",
    [
        "dcgan-mnist",
        "wgan-gp-mnist",
        "wgan-mnist",
        "stylegan2-mnist",
        "progan-mnist",
        "biggan-mnist",
        "cyclegan-mnist-fashion-mnist",
    ],
)
def test_two_process_gloo_ranks_agree_and_resume_single(name, tmp_path, data_root):
    out = str(tmp_path / "ddp")
    mp.spawn(_worker, args=(2, _free_port(), name, out, 4, str(data_root)), nprocs=2, join=True)
    p0 = torch.load(tmp_path / "ddp" / "params_rank0.pt")
    p1 = torch.load(tmp_path / "ddp" / "params_rank1.pt")
    assert p0.keys() == p1.keys()
    for k in p0:
        assert torch.equal(p0[k], p1[k]), f"{k} differs between ranks"
    ck = torch.load(tmp_path / "ddp" / "ckpt.pt", weights_only=True)
    assert ck["step"] == 4 and ck["world_size"] == 2
    if name == "wgan-mnist":
        assert all(v.abs().max() <= 0.01 + 1e-7 for k, v in p0.items() if k.startswith("D."))
    # the rank-0 checkpoint continues in one process
    from training.train import main

    res = main([name, "--out", out, "--data-root", str(data_root), "--quiet", "--resume", "--steps=6", *fast(name)])
    assert res["steps"] == 6 and res["world_size"] == 1


def test_torchrun_launch(tmp_path, data_root):
    """The documented launcher itself, resuming a single-process checkpoint under torchrun."""
    from training.train import main

    out = tmp_path / "tr"
    main(["dcgan-mnist", "--out", str(out), "--data-root", str(data_root), "--quiet", "--steps=2", *FAST])
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node=2",
        "--master_port",
        str(_free_port()),
        "-m",
        "training.train",
        "dcgan-mnist",
        "--out",
        str(out),
        "--data-root",
        str(data_root),
        "--quiet",
        "--device",
        "cpu",
        "--steps=4",
        "--resume",
        *FAST,
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    ck = torch.load(out / "ckpt.pt", weights_only=True)
    assert ck["world_size"] == 2 and ck["step"] == 4 and (out / "model" / "config.json").is_file()
