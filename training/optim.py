"""Optimiser construction from a recipe: Adam (betas from the recipe) or RMSprop (Arjovsky's WGAN)."""

from __future__ import annotations

import torch
from torch import nn

from .recipes import Recipe


def make_optimizers(
    recipe: Recipe, G: nn.Module, D: nn.Module | None
) -> tuple[torch.optim.Optimizer, torch.optim.Optimizer | None]:
    """(generator optimiser, discriminator optimiser or None without a discriminator) with the recipe's rates."""
    if recipe.optimizer == "adam":
        make = lambda params, lr: torch.optim.Adam(params, lr, betas=tuple(recipe.betas))  # noqa: E731
    else:
        make = torch.optim.RMSprop
    return make(G.parameters(), recipe.lr_g), (make(D.parameters(), recipe.lr_d) if D is not None else None)
