"""The memorisation audit: a model that returns training images is flagged, one that does not is not."""

from __future__ import annotations

import numpy as np
import torch

from ganzoo.metrics import memorisation, nearest_distances

from .conftest import write_idx_split


def test_nearest_distances_match_brute_force():
    g = torch.Generator().manual_seed(0)
    x, ref = torch.rand(7, 1, 28, 28, generator=g), torch.rand(30, 1, 28, 28, generator=g)
    d, j = nearest_distances(x, ref, batch=3)
    brute = torch.cdist(x.flatten(1).double(), ref.flatten(1).double())
    assert torch.equal(j, brute.argmin(1)) and torch.allclose(d.double(), brute.min(1).values, atol=1e-3)


def test_audit_flags_a_model_that_returns_training_images(tmp_path):
    rng = np.random.default_rng(0)

    # blobs: each image a few bright strokes, so neighbours are at realistic, distinct distances
    def images(n):
        out = np.zeros((n, 28, 28), np.uint8)
        for im in out:
            for _ in range(4):
                r, c = rng.integers(2, 24, 2)
                im[r : r + 3, c : c + rng.integers(3, 8)] = 255
        return out

    raw = tmp_path / "MNIST" / "raw"
    train, test = images(400), images(200)
    write_idx_split(raw, "train", train)
    write_idx_split(raw, "t10k", test)
    copies = torch.from_numpy(train[:100]).float().div(255)[:, None]
    fresh = torch.from_numpy(images(100)).float().div(255)[:, None]
    copier = memorisation(copies, "mnist", root=tmp_path, n=100)
    honest = memorisation(fresh, "mnist", root=tmp_path, n=100)
    assert copier["copy_share"] == 1.0 and copier["nn_ratio"] < 0.01
    assert honest["copy_share"] <= 0.1 and 0.7 < honest["nn_ratio"] < 1.5
