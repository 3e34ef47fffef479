"""ganzoo.fast: inference rewrites give the original generator's images to float tolerance."""

from __future__ import annotations

import pytest
import torch

import ganzoo
from ganzoo.fast import CONVT_FORMS, optimize


@pytest.mark.parametrize("convt", CONVT_FORMS)
def test_rewrites_are_exact_on_every_architecture(tiny, convt):
    _, folder = tiny
    m = ganzoo.load(folder)
    fast = optimize(m.generator, convt=convt)
    # every BatchNorm after a layer is folded into it; one before its conv (BigGAN's conditional, pre-activation
    # blocks) has no layer to fold into and stays
    bn = torch.nn.modules.batchnorm._BatchNorm
    assert not any(isinstance(x, bn) for x in fast.modules()) or m.architecture == "biggan"
    assert not any(
        isinstance(s, torch.nn.Sequential) and any(isinstance(b, bn) for b in list(s)[1:]) for s in fast.modules()
    )
    if convt != "native":
        assert not any(isinstance(x, torch.nn.ConvTranspose2d) for x in fast.modules())
    # the Identity layers left by folding are gone
    assert not any(isinstance(s, torch.nn.Sequential) and torch.nn.Identity in map(type, s) for s in fast.modules())
    z = m.sample_latent(9, seed=0)
    y = torch.arange(9) % 10 if m.conditional else None
    with torch.no_grad():
        assert torch.allclose(fast(z, y), m.generator(z, y), atol=1e-5)
        if any(isinstance(x, torch.nn.Conv2d) for x in fast.modules()):  # any memory format
            assert torch.allclose(fast.to(memory_format=torch.channels_last)(z, y), m.generator(z, y), atol=1e-5)
    assert any(p.requires_grad for p in m.generator.parameters())  # the original is untouched


@pytest.mark.parametrize("convt", CONVT_FORMS)
def test_unit_range_is_folded_into_the_last_layer_on_every_architecture(tiny, convt):
    from ganzoo.fast import ToUnitRange, declared
    from ganzoo.model import to_unit_range

    _, folder = tiny
    m = ganzoo.load(folder)
    fast = optimize(m.generator, convt=convt, channels_last=True, unit_range=True)
    if declared(m.generator, "output_layers") is None:  # nothing to fold into (StyleGAN2's linear output): wrapped
        assert isinstance(fast, ToUnitRange)
    else:  # (tanh(x) + 1) / 2 = sigmoid(2x): no Tanh and no wrapper left, one Sigmoid at the end
        assert not isinstance(fast, ToUnitRange) and not any(isinstance(x, torch.nn.Tanh) for x in fast.modules())
        assert sum(isinstance(x, torch.nn.Sigmoid) for x in fast.modules()) == 1
    z = m.sample_latent(9, seed=0) * 3  # far into tanh's flat tails too
    y = torch.arange(9) % 10 if m.conditional else None
    with torch.no_grad():
        got, want = fast(z, y), to_unit_range(m.generator(z, y))
    assert got.min() >= 0 and got.max() <= 1 and torch.allclose(got, want, atol=1e-5)


def test_unit_range_wraps_a_generator_it_cannot_fold():
    from ganzoo.fast import ToUnitRange
    from ganzoo.model import to_unit_range
    from ganzoo.models import build, make_config

    torch.manual_seed(0)  # conditional BatchNorm ends in torch.tanh inside forward: nothing to fold
    g, _ = build(
        "cgan", make_config("cgan", {"latent_dim": 8, "g_width": 8, "d_width": 8, "num_classes": 10, "g_cond": "cbn"})
    )
    fast = optimize(g.eval(), convt="phase", unit_range=True)
    assert isinstance(fast, ToUnitRange)
    z, y = torch.randn(4, 8), torch.arange(4)
    with torch.no_grad():
        assert torch.allclose(fast(z, y), to_unit_range(g(z, y)), atol=1e-6)


def test_first_layer_writes_its_map_channels_last_without_a_copy():
    from ganzoo.fast import LinearToMap

    m = ganzoo.load("dcgan-mnist")
    plain = next(x for x in optimize(m.generator, convt="phase").modules() if isinstance(x, LinearToMap))
    nhwc = next(
        x for x in optimize(m.generator, convt="phase", channels_last=True).modules() if isinstance(x, LinearToMap)
    )
    z = torch.randn(3, m.latent_dim, 1, 1)
    with torch.no_grad():
        a, b = plain(z), nhwc(z)
    assert not plain.nhwc and nhwc.nhwc and a.is_contiguous()
    assert b.is_contiguous(memory_format=torch.channels_last) and not b.is_contiguous()
    assert torch.allclose(a, b, atol=1e-6)


