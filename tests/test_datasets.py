"""The data root rule and the synthetic IDX data set the quick tests train on."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ganzoo.datasets import DEFAULT_DATA_ROOT, load_idx_split
from ganzoo.datasets import data_root as resolve

from .conftest import real_data_missing


def test_data_root_is_the_flag_else_the_environment_else_dot_data(monkeypatch, tmp_path):
    monkeypatch.delenv("GANZOO_DATA", raising=False)
    assert DEFAULT_DATA_ROOT == "data" and resolve() == Path("data")
    monkeypatch.setenv("GANZOO_DATA", str(tmp_path / "env"))
    assert resolve() == tmp_path / "env"
    assert resolve(tmp_path / "flag") == tmp_path / "flag"
    monkeypatch.setenv("GANZOO_DATA", "")  # set but empty counts as unset
    assert resolve() == Path("data")


def test_synthetic_data_reads_the_same_in_numpy_and_torchvision(data_root):
    from training.data import load_images

    assert real_data_missing(data_root) is None  # all eight files of both data sets are there
    for dataset in ("mnist", "fashion-mnist"):
        for train, split, n in ((True, "train", 512), (False, "test", 256)):
            x, y = load_idx_split(dataset, split, data_root)
            xt, yt = load_images(dataset, data_root, train=train)  # torchvision checks the magic numbers
            assert x.shape == (n, 28, 28) and xt.shape == (n, 1, 28, 28)
            assert torch.equal(xt[:, 0], torch.from_numpy(x.copy())) and torch.equal(yt, torch.from_numpy(y))
            assert np.array_equal(y, np.arange(n) % 10)
            assert (x[np.arange(n), 10, 2 * y + 4] == 255).all()  # class k: a bar at column 2k + 4


def test_missing_real_data_is_named(tmp_path):
    reason = real_data_missing(tmp_path)
    assert reason.startswith("needs the real MNIST and Fashion-MNIST") and "MNIST/raw/train-images-idx3-ubyte" in reason
