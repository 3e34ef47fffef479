"""hubconf.py: torch.hub loads every bundled zoo entry from a checkout, offline."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import ganzoo

from .conftest import ROOT


@pytest.fixture
def hub_dir(tmp_path) -> Path:
    """A torch.hub cache holding a snapshot of this repository as the GitHub form "OWNER/ganzoo:main" finds it
    (GitHub's archive has hubconf.py and ganzoo/ at its root), so nothing is downloaded."""
    snapshot = tmp_path / "hub" / "OWNER_ganzoo_main"
    snapshot.mkdir(parents=True)
    for name in ("hubconf.py", "ganzoo"):
        (snapshot / name).symlink_to(ROOT / name)
    return tmp_path / "hub"


def test_one_entry_point_per_bundled_entry_with_a_docstring(hub_dir, monkeypatch):
    monkeypatch.setattr(torch.hub, "_hub_dir", str(hub_dir))  # torch.hub.set_dir, undone after the test
    names = torch.hub.list("OWNER/ganzoo:main", trust_repo=True, verbose=False)
    assert sorted(names) == sorted(n.replace("-", "_") for n in ganzoo.list_models(with_weights=True))
    doc = torch.hub.help("OWNER/ganzoo:main", "dcgan_mnist", trust_repo=True)
    assert doc.startswith("dcgan-mnist: dcgan (Radford et al. 2015") and "ganzoo.load('dcgan-mnist'" in doc
    assert "labels=" not in doc
    assert "labels=" in torch.hub.help("OWNER/ganzoo:main", "cgan_fashion_mnist", trust_repo=True)


def test_local_checkout_loads_the_bundled_weights():
    m = torch.hub.load(str(ROOT), "dcgan_mnist", source="local")
    assert torch.equal(m.sample(4, seed=0), ganzoo.load("dcgan-mnist").sample(4, seed=0))
    c = torch.hub.load(str(ROOT), "cgan_fashion_mnist", source="local", device="cpu")
    assert c.sample(2, labels="Sandal", seed=1).shape == (2, 1, 28, 28)
    with pytest.raises(RuntimeError, match="Cannot find callable dcgan_mnst in hubconf"):
        torch.hub.load(str(ROOT), "dcgan_mnst", source="local")


@pytest.mark.slow  # a fresh process: seconds
def test_github_form_runs_from_a_snapshot_of_the_repository(hub_dir, tmp_path):
    """torch.hub.load("OWNER/ganzoo:main", ...) in a fresh process without PYTHONPATH: the snapshot's own ganzoo
    is the one imported, and the bundled weights load."""
    code = (
        "import torch; torch.hub.set_dir(r'%s'); m = torch.hub.load('OWNER/ganzoo:main', 'wgan_gp_mnist', "
        "trust_repo=True); import ganzoo; print(ganzoo.__file__); print(tuple(m.sample(3, seed=0).shape))" % hub_dir
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"HF_HUB_OFFLINE": "1"}
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    where, shape = r.stdout.splitlines()[-2:]
    assert where == str(hub_dir / "OWNER_ganzoo_main" / "ganzoo" / "__init__.py") and shape == "(3, 1, 28, 28)"