@pytest.mark.slow  # seconds of work: the full suite (the README's test command) runs it, `-m "not slow"` skips it
@pytest.mark.parametrize("convt", CONVT_FORMS)
def test_every_export_form_matches_the_original(tmp_path, convt):
    import onnx

    m = ganzoo.load("cgan-fashion-mnist")
    m.export_onnx(tmp_path / "o.onnx", convt=convt)  # check=True: onnxruntime vs the original, <= 1e-4
    proto = onnx.load(str(tmp_path / "o.onnx"))
    ops = {n.op_type for n in proto.graph.node}
    assert "BatchNormalization" not in ops
    assert ("ConvTranspose" in ops) == (convt == "native")
    assert {p.key: p.value for p in proto.metadata_props}["convt"] == convt
    if convt == "phase":  # the two stride-2 layers as one split PhasePair: per parity group Conv, Relu, Conv;
        nodes = [n.op_type for n in proto.graph.node]  # the four summed, Tanh, one DepthToSpace on the image
        assert not {"Slice", "Pad", "Mul"} & set(nodes) and nodes.count("DepthToSpace") == 1
        first = nodes.index("Conv")
        assert nodes[first : first + 3] == ["Conv", "Relu", "Conv"] and nodes.count("Conv") == 8, nodes
        assert nodes[nodes.index("Tanh") - 1 : nodes.index("Tanh") + 2] == ["Add", "Tanh", "DepthToSpace"], nodes


@pytest.mark.slow  # seconds of work: the full suite (the README's test command) runs it, `-m "not slow"` skips it
def test_fp16_and_int8_files_are_smaller_close_and_load_in_the_runtime(tmp_path):
    import numpy as np
    import onnx

    from ganzoo.export import TOLERANCE, calibration_feeds, verify_onnx
    from ganzoo.runtime import OnnxGenerator

    m = ganzoo.load("dcgan-mnist")
    paths = {
        "fp32": m.export_onnx(tmp_path / "a.onnx"),
        "fp16": m.export_onnx(tmp_path / "b.onnx", fp16=True),
        "int8": m.export_onnx(tmp_path / "c.onnx", quantize="int8", convt="phase"),
    }
    size = {k: p.stat().st_size for k, p in paths.items()}
    assert size["fp16"] < 0.55 * size["fp32"] and size["int8"] < 0.4 * size["fp32"]
    for precision, path in paths.items():
        rt = OnnxGenerator(path)
        assert rt.precision == precision
        diffs = verify_onnx(m, path)
        assert 0 < max(diffs.values()) <= TOLERANCE[precision]
    ops = {n.op_type for n in onnx.load(str(paths["int8"])).graph.node}
    assert {"QuantizeLinear", "DequantizeLinear"} <= ops
    f16 = [t for t in onnx.load(str(paths["fp16"])).graph.initializer if t.data_type == onnx.TensorProto.FLOAT16]
    assert len(f16) >= 3  # the conv weights
    # the calibration latents are the model's own: standard normal, fixed seed
    feeds = calibration_feeds(m)
    z = np.concatenate([f["z"] for f in feeds])
    assert z.shape == (512, 64) and abs(z.mean()) < 0.02 and abs(z.std() - 1) < 0.02
    assert np.array_equal(z, np.concatenate([f["z"] for f in calibration_feeds(m)]))


def test_bad_precision_requests_are_refused(tmp_path):
    from ganzoo.errors import GanzooError

    m = ganzoo.load("dcgan-mnist")
    with pytest.raises(GanzooError, match="choose one of fp16 and quantize='int8', not both"):
        m.export_onnx(tmp_path / "x.onnx", fp16=True, quantize="int8")
    with pytest.raises(GanzooError, match="quantize must be one of int8 or None, got 'int4'"):
        m.export_onnx(tmp_path / "x.onnx", quantize="int4")
    with pytest.raises(GanzooError, match="convt must be one of native, subpixel, phase, got 'fast'"):
        m.export_onnx(tmp_path / "x.onnx", convt="fast")
    assert not (tmp_path / "x.onnx").exists()


