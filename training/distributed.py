"""torch.distributed set-up for torchrun: rank, world size and device; plain runs are rank 0 of 1."""

from __future__ import annotations

import os

import torch
from torch import nn


def dist_info() -> tuple[int, int, int]:
    """(rank, world size, local rank) from torchrun's environment; (0, 1, 0) when run plainly."""
    return int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1)), int(os.environ.get("LOCAL_RANK", 0))


def setup_distributed(device_arg: str | None) -> tuple[int, int, torch.device]:
    """Join the process group (nccl on CUDA, gloo on CPU) when launched by torchrun; returns (rank, world, device)."""
    rank, world, local = dist_info()
    if device_arg:
        device = torch.device(device_arg)
    elif torch.cuda.is_available():
        device = torch.device("cuda", local)
    else:
        device = torch.device("cpu")
    if world > 1:
        import torch.distributed as dist

        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return rank, world, device


def wrap_ddp(G: nn.Module, D: nn.Module | None, device: torch.device) -> tuple[nn.Module, nn.Module | None]:
    """DistributedDataParallel for both networks (SyncBatchNorm on CUDA; it has no CPU kernel); D may be None."""
    from torch.nn.parallel import DistributedDataParallel as DDP

    ids = [device.index] if device.type == "cuda" else None

    def wrap(m: nn.Module) -> nn.Module:
        if device.type == "cuda":
            m = nn.SyncBatchNorm.convert_sync_batchnorm(m)
        # broadcast_buffers=False: D runs twice (real, fake) per step; re-broadcasting its
        # BatchNorm buffers between the calls would modify tensors autograd still needs.
        # a network whose layers sit out some steps (ProGAN before it has grown) declares it
        unused = bool(getattr(m, "ddp_find_unused_parameters", False))
        return DDP(m, device_ids=ids, broadcast_buffers=False, find_unused_parameters=unused)

    return wrap(G), (wrap(D) if D is not None else None)


def unwrap(m: nn.Module) -> nn.Module:
    """The bare module inside a DDP wrapper (or the module itself)."""
    return getattr(m, "module", m)


def destroy() -> None:
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        # rank 0 writes the final model after the loop while the others are done: without this barrier a rank
        # could tear gloo down while rank 0's connection is still open (seen as an abort at exit under torchrun)
        dist.barrier()
        dist.destroy_process_group()
