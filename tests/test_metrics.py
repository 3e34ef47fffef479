"""Sanity of the classifier-feature metrics on real data."""

from __future__ import annotations

import json

import pytest
import torch

import ganzoo
from ganzoo import metrics
from ganzoo.datasets import load_idx_split


@pytest.fixture(scope="module")
def mnist(data_root_module):
    xtr, _ = load_idx_split("mnist", "train", data_root_module)
    return torch.from_numpy(xtr[:3000].copy()).float().div(255)[:, None]


@pytest.fixture(scope="module")
def data_root_module(real_data_root):  # these tests measure distances on the real images
    return real_data_root


@pytest.mark.slow
def test_train_vs_test_small_noise_and_blank_large(mnist, data_root_module):
    real = metrics.compare(mnist, "mnist", root=data_root_module)
    noise = metrics.compare(torch.rand(3000, 1, 28, 28), "mnist", root=data_root_module)
    blank = metrics.compare(torch.zeros(3000, 1, 28, 28), "mnist", root=data_root_module, full=False)
    fd = "fd_mnist_classifier"
    # 3,000 train images vs the 10,000 test images: small (finite-sample bias only); noise/blank: huge
    assert real[fd] < 20 and noise[fd] > 50 * real[fd] and blank[fd] > 50 * real[fd]
    assert real["precision"] > 0.8 and real["recall"] > 0.8 and real["coverage"] > 0.5
    assert noise["precision"] < 0.05 and noise["coverage"] < 0.05
    assert real["kid"] < noise["kid"] / 50
    assert real["classes_over_5pct"] == 10 and real["kl_to_uniform"] < 0.01
    assert blank["classes_over_5pct"] == 1


def test_frechet_distance_matches_closed_form():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(20000, 3, generator=g, dtype=torch.float64)
    b = torch.randn(20000, 3, generator=g, dtype=torch.float64) * 2 + 1
    # N(0, I) vs N(1, 4I): |mu|^2 + tr(I + 4I - 2*2I) = 3 + 3
    assert metrics.frechet_distance(a, b) == pytest.approx(6.0, rel=0.05)
    assert metrics.frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)


def test_precision_recall_extremes():
    g = torch.Generator().manual_seed(0)
    real = torch.randn(500, 4, generator=g)
    far = torch.randn(500, 4, generator=g) + 100
    same = metrics.precision_recall_density_coverage(real, real.clone())
    assert same["precision"] == 1.0 and same["recall"] == 1.0 and same["coverage"] == 1.0
    apart = metrics.precision_recall_density_coverage(real, far)
    assert apart["precision"] == 0.0 and apart["recall"] == 0.0 and apart["coverage"] == 0.0


@pytest.mark.slow
def test_distance_falls_as_a_model_trains(tmp_path, data_root_module):
    """A few hundred steps of training lower the FD a lot compared with the initial generator."""
    from training.train import main

    out = tmp_path / "run"
    main(
        [
            "dcgan-mnist",
            "--out",
            str(out),
            "--data-root",
            str(data_root_module),
            "--quiet",
            "--steps=300",
            "--eval_every=150",
            "--eval_n=1000",
            "--sample_every=0",
            "--ckpt_every=0",
            "--subset=5000",
            "--ema=0",
            "--model.g_width=16",
            "--model.d_width=16",
        ]
    )
    rows = [line.split(",") for line in (out / "eval.csv").read_text().splitlines()[1:]]
    fds = [float(r[1]) for r in rows]
    assert fds[-1] < 0.9 * fds[0]
    # the same architecture and initialisation, untrained: only the training differs
    from ganzoo.folder import save_folder
    from ganzoo.models import build, make_config

    trained = ganzoo.load(out / "model")
    cfg = make_config("dcgan", trained.config["config"])
    torch.manual_seed(0)
    untrained = save_folder(tmp_path / "untrained", "dcgan", cfg, *build("dcgan", cfg), dataset="mnist")
    res_trained = metrics.evaluate(ganzoo.load(out / "model"), n=1000, root=data_root_module)
    res_untrained = metrics.evaluate(ganzoo.load(untrained), n=1000, root=data_root_module)
    # 300 tiny-model steps reach roughly half the untrained distance; CPUs differ in float rounding,
    # which changes the run, so the margin is looser than that.
    assert res_trained["metrics"]["fd_mnist_classifier"] < 0.8 * res_untrained["metrics"]["fd_mnist_classifier"]
    assert res_trained["protocol"]["n_generated"] == 1000 and res_trained["protocol"]["real_split"] == "test"


@pytest.mark.slow
def test_eval_cli_writes_json(tmp_path, data_root_module, capsys):
    from ganzoo.cli import main

    from .conftest import make_tiny_folder

    f = make_tiny_folder(tmp_path / "m", "cgan", dataset="mnist")
    out = tmp_path / "e.json"
    assert main(["eval", str(f), "--n", "500", "--data-root", str(data_root_module), "--json", str(out)]) == 0
    res = json.loads(out.read_text())
    assert {
        "fd_mnist_classifier",
        "kid",
        "precision",
        "recall",
        "density",
        "coverage",
        "label_accuracy",
        "kl_to_uniform",
    } <= set(res["metrics"])
    p = res["protocol"]
    assert p["n_generated"] == 500 and p["seed"] == 0 and len(p["feature_network_sha256"]) == 64
    assert "fd_mnist_classifier" in capsys.readouterr().out


def test_eval_missing_data_says_where(tmp_path):
    from ganzoo.datasets import DataNotFoundError

    with pytest.raises(DataNotFoundError, match="GANZOO_DATA"):
        load_idx_split("mnist", "test", tmp_path)