@pytest.mark.parametrize("name", ["dcgan-mnist", "cgan-fashion-mnist", "gan-mnist"])
def test_default_sampling_path_is_the_phase_pair_in_channels_last(name):
    from ganzoo.fast import PhasePair

    m = ganzoo.load(name)
    g = m.inference_generator()
    assert not any(isinstance(x, torch.nn.modules.batchnorm._BatchNorm) for x in g.modules())
    if name == "gan-mnist":  # an MLP: folded only
        assert not any(isinstance(x, torch.nn.Conv2d) for x in g.modules())
    else:
        pair = next(x for x in g.modules() if isinstance(x, PhasePair))
        assert not pair.split and pair.conv1.weight.is_contiguous(memory_format=torch.channels_last)
    for n in (1, 64, 200):
        z = m.sample_latent(n, seed=n)
        y = torch.arange(n) % 10 if m.conditional else None
        with torch.no_grad():
            ref = ((m.generator(z, y) + 1) / 2).clamp(0, 1)
        assert torch.allclose(m.generate(z, y), ref, atol=1e-5)


def test_default_sampling_path_is_optimized_and_follows_weight_changes():
    m = ganzoo.load("dcgan-mnist")
    z = m.sample_latent(8, seed=0)
    fast = m.inference_generator()
    assert m.inference_generator() is fast  # cached while the weights stay the same
    with torch.no_grad():
        ref = ((m.generator(z) + 1) / 2).clamp(0, 1)
    assert torch.allclose(m.generate(z), ref, atol=1e-5)
    with torch.no_grad():
        m.generator.net[0].weight.mul_(0.5)  # an in-place edit: the next call must see it
        ref = ((m.generator(z) + 1) / 2).clamp(0, 1)
    assert m.inference_generator() is not fast
    assert torch.allclose(m.generate(z), ref, atol=1e-5)


@pytest.mark.parametrize("size,channels", [(28, 1), (32, 3), (64, 3)])
def test_phase_pair_is_exact_for_every_depth(size, channels):
    from ganzoo.fast import PhaseConvTranspose, PhasePair
    from ganzoo.models import build, make_config

    torch.manual_seed(0)
    g, _ = build(
        "dcgan",
        make_config("dcgan", {"latent_dim": 8, "g_width": 8, "d_width": 8, "image_size": size, "channels": channels}),
    )
    for m in g.modules():  # BatchNorm statistics away from identity, so the fold matters
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
    g.eval()
    z = torch.randn(5, 8)
    with torch.no_grad():
        want = g(z)
    for onnx_form in (False, True):  # the masked form (torch) and the split one (ONNX)
        fast = optimize(g, convt="phase", onnx=onnx_form)
        kinds = [type(m) for m in fast.modules()]
        # Only the last two stride-2 layers fuse (the second draws the image); earlier ones stay phase layers.
        assert kinds.count(PhasePair) == 1 and kinds.count(PhaseConvTranspose) == {28: 0, 32: 1, 64: 2}[size]
        assert next(m for m in fast.modules() if isinstance(m, PhasePair)).split == onnx_form
        with torch.no_grad():
            assert fast(z).shape == want.shape == (5, channels, size, size)
            assert torch.allclose(fast(z), want, atol=1e-5)
            assert torch.allclose(fast.to(memory_format=torch.channels_last)(z), want, atol=1e-5)


