"""An exponential moving average of the generator's weights: the network the zoo ships."""

from __future__ import annotations

import copy

import torch
from torch import nn


class EMA:
    """`module` follows `decay` * module + (1 - decay) * live weights after every generator step.

    The decay warms up as (1 + step) / (10 + step) (as in many EMA implementations), so the first
    averages are not dominated by the initialisation. Buffers (BatchNorm statistics) are copied.
    """

    def __init__(self, live: nn.Module, decay: float):
        self.decay = decay
        self.module = copy.deepcopy(live).eval()

    @torch.no_grad()
    def update(self, live: nn.Module, step: int) -> None:
        decay = min(self.decay, (1 + step) / (10 + step))
        for pe, p in zip(self.module.parameters(), live.parameters()):
            pe.lerp_(p, 1 - decay)
        for be, b in zip(self.module.buffers(), live.buffers()):
            be.copy_(b)
