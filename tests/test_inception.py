"""The Inception FID/IS/KID code path, run with randomly initialised Inception weights.

The real TF-FID Inception weights cannot be downloaded here; everything but the weights values is real.
"""

from __future__ import annotations

import math
import pickle

import pytest
import torch

import ganzoo

from .conftest import make_tiny_folder

torch_fidelity = pytest.importorskip("torch_fidelity")


pytestmark = pytest.mark.slow  # multi-process training / Inception at 299x299: minutes


@pytest.fixture(scope="module")
def random_inception(tmp_path_factory):
    import torch_fidelity.feature_extractor_inceptionv3 as fe

    cls = fe.FeatureExtractorInceptionV3
    orig_load, orig_url = cls.load_state_dict, fe.load_state_dict_from_url
    cls.load_state_dict = lambda self, sd, *a, **k: None
    fe.load_state_dict_from_url = lambda *a, **k: None
    try:
        torch.manual_seed(0)
        net = cls("inception-v3-compat", ["2048"])
    finally:
        cls.load_state_dict, fe.load_state_dict_from_url = orig_load, orig_url
    path = tmp_path_factory.mktemp("inc") / "random-inception.pth"
    torch.save(net.state_dict(), path)
    return path


def test_inception_metrics_code_path(tmp_path, random_inception, data_root):
    from ganzoo.inception import inception_metrics

    m = ganzoo.load(make_tiny_folder(tmp_path / "m", "dcgan", dataset="mnist"))
    # a few images each way: Inception at 299x299 on a CPU costs ~0.1 s per image
    res = inception_metrics(m, random_inception, n=16, root=data_root, kid_subset_size=8, n_real=16)
    met = res["metrics"]
    assert set(met) == {"inception_fid", "inception_score", "inception_score_std", "inception_kid", "inception_kid_std"}
    assert all(isinstance(v, float) and math.isfinite(v) for v in met.values())
    assert met["inception_fid"] > 0
    proto = res["protocol"]
    assert proto["n_generated"] == 16 and proto["n_real"] == 16 and "replicated to RGB" in proto["preprocessing"]


def test_missing_inception_weights(tmp_path):
    from ganzoo.inception import inception_metrics

    m = ganzoo.load(make_tiny_folder(tmp_path / "m", "dcgan", dataset="mnist"))
    with pytest.raises(ganzoo.GanzooError, match="weights-inception-2015-12-05"):
        inception_metrics(m, tmp_path / "nope.pth", n=4)


class _Payload:
    """Unpickling this runs code: it would create the file named by `marker`."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


# torch notes that the crafted file uses pickle protocol 4; refusing it is the point of the test
@pytest.mark.filterwarnings("ignore:Detected pickle protocol:UserWarning")
def test_crafted_pickle_is_refused_and_never_runs(tmp_path):
    from ganzoo.inception import load_inception_weights

    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.pth"
    evil.write_bytes(pickle.dumps({"w": _Payload(marker)}))
    m = ganzoo.load(make_tiny_folder(tmp_path / "m", "dcgan", dataset="mnist"))
    with pytest.raises(ganzoo.GanzooError, match=r"refusing to load .*evil.pth.*weights_only=True"):
        load_inception_weights(evil)
    from ganzoo.cli import main

    assert main(["eval", str(tmp_path / "m"), "--n", "16", "--inception-weights", str(evil)]) == 2
    assert not marker.exists() and m is not None


def test_converted_safetensors_weights_give_the_same_metrics(tmp_path, random_inception, data_root):
    from ganzoo.inception import inception_metrics, main

    st = tmp_path / "inception.safetensors"
    assert main(["convert", str(random_inception), "-o", str(st)]) == 0
    m = ganzoo.load(make_tiny_folder(tmp_path / "m", "dcgan", dataset="mnist"))
    kw = dict(n=16, root=data_root, kid_subset_size=8, n_real=16)
    a = inception_metrics(m, random_inception, **kw)["metrics"]
    b = inception_metrics(m, st, **kw)["metrics"]
    assert a == pytest.approx(b, rel=1e-6)
