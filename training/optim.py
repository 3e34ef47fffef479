"""Optimiser construction from a recipe: Adam (betas from the recipe) or RMSprop (Arjovsky's WGAN)."""
from __future__ import annotations

import torch
from torch import nn

from .recipes import Recipe


def make_optimizers(recipe: Recipe, G: nn.Module, D: nn.Module) -> tuple[torch.optim.Optimizer, torch.optim.Optimizer]:
    """(generator optimiser, discriminator optimiser) with the recipe's two learning rates."""
    if recipe.optimizer == "adam":
        betas = tuple(recipe.betas)
        return torch.optim.Adam(G.parameters(), recipe.lr_g, betas=betas), \
            torch.optim.Adam(D.parameters(), recipe.lr_d, betas=betas)
    return torch.optim.RMSprop(G.parameters(), recipe.lr_g), torch.optim.RMSprop(D.parameters(), recipe.lr_d)