@pytest.mark.parametrize("arch, values", [("gan", {}), ("wgan-gp", {"generator": "mlp"})])
def test_linear_chain_is_exact_for_mlp_generators(arch, values):
    from ganzoo.fast import LinearChain
    from ganzoo.model import to_unit_range
    from ganzoo.models import build, make_config

    from .conftest import TINY

    torch.manual_seed(0)
    g = build(arch, make_config(arch, {**TINY[arch], "g_hidden": (16, 32), **values}))[0]
    for m in g.modules():  # BatchNorm statistics away from identity, so the fold matters
        if isinstance(m, torch.nn.BatchNorm1d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
    g.eval()
    fast = optimize(g, unit_range=True, linear_chain=True)
    chain = next(m for m in fast.modules() if isinstance(m, LinearChain))
    assert [a and a[0] for a in chain.acts] == ["leaky_relu", "leaky_relu", "sigmoid"]
    assert not any(isinstance(m, (torch.nn.LeakyReLU, torch.nn.Sigmoid)) for m in fast.modules())
    z = torch.randn(7, 8) * 3
    with torch.no_grad():
        assert torch.allclose(fast(z), to_unit_range(g(z)), atol=1e-5)


def _kinds(module: torch.nn.Module) -> list[str]:
    return [type(m).__name__ for m in module.modules()]


def test_sampling_runs_the_rewrite_each_generator_class_declares(tiny):
    """fast_generator is optimize() with what the generator declares (inference_rewrite()), or the generator as is
    where it declares none; either way the images match the original's."""
    from ganzoo.fast import ToUnitRange, declared, fast_generator
    from ganzoo.model import to_unit_range
    from ganzoo.models import build, make_config

    from .conftest import TINY

    arch, folder = tiny
    generators = [ganzoo.load(folder).generator]
    if arch == "cgan":  # and its class-conditional BatchNorm form, which declares none
        generators.append(build("cgan", make_config("cgan", {**TINY["cgan"], "g_cond": "cbn"}))[0].eval())
    for g in generators:
        rewrite = declared(g, "inference_rewrite")
        fast = fast_generator(g)
        if rewrite is None:
            assert isinstance(fast, ToUnitRange) and fast.generator is g
        else:
            want = optimize(
                g,
                convt=rewrite.convt,
                channels_last=rewrite.channels_last,
                unit_range=True,
                linear_chain=rewrite.linear_chain,
            )
            assert _kinds(fast) == _kinds(want) and fast is not g
            convs = [m.weight for m in fast.modules() if isinstance(m, torch.nn.Conv2d)]
            assert all(w.is_contiguous(memory_format=torch.channels_last) == rewrite.channels_last for w in convs)
        z = torch.randn(9, g.cfg.latent_dim)
        y = torch.arange(9) % 10 if g.cfg.num_classes else None
        with torch.no_grad():
            assert torch.allclose(fast(z, y), to_unit_range(g(z, y)), atol=1e-5)
    # none: the cbn cgan (unmeasured), StyleGAN2 and ProGAN (functional convs, nothing to fold; unmeasured) and
    # BigGAN (conditional BatchNorm; unmeasured)
    assert (declared(generators[-1], "inference_rewrite") is None) == (
        arch in ("cgan", "stylegan2", "progan", "biggan")
    )


def test_fast_follows_the_declaration_not_the_class():
    """fast.py knows no generator class: a subclass that declares another rewrite, or none, gets just that, and a
    generator from outside ganzoo that declares its layers gets the full phase rewrite."""
    from ganzoo.fast import InferenceRewrite, LinearToMap, PhasePair, ToUnitRange, fast_generator
    from ganzoo.models import build, make_config
    from ganzoo.models.dcgan import DCGANGenerator

    torch.manual_seed(0)
    cfg = make_config("dcgan", {"latent_dim": 8, "g_width": 8, "d_width": 8})

    class Subpixel(DCGANGenerator):
        def inference_rewrite(self):
            return InferenceRewrite(convt="subpixel")

    class AsIs(DCGANGenerator):
        def inference_rewrite(self):
            return None

    class Outside(torch.nn.Module):  # not a ganzoo model: the same layers, declared
        def __init__(self):
            super().__init__()
            self.layers = build("dcgan", cfg)[0].net

        def forward(self, z, labels=None):
            return self.layers(z[:, :, None, None])

        def inference_rewrite(self):
            return InferenceRewrite(convt="phase", channels_last=True)

        def output_layers(self):
            return self.layers

        def latent_map_layers(self):
            return self.layers

    sub = fast_generator(Subpixel(cfg).eval())
    assert "PixelShuffle" in _kinds(sub) and "PhasePair" not in _kinds(sub) and "Sigmoid" in _kinds(sub)
    assert isinstance(fast_generator(AsIs(cfg).eval()), ToUnitRange)
    out = Outside().eval()
    fast = fast_generator(out)
    assert {LinearToMap, PhasePair, torch.nn.Sigmoid} <= {type(m) for m in fast.modules()}
    z = torch.randn(5, 8)
    with torch.no_grad():
        assert torch.allclose(fast(z), (out(z) + 1) / 2, atol=1e-5)
    with pytest.raises(ganzoo.GanzooError, match="convt must be one of native, subpixel, phase, got 'fast'"):
        InferenceRewrite(convt="fast")
