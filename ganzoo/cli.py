"""The `ganzoo` command line: list, info, sample, eval, export, publish, card, train, steer, invert, mix,
directions, translate."""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import warnings
from pathlib import Path
from typing import Sequence

from .errors import GanzooError, MissingDependencyError, SteeringWarning, escaped, pip_install
from .images import IMAGE_EXTS
from .registry import CONVT_FORMS, DEFAULT_CONVT, INVERT_STEPS, STEER_STEPS

# What each command imports beyond the core install, as (module, extra) pairs. main() checks them before the
# command runs, so a torch-free install (the runtime extra) ends in one `error:` line naming the extra to
# install, never an ImportError's traceback.
TORCH = ("torch", "torch")
HUB = ("huggingface_hub", "hub")
NEEDS: dict[str, tuple[tuple[str, str], ...]] = {
    "sample": (TORCH,),  # an .onnx file needs onnxruntime instead (see needs())
    "steer": (TORCH,),
    "invert": (TORCH,),
    "mix": (TORCH,),
    "directions": (TORCH,),
    "translate": (TORCH,),
    "eval": (TORCH,),
    "export": (("torch", "onnx"), ("onnx", "onnx"), ("onnxruntime", "onnx"), ("onnxscript", "onnx")),
    "publish": (TORCH, HUB),
    "card": (TORCH, HUB),
}
TORCH_FREE = "list, info and sample FILE.onnx"  # the commands that work without torch


def output_path(
    path: str | None,
    exts: tuple[str, ...],
    what: str,
    *,
    flag: str = "-o",
    inputs: Sequence[str] = (),
    default: str | None = None,
) -> Path:
    """Check an output file path before any work: known extension, an existing writable folder, not a folder,
    and not one of the command's `inputs` (writing the result over its own input file would lose it). `path`
    None: the command's `default` name, which never replaces an existing file (the user did not name it)."""
    if path is None and default is not None:
        if os.path.lexists(default):
            raise GanzooError(
                f"{default} already exists here and was not named with {flag}, so it is kept; "
                f"name the output ({flag} {default} replaces it, or {flag} another{exts[0]})"
            )
        path = default
    if not path:
        raise GanzooError(f"{flag} '' is empty: give a file name ending in {', '.join(exts)}")
    if path.endswith(("/", os.sep)):
        raise GanzooError(f"{flag} {path} ends in a slash, which names a folder; give a file name ending in {exts[0]}")
    p = Path(path)
    if p.suffix.lower() not in exts:
        got = f"{p.suffix!r}" if p.suffix else "no extension"
        raise GanzooError(f"{flag} {path}: {what} needs a file name ending in {', '.join(exts)} (got {got})")
    if p.is_dir():
        raise GanzooError(f"{flag} {path} is an existing folder; give a file name such as {p / ('out' + exts[0])}")
    if p.exists() and not p.is_file():  # a device or a pipe: the atomic rename would replace it with our file
        raise GanzooError(f"{flag} {path} is not a regular file; give a file name such as out{exts[0]}")
    parent = p.parent
    if parent.exists() and not parent.is_dir():
        raise GanzooError(f"{flag} {path}: {parent} is a file, not a folder; choose another path")
    if not parent.is_dir():
        raise GanzooError(f"{flag} {path}: folder {parent} does not exist; create it first or choose another path")
    if not os.access(parent, os.W_OK):
        raise GanzooError(f"{flag} {path}: folder {parent} is not writable; choose another path")
    if any(_same_file(p, f) for f in inputs):
        raise GanzooError(f"{flag} {path} is one of the input images; write the result to another file")
    return p


def _same_file(a: Path, b: str) -> bool:
    """Whether a and b name one existing file (links and ./ spellings too); False where either cannot be read,
    which the command then reports in its own words when it opens b."""
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        return False


def _needs(module: str, extra: str, feature: str) -> None:
    """A clear error naming the extra to install when an optional dependency is missing."""
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise MissingDependencyError(f"{feature} needs {module}, which is not installed: {pip_install(extra)}")


def needs(a: argparse.Namespace) -> tuple[tuple[str, str], ...]:
    """The (module, extra) pairs the parsed command `a` imports."""
    if a.cmd == "sample" and a.name.lower().endswith(".onnx"):
        return (("onnxruntime", "runtime"),)
    if a.cmd == "eval" and a.inception_weights:
        return (TORCH, ("torch_fidelity", "inception"))
    return NEEDS.get(a.cmd, ())


def check_needs(cmd: str, pairs: tuple[tuple[str, str], ...]) -> None:
    """One MissingDependencyError naming every missing module and the extras that bring them."""
    import importlib.util

    missing = [(m, e) for m, e in pairs if importlib.util.find_spec(m) is None]
    if not missing:
        return
    mods = [m for m, _ in missing]
    extras = list(dict.fromkeys(e for _, e in missing))
    names = mods[0] if len(mods) == 1 else f"{', '.join(mods[:-1])} and {mods[-1]}"
    msg = f"ganzoo {cmd} needs {names}, which {'is' if len(mods) == 1 else 'are'} not installed: {pip_install(*extras)}"
    if "torch" in mods:
        msg += f" (or the torch build for your platform). Without torch, {TORCH_FREE} work."
    raise MissingDependencyError(msg)


def plural(n: int, word: str) -> str:
    """'1 sample', '2 samples'."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def integer(kind: str):
    """argparse type: an int written in ASCII digits (int() also reads '７', '٣' and '1_000'), with a clear message.
    Ranges are checked where the value is used, in the library's words."""

    def parse(text: str) -> int:
        t = text.strip()
        if not re.fullmatch(r"[+-]?[0-9]+", t):
            raise argparse.ArgumentTypeError(f"{kind} must be an int written in digits 0-9, got {text!r}")
        if len(t) > 30:  # int() refuses thousands of digits; no option of ours takes a number this long
            raise argparse.ArgumentTypeError(f"{kind} must have at most 30 digits, got {t[:12]}... ({len(t)} digits)")
        return int(t)

    return parse


def positive(kind: str, low: int = 1):
    """argparse type: an int >= low, with a clear message."""
    as_int = integer(kind)

    def parse(text: str) -> int:
        v = as_int(text)
        if v < low:
            raise argparse.ArgumentTypeError(f"{kind} must be >= {low}, got {v}")
        return v

    return parse


def finite_positive(kind: str, high: float | None = None, why: str = ""):
    """argparse type: a finite float > 0 (and <= high, where given, for the reason `why`), with a clear message."""

    def parse(text: str) -> float:
        try:
            v = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{kind} must be a number, got {text!r}") from None
        if not math.isfinite(v) or v <= 0:
            raise argparse.ArgumentTypeError(f"{kind} must be a finite number > 0, got {text}")
        if high is not None and v > high:
            raise argparse.ArgumentTypeError(f"{kind} must be at most {high:g} ({why}), got {text}")
        return v

    return parse


def seed_type(text: str) -> int:
    from .runtime import MAX_SEED

    t = text.strip()
    if re.fullmatch(r"[+-]?[0-9]{31,}", t):  # any such seed is out of range
        raise argparse.ArgumentTypeError(f"seed must be in [0, 2**64), got {t[:12]}... ({len(t)} digits)")
    v = integer("seed")(t)
    if not 0 <= v < MAX_SEED:
        raise argparse.ArgumentTypeError(f"seed must be in [0, 2**64), got {v}")
    return v


def seed_list(text: str) -> list[int]:
    """argparse type: comma-separated seeds, e.g. 0,1,2."""
    parts = [p.strip() for p in text.split(",")]
    try:
        return [seed_type(p) for p in parts]
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated seeds (ints in [0, 2**64)) such as 0,1,2, got {text!r}"
        ) from None


def _labels(text: str | None, flag: str = "--labels"):
    """--labels/--toward as given: one string or a list of them. Class names and ints are told apart where the
    model's classes are known (ganzoo.runtime.label_indices), by one rule for the CLI and the Python API."""
    if text is None:
        return None
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts:
        raise GanzooError(f"{flag} {text!r} names no class; give an int or a class name, e.g. {flag} 7")
    return parts[0] if len(parts) == 1 else parts


def cmd_list(a) -> None:
    from .registry import ZOO, list_models, listing

    names = list_models(a.pattern, with_weights=not a.all)
    if a.json:  # for scripts (web/build.mjs): one object per entry, torch-free
        print(json.dumps([listing(n) for n in names], indent=1))
        return
    wn = max([22, *(len(n) for n in names)])  # columns widen for long names (stylegan2-fashion-mnist)
    wa = max([len("architecture"), *(len(ZOO[n].arch) for n in names)])  # the header is the widest so far
    wd = max([14, *(len(ZOO[n].datasets_text) for n in names)])  # a translation entry shows both domains
    print(f"{'name':<{wn}} {'architecture':<{wa}} {'dataset':<{wd}} {'version':<8} {'weights':<8} hub repo")
    for n in names:
        e = ZOO[n]
        print(
            f"{n:<{wn}} {e.arch:<{wa}} {e.datasets_text:<{wd}} {e.version or '-':<8} "
            f"{'bundled' if e.has_weights else '-':<8} {e.hub_repo or 'not published yet'}"
        )
    if not names:
        print("(no entries match; try `ganzoo list --all`)")


def cmd_info(a) -> None:
    from .registry import ZOO, canonical_name, info

    out = info(a.name) if canonical_name(a.name) in ZOO else {}
    try:
        from . import load

        m = load(a.name, revision=a.revision)
        out.update(
            {
                "version": m.version,
                "latent_dim": m.latent_dim,
                "image_shape": list(m.image_shape),
                "num_classes": m.num_classes,
                "class_names": m.class_names,
                "config": m.config,
                **({"domains": list(m.domains)} if hasattr(m, "translate") else {}),  # web/build.mjs reads it
            }
        )
    except GanzooError as e:
        if not out:
            raise
        out["load"] = str(e)
    print(json.dumps(out, indent=2))


def cmd_sample(a) -> None:
    from . import load

    out = output_path(a.output, IMAGE_EXTS, "a sample grid", default=a.default_output)
    if a.name.lower().endswith(".onnx"):
        return _sample_onnx(a, out)
    m = load(a.name, device=a.device, revision=a.revision)
    m.check_memory(a.n, f"{a.n} samples and their grid", grid=True, nrow=a.nrow)
    imgs = m.sample(a.n, labels=_labels(a.labels), seed=a.seed, truncation=a.truncation, resolution=a.resolution)
    path = m.save_grid(imgs, out, nrow=a.nrow)
    print(f"wrote {plural(a.n, 'sample')} of {m.source} to {path}")


def _sample_onnx(a, out: Path) -> None:
    """`ganzoo sample FILE.onnx`: an exported generator through the torch-free runtime (onnxruntime, CPU)."""
    from .images import save_grid
    from .runtime import OnnxGenerator, ensure_fits

    for flag, given in (
        ("--truncation", a.truncation is not None),
        ("--resolution", a.resolution is not None),
        ("--revision", a.revision is not None),
        (f"--device {a.device}", a.device != "cpu"),
    ):
        if given:
            raise GanzooError(
                f"{flag} is for zoo names, model folders and Hub repos, not an ONNX file (which "
                f"onnxruntime samples on the CPU, untruncated): drop {flag.split()[0]}"
            )
    gen = OnnxGenerator(a.name)
    ensure_fits(gen.peak_bytes(a.n, grid=True, nrow=a.nrow), f"{a.n} samples and their grid")
    imgs = gen.sample(a.n, labels=_labels(a.labels), seed=a.seed)
    if gen.output_format.startswith("uint8"):  # --uint8 exports give N x H x W x C
        imgs = imgs.transpose(0, 3, 1, 2)
    save_grid(imgs, out, nrow=a.nrow)
    print(f"wrote {plural(a.n, 'sample')} of {a.name} to {out}")


def cmd_eval(a) -> None:
    from . import load
    from .fileio import atomic_write_text
    from .metrics import evaluate

    if a.json:
        output_path(a.json, (".json",), "a results file", flag="--json")
    m = load(a.name, revision=a.revision)
    if hasattr(m, "translate"):  # an image-to-image model: both directions, classifier FD, cycle, class mapping
        return _eval_translation(a, m)
    if a.inception_weights:
        from .inception import inception_metrics

        if a.truncation is not None:
            raise GanzooError("--truncation is measured with ganzoo's classifier metrics; drop --inception-weights")
        res = inception_metrics(m, a.inception_weights, n=a.n, seed=a.seed, root=a.data_root)
    else:
        res = evaluate(m, n=a.n, seed=a.seed, root=a.data_root, truncation=a.truncation)
    print(format_table(res))
    if a.json:
        atomic_write_text(a.json, json.dumps(res, indent=2) + "\n")
        print(f"wrote {a.json}")


def _eval_translation(a, m) -> None:
    from .fileio import atomic_write_text
    from .metrics import evaluate_translation

    if a.inception_weights:
        raise GanzooError("--inception-weights is for generators; an image-to-image model is measured with classifiers")
    if a.truncation is not None:
        raise GanzooError(
            "--truncation is for generators (stylegan2-*: psi in W; biggan-*: a z threshold); an image-to-image "
            "model has no latent"
        )
    res = evaluate_translation(m, n=a.n, root=a.data_root)
    print(format_table(res))
    for name, t in res["tables"].items():
        src, dst = name.split("_to_")
        print(f"{src} -> {dst}: source class -> most common target class (share); one-to-one class (share)")
        for i, (j, share, k, kshare) in enumerate(
            zip(t["target_class"], t["share"], t["one_to_one_class"], t["one_to_one_share"])
        ):
            print(f"  {i} -> {j} ({share:.2f}); {k} ({kshare:.2f})")
    if a.json:
        atomic_write_text(a.json, json.dumps(res, indent=2) + "\n")
        print(f"wrote {a.json}")


def format_table(res: dict) -> str:
    w = max([28, *(len(k) + 1 for k in res["metrics"])])  # a translation model's metric names run past 28
    rows = [f"{'metric':<{w}} value"]
    for k, v in res["metrics"].items():
        rows.append(f"{k:<{w}} {v:.4f}" if isinstance(v, float) else f"{k:<{w}} {v}")
    rows.append("protocol: " + ", ".join(f"{k}={v}" for k, v in res["protocol"].items()))
    return "\n".join(rows)


def cmd_export(a) -> None:
    from . import load
    from .export import precision_of, verify_onnx

    out = output_path(a.output, (".onnx",), "an ONNX export")
    m = load(a.name, revision=a.revision)
    if hasattr(m, "translate"):  # an image-to-image model: one direction per file
        return _export_translator(a, m, out)
    if a.to is not None:
        raise GanzooError(f"--to is for image-to-image models (cyclegan-*); {escaped(a.name)} generates from z")
    path = m.export_onnx(
        out,
        opset=a.opset,
        uint8=a.uint8,
        check=False,
        convt=a.convt,
        fp16=a.fp16,
        quantize=a.quantize,
        verbose=a.verbose,
        space=a.space,
    )
    diffs = verify_onnx(m, path, uint8=a.uint8)
    kind = "mean" if a.quantize else "max"
    what, against = precision_of(a.fp16, a.quantize), "the fp32 torch generator"
    if a.space == "mapping":
        g = m.generator
        what, against = f"fp32, the mapping network: z -> ws (batch, {g.num_ws}, {g.w_dim})", "torch's mapping network"
    print(
        f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB, {what}); checked with onnx.checker and onnxruntime "
        f"against {against}: " + ", ".join(f"batch {b}: {kind}|diff| {d:.1e}" for b, d in diffs.items())
    )


def _export_translator(a, m, out: Path) -> None:
    from .export import verify_translator

    if a.to is None:
        x, y = m.domains
        raise GanzooError(f"{escaped(a.name)} translates both ways: give --to {y} or --to {x} (one direction per file)")
    for flag, given in (
        ("--uint8", a.uint8),
        ("--fp16", a.fp16),
        ("--quantize", a.quantize),
        ("--space", a.space != "z"),
        ("--convt", a.convt != DEFAULT_CONVT),
    ):
        if given:
            raise GanzooError(f"{flag} is not available for image-to-image models (fp32 files only): drop it")
    path = m.export_onnx(out, to=a.to, opset=a.opset, check=False, verbose=a.verbose)
    diffs = verify_translator(m, path)
    print(
        f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB, fp32, {m.other(a.to)} -> {m.check_domain(a.to)}); "
        "checked with onnx.checker and onnxruntime against torch: "
        + ", ".join(f"batch {b}: max|diff| {d:.1e}" for b, d in diffs.items())
    )


def _model_labels(m, text: str | None, what: str):
    """--labels for a conditional model (required: one label or one per image), None otherwise."""
    if not m.conditional:
        if text is not None:
            raise GanzooError(f"{m.source} is unconditional: drop --labels")
        return None
    if text is None:
        raise GanzooError(f"{m.source} is conditional: give --labels, {what} (ints or class names)")
    return _labels(text)


def _read_latents(path: str, m, space: str):
    """--latents FILE.npy (as `ganzoo invert --save-latents` writes it) as a float tensor of `space`'s shape; the
    header is checked before the array is read, and nothing is unpickled."""
    import numpy as np
    import torch

    shape = m.latent_shape(space)  # checks the space
    try:
        arr = np.load(path, mmap_mode="r", allow_pickle=False)
    except OSError as e:  # missing, unreadable
        raise GanzooError(f"cannot read --latents {escaped(path)} as a .npy array: {escaped(e)}") from None
    except (ValueError, EOFError) as e:  # not .npy, damaged, or an object array (numpy's words suggest unpickling)
        if isinstance(e, ValueError) and str(e) and not any(w in str(e) for w in ("pickle", "object")):  # damaged
            raise GanzooError(
                f"cannot read --latents {escaped(path)} as a .npy array: {escaped(e)} (a truncated or damaged "
                "file?); write it again with numpy.save or `ganzoo invert --save-latents FILE.npy`"
            ) from None
        raise GanzooError(
            f"cannot read --latents {escaped(path)} as a .npy array: not a .npy file of numbers (object arrays are "
            "never unpickled); write one with numpy.save or `ganzoo invert --space w --save-latents FILE.npy`"
        ) from None
    if not isinstance(arr, np.ndarray):  # np.load opens an .npz archive lazily
        arr.close()
        raise GanzooError(
            f"--latents {escaped(path)} is an .npz archive; give one .npy array (numpy.save, or `ganzoo invert "
            "--save-latents FILE.npy`)"
        )
    if arr.shape[1:] == shape and not len(arr):
        raise GanzooError(f"--latents {escaped(path)} holds no latents (an array of shape {arr.shape})")
    if arr.ndim != len(shape) + 1 or arr.shape[1:] != shape:
        fits = [
            f"--space {o}"
            for o in (("z", "w", "w+") if m.has_w_space else ())
            if o != space and arr.ndim == len(m.latent_shape(o)) + 1 and arr.shape[1:] == m.latent_shape(o)
        ]
        hint = f"; an array of that shape fits {' or '.join(fits)}" if fits else ""
        dims = ", ".join(map(str, shape))
        raise GanzooError(
            f"--latents {escaped(path)} holds an array of shape {arr.shape}; --space {space} steers (N, {dims}){hint}"
        )
    if not np.issubdtype(arr.dtype, np.floating):
        raise GanzooError(f"--latents {escaped(path)} holds {arr.dtype} values; latents are floats")
    with np.errstate(over="ignore"):  # values beyond float32 become inf here, and the latent check names them
        return torch.from_numpy(np.array(arr, dtype=np.float32))


def cmd_steer(a) -> None:
    import torch

    from . import load
    from .control import to_space

    out = output_path(a.output, IMAGE_EXTS, "a morph grid", default=a.default_output)
    if a.latents is not None and a.seed:
        raise GanzooError("give --seed or --latents, not both: the rows are the seeds' latents or the file's")
    m = load(a.name, device=a.device, revision=a.revision)
    if a.move_label and not m.conditional:
        raise GanzooError(f"--move-label is for conditional models (it moves the label); {m.source} has no label")
    what = "the start label, moved to --toward" if a.move_label else "the label held while z is steered"
    labels = _model_labels(m, a.labels, what)
    m.check_space(a.space)  # a z-only model refuses W before any work
    if a.latents is not None:
        latents = _read_latents(a.latents, m, a.space)
        rows = f"one row per latent of {escaped(a.latents)}"
    else:
        seeds = a.seed or [0]
        latents = to_space(m, torch.cat([m.sample_latent(1, seed=s) for s in seeds]), a.space)
        rows = "one row per seed"
    n = len(latents)
    m.check_memory(n * a.steps, f"{n} morph(s) of {a.steps} steps and their grid", grid=True, nrow=a.steps)
    images = torch.empty(n * a.steps, *m.image_shape)  # one morph at a time into it: no second copy
    missed = []  # the rows whose end the steering classifiers do not all read as the target
    for i, z in enumerate(latents):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", SteeringWarning)
            path = m.steer(
                z, _labels(a.toward, "--toward"), steps=a.steps, labels=labels, space=a.space, move_label=a.move_label
            )
        for w in caught:  # a SteeringWarning becomes the note below; any other warning is shown as it came
            if issubclass(w.category, SteeringWarning):
                missed.append((i, str(w.message)))
            else:
                warnings.showwarning(w.message, w.category, w.filename, w.lineno)
        path, drawn = path if a.move_label else (path, labels)  # with --move-label: the label path too
        images[i * a.steps : (i + 1) * a.steps] = m.generate(path, drawn, space=a.space).cpu()
    m.save_grid(images, out, nrow=a.steps)  # one row per latent, from its image on the left
    print(
        f"wrote {plural(n, 'morph')} of {a.steps} steps toward {escaped(a.toward)} "
        + ("" if a.space == "z" else f"in {a.space.upper()} ")
        + f"to {out} ({rows}, left to right)"
    )
    if missed:  # said once, naming the rows: the grid is written either way
        which = ", ".join(str(i + 1) for i, _ in missed)
        print(f"note: row(s) {which} of {n}: {missed[0][1]}", file=sys.stderr)


def cmd_directions(a) -> None:
    import torch

    from . import load

    out = output_path(a.output, IMAGE_EXTS, "a directions grid", default=a.default_output)
    m = load(a.name, device=a.device, revision=a.revision)
    labels = _model_labels(m, a.labels, "the label held while z moves")
    if isinstance(labels, list):  # one label for the whole grid: its rows are directions, not samples
        raise GanzooError(
            f"--labels {a.labels}: directions holds one label for the whole grid, got {len(labels)}; "
            f"give one, e.g. --labels {labels[0]}"
        )
    d = m.directions(a.k, method=a.method)  # checks k and the method before any image is made
    m.check_memory(a.k * a.steps, f"{a.k} direction(s) of {a.steps} steps and their grid", grid=True, nrow=a.steps)
    space = "w" if m.has_w_space else "z"  # a style-based model's directions live in W
    z = m.sample_latent(1, seed=a.seed)
    if space == "w":
        with torch.inference_mode():
            z = m.generator.mapping(z.to(d.device))
    t = torch.linspace(-a.distance, a.distance, a.steps, device=d.device)
    grid = (z.to(d.device) + t[None, :, None] * d[:, None, :]).reshape(-1, d.shape[1])  # row i: z + t * d[i]
    m.save_grid(m.generate(grid, labels, space=space), out, nrow=a.steps)
    print(
        f"wrote {plural(a.k, a.method + ' direction')} (rows) x {a.steps} steps in {space.upper()} from "
        f"-{a.distance:g} to +{a.distance:g} around seed {a.seed} to {out}"
    )


def cmd_invert(a) -> None:
    import numpy as np
    import torch

    from . import load
    from .control import open_image

    out = output_path(a.output, IMAGE_EXTS, "a reconstruction grid", inputs=a.images, default=a.default_output)
    if a.save_latents is not None:
        latents_out = output_path(a.save_latents, (".npy",), "a latents file", flag="--save-latents", inputs=a.images)
    m = load(a.name, device=a.device, revision=a.revision)
    images = [open_image(f, m) for f in a.images]
    labels = _model_labels(m, a.labels, "the images' labels")
    m.check_space(a.space)  # before the work: a z-only model refuses w at once
    z, mse = m.invert(images, labels=labels, steps=a.steps, space=a.space, return_error=True)
    from .control import to_image_tensor

    originals = to_image_tensor(m, images)
    recon = m.generate(z, labels, space=a.space)
    m.save_grid(torch.cat([originals, recon]), out, nrow=len(images))
    if a.save_latents is not None:
        arr = z.cpu().numpy()
        from .fileio import atomic_write

        atomic_write(latents_out, lambda f: np.save(f, arr, allow_pickle=False))
    # the error in context: against the image's own pixel variance (0 % a perfect copy, 100 % a flat grey image)
    variance = originals.flatten(1).var(1, unbiased=False).clamp_min(1e-12)
    for f, e, v in zip(a.images, mse.tolist(), variance.tolist()):
        print(
            f"{escaped(f)}: reconstruction MSE {e:.5f}, {e / v:.0%} of the image's own pixel variance "
            "(0 % would be a perfect copy, 100 % a flat grey image)"
        )  # a file name can hold anything
    print(
        f"wrote originals (top) and reconstructions (bottom) to {out}"
        + (f"; latents to {a.save_latents}" if a.save_latents else "")
    )


def cmd_mix(a) -> None:
    from . import load
    from .control import mixing_figure

    out = output_path(a.output, IMAGE_EXTS, "a style-mixing grid", default=a.default_output)
    m = load(a.name, device=a.device, revision=a.revision)
    # the papers' figure: column sources along the top, row sources down the left, an empty corner
    tiles, nrow = mixing_figure(m, a.rows, a.cols, crossover=a.crossover, truncation=a.truncation)  # checks input
    m.save_grid(tiles, out, nrow=nrow)
    print(
        f"wrote a {len(a.rows)} x {len(a.cols)} style-mixing grid to {out}: row i takes the coarse styles "
        f"(inputs 0..{a.crossover - 1} of {m.generator.num_ws}) of seed {','.join(map(str, a.rows))}[i], column j "
        f"the fine ones of seed {','.join(map(str, a.cols))}[j]; the sources are along the top and the left"
    )


def _translation_model(a, what: str):
    """The loaded model of `a.name`, which must be a translation model (CycleGAN) for `what`."""
    from . import load
    from .model import TranslationModel

    m = load(a.name, device=getattr(a, "device", "cpu"), revision=a.revision)
    if not isinstance(m, TranslationModel):
        raise GanzooError(
            f"{escaped(a.name)} is a {m.architecture} model, which generates images from a latent: {what} is for "
            "image-to-image models (`ganzoo list 'cyclegan-*' --all`); sample it with `ganzoo sample`"
        )
    return m


def cmd_translate(a) -> None:
    import torch

    from .control import open_image

    out = output_path(a.output, IMAGE_EXTS, "a translation grid", inputs=a.images, default=a.default_output)
    m = _translation_model(a, "translate")
    target = m.check_direction(a.to, a.source, names=("--to", "--from"))  # before the images are read
    m.check_memory(len(a.images), f"translating {len(a.images)} images and their grid", grid=True)
    images = [open_image(f, m) for f in a.images]
    from .control import to_image_tensor

    originals = to_image_tensor(m, images)
    translated = m.translate(originals, to=target)
    m.save_grid(torch.cat([originals, translated]), out, nrow=len(images))
    print(f"wrote {plural(len(images), 'original')} (top) and their {target} translations (bottom) to {out}")


def cmd_publish(a) -> None:
    from .publish import publish

    publish(
        a.source,
        a.repo_id,
        private=a.private,
        revision=a.revision,
        create_pr=a.create_pr,
        dry_run=a.dry_run,
        include_onnx=a.include_onnx,
        eval_json=a.eval_json,
        card=a.card,
    )


def cmd_card(a) -> None:
    from .cards import write_card

    if a.output:
        output_path(a.output, (".md",), "a model card")
    path = write_card(a.name, eval_json=a.eval_json, run_json=a.run_json, out=a.output)
    print(f"wrote {path}")


def cmd_train(rest: list[str]) -> int:
    """`ganzoo train ...`: training.train of the checkout this ganzoo is installed from (pip install -e).

    It runs in this process, not in a child: Ctrl-C and SIGTERM reach the trainer itself, which finishes
    the step, saves its checkpoint and exits 130, exactly as `python -m training.train` does (a wrapper
    process would have to forward every signal and could leave the trainer behind when it is killed).
    """
    from .registry import checkout_dir

    root = checkout_dir(
        "training", "`ganzoo train`", "the recipes live in the checkout's training/, like torchvision's references/"
    ).parent
    _needs("torchvision", "train", "training")
    _needs("tqdm", "train", "training")
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    import training.train

    if Path(training.train.__file__).resolve().parent != root / "training":  # another module called `training`
        raise GanzooError(
            f"`ganzoo train` needs {root / 'training'}, but Python imports `training` from "
            f"{Path(training.__file__).parent}; rename or uninstall that module."
        )
    return training.train.cli(rest, prog="ganzoo train")


def _load_and_output(s: argparse.ArgumentParser, output: str) -> None:
    """The options of the commands that load a model and write one picture."""
    s.add_argument("--device", default="cpu")
    s.add_argument("--revision")
    s.add_argument(
        "-o",
        "--output",
        help=f"the picture to write (default {output}, which must not exist yet; a file named here is replaced)",
    )
    s.set_defaults(default_output=output)


class Parser(argparse.ArgumentParser):
    """argparse whose mistakes are a GanzooError: one `error:` line (and `-h` for the usage)."""

    def error(self, message: str):
        raise GanzooError(f"{self.prog}: {message} (see `{self.prog} -h`)")


def build_parser() -> argparse.ArgumentParser:
    extras = {}
    for cmd, pairs in NEEDS.items():
        extras.setdefault(",".join(dict.fromkeys(e for _, e in pairs)), []).append(cmd)
    p = Parser(
        prog="ganzoo",
        description="GAN model zoo: list, sample, evaluate, export, publish.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=f"Without torch (an app's install: {pip_install('runtime')}), {TORCH_FREE} work.\n"
        "The other commands need these extras, and name them when they are missing:\n"
        + "".join(f"  {', '.join(cmds)}: {pip_install(e)}\n" for e, cmds in extras.items())
        + f"  train: {pip_install('train')}, in a clone of the repository",
    )
    sub = p.add_subparsers(dest="cmd", required=True, parser_class=Parser)
    s = sub.add_parser("list", help="list zoo entries")
    s.add_argument("pattern", nargs="?", default="*", help="glob, e.g. '*-mnist'")
    s.add_argument("--all", action="store_true", help="include entries without bundled weights")
    s.add_argument("--json", action="store_true", help="print the entries as JSON (for scripts)")
    s = sub.add_parser("info", help="describe a model")
    s.add_argument("name")
    s.add_argument("--revision")
    s = sub.add_parser("sample", help="write a grid of samples to a PNG")
    s.add_argument(
        "name", help="zoo name, model folder, OWNER/NAME Hub repo, or an exported FILE.onnx (no torch needed)"
    )
    s.add_argument("-n", type=positive("-n"), default=64)
    s.add_argument("--seed", type=seed_type)
    s.add_argument("--labels", help="ints or class names, comma separated: 3,3,7 or Sneaker")
    s.add_argument(
        "--truncation",
        type=float,
        help="most models: redraw z entries beyond t > 0; style-based "
        "models: psi in [0, 1], each w pulled toward w_avg",
    )
    s.add_argument(
        "--resolution",
        type=integer("--resolution"),
        help="progressively grown models (progan-*): draw from the growth stage of this resolution (7, 14, 28)",
    )
    s.add_argument("--nrow", type=positive("--nrow"))
    _load_and_output(s, "samples.png")
    s = sub.add_parser("steer", help="morph samples toward a class with the data set's classifier")
    s.add_argument("name")
    s.add_argument("--seed", type=seed_type, action="append", help="one row per seed (repeat the flag); default 0")
    s.add_argument("--toward", required=True, help="target class: int or class name")
    s.add_argument(
        "--steps",
        type=positive("--steps", 2),
        default=STEER_STEPS,
        help="images per row: the path's length, the start and the steered end included (default %(default)s)",
    )
    s.add_argument(
        "--labels", help="conditional models: the label held while z is steered (with --move-label: the start label)"
    )
    s.add_argument(
        "--move-label",
        action="store_true",
        help="conditional models: move the label from --labels to --toward along the morph, steering z only as "
        "far as still needed (default: hold the label and steer z alone)",
    )
    s.add_argument(
        "--latents",
        help="steer the latents of this .npy file instead of seeds, one row each (e.g. from ganzoo invert "
        "--save-latents, with the same --space)",
    )
    s.add_argument(
        "--space",
        choices=["z", "w", "w+"],
        default="z",
        help="where to steer: z (every model), or W / W+ for style-based models (seeds are mapped there)",
    )
    _load_and_output(s, "morph.png")
    s = sub.add_parser("directions", help="a grid along latent directions found without a classifier (SeFa)")
    s.add_argument("name")
    s.add_argument("-k", type=positive("-k"), default=5, help="directions, one row each (default 5)")
    s.add_argument("--method", choices=["sefa"], default="sefa")
    s.add_argument("--seed", type=seed_type, default=0, help="the latent the rows start from")
    s.add_argument("--steps", type=positive("--steps", 2), default=7, help="columns per row (default 7)")
    s.add_argument(
        "--distance",
        type=finite_positive("--distance", 100, "farther along a unit direction is far from all the generator saw"),
        default=3.0,
        help="the columns go from z - distance * d to z + distance * d (default 3)",
    )
    s.add_argument("--labels", help="conditional models: the label held while z moves")
    _load_and_output(s, "directions.png")
    s = sub.add_parser("invert", help="find latents whose images match given images")
    s.add_argument("name")
    s.add_argument("images", nargs="+", help="image files of the model's size (e.g. 28x28 greyscale PNGs)")
    s.add_argument(
        "--steps",
        type=positive("--steps"),
        default=INVERT_STEPS,
        help="optimiser (Adam) steps, each one generator and classifier forward and backward pass over all the "
        "images; fewer are faster, more fit closer (default %(default)s)",
    )
    s.add_argument("--labels", help="conditional models: the images' labels")
    s.add_argument(
        "--save-latents",
        help="write the latents as a .npy array (N, latent_dim); in W (N, w_dim), in W+ (N, num_ws, w_dim)",
    )
    s.add_argument(
        "--space",
        choices=["z", "w", "w+"],
        default="z",
        help="where to search: z (every model), or W / W+ for style-based models (from w_avg)",
    )
    _load_and_output(s, "recon.png")
    s = sub.add_parser(
        "mix",
        help="style mixing grid (style-based models): coarse styles from the row seeds, "
        "fine styles from the column seeds",
    )
    s.add_argument("name")
    s.add_argument("--rows", type=seed_list, required=True, help="seeds of the row latents, e.g. 0,1,2")
    s.add_argument("--cols", type=seed_list, required=True, help="seeds of the column latents, e.g. 3,4,5")
    s.add_argument(
        "--crossover",
        type=integer("--crossover"),
        required=True,
        help="how many style inputs (coarsest first) come from the rows: 1 .. num_ws - 1",
    )
    s.add_argument("--truncation", type=float, help="psi in [0, 1]: pull every w toward w_avg")
    _load_and_output(s, "mix.png")
    s = sub.add_parser("translate", help="image-to-image models (cyclegan-*): translate images into the other domain")
    s.add_argument("name")
    s.add_argument("images", nargs="+", help="image files of the model's size (e.g. 28x28 greyscale PNGs)")
    s.add_argument("--to", required=True, help="the target domain, e.g. fashion-mnist")
    s.add_argument("--from", dest="source", help="the images' domain (optional; must be the other one)")
    _load_and_output(s, "translated.png")
    s = sub.add_parser("eval", help="measure a model (classifier FD, KID, precision/recall, coverage)")
    s.add_argument("name")
    s.add_argument("--n", type=positive("--n", 10), default=10000, help="samples to measure (>= 10)")
    s.add_argument("--seed", type=seed_type, default=0)
    s.add_argument("--data-root", help="data root holding MNIST/ FashionMNIST/ (default $GANZOO_DATA or ./data)")
    s.add_argument("--json", help="write every number and the protocol here")
    s.add_argument(
        "--truncation",
        type=float,
        help="style-based models: measure at psi in [0, 1] (each w pulled toward w_avg); biggan-*: at z threshold "
        "t > 0 (entries beyond it redrawn); recorded in the protocol",
    )
    s.add_argument(
        "--inception-weights",
        help="local FID Inception weights (pt_inception-2015-12-05) for Inception FID/IS/KID via torch-fidelity",
    )
    s.add_argument("--revision")
    s = sub.add_parser("export", help="export the generator to ONNX and verify it")
    s.add_argument("name")
    s.add_argument("-o", "--output", required=True)
    s.add_argument("--opset", type=integer("--opset"), default=18, help="ONNX opset, 18 or newer")
    s.add_argument("--uint8", action="store_true", help="output uint8 N x H x W x C")
    s.add_argument(
        "--convt",
        choices=CONVT_FORMS,
        default=DEFAULT_CONVT,
        help="form of the stride-2 transposed convolutions in the graph (same images; speed differs, "
        "see the README's performance section)",
    )
    g = s.add_mutually_exclusive_group()
    g.add_argument("--fp16", action="store_true", help="fp16 weights and compute, float32 in/out (for GPU apps)")
    g.add_argument(
        "--quantize",
        choices=["int8"],
        help="int8: onnxruntime static QDQ quantisation calibrated on the model's own latents",
    )
    s.add_argument(
        "--space",
        choices=["z", "w", "mapping"],
        default="z",
        help="which file: z -> images; for style-based models also w (ws, one w per layer -> images, for mixing "
        "and truncation in W) or mapping (the mapping network alone: z -> ws)",
    )
    s.add_argument("--to", help="image-to-image models (cyclegan-*): the direction to export, by its target domain")
    s.add_argument("--revision")
    s.add_argument(
        "--verbose",
        action="store_true",
        help="show the exporter's progress lines and the warnings ganzoo knows to be harmless",
    )
    s = sub.add_parser("publish", help="validate and upload a model folder to the Hugging Face Hub")
    s.add_argument("source", help="run folder (with model/), model folder or zoo name")
    s.add_argument("--repo-id", required=True)
    s.add_argument("--private", action="store_true")
    g = s.add_mutually_exclusive_group()
    g.add_argument("--revision", help="branch to push to")
    g.add_argument("--create-pr", action="store_true")
    s.add_argument("--dry-run", action="store_true")
    s.add_argument("--include-onnx", action="store_true")
    s.add_argument("--eval-json", help="eval JSON the card's metrics must equal (default: a zoo entry's manifest)")
    s.add_argument("--card", help="model card (default: model_cards/NAME.md for zoo entries)")
    s = sub.add_parser("card", help="generate a zoo entry's model card from its eval JSON")
    s.add_argument("name")
    s.add_argument("--eval-json")
    s.add_argument("--run-json")
    s.add_argument("-o", "--output")
    sub.add_parser("train", help="train a recipe (python -m training.train ...)", add_help=False)
    return p


def _warning_line(message, category, filename, lineno, file=None, line=None) -> None:
    """warnings.showwarning for the CLI: one `warning:` line, without the source line Python would add."""
    print(f"warning: {escaped(str(message))}", file=sys.stderr if file is None else file)


def main(argv: list[str] | None = None) -> int:
    """Run one command; a user's mistake is one `error:` line and exit code 2, never a traceback."""
    if argv is not None:  # called in-process (scripts, tests): warnings go where the caller's filters send them
        return _main(argv)
    with warnings.catch_warnings():  # the `ganzoo` command: one line per warning on the terminal
        warnings.showwarning = _warning_line
        return _main(sys.argv[1:])


def _main(argv: list[str]) -> int:
    try:
        if argv[:1] == ["train"]:
            return cmd_train(argv[1:])
        a = build_parser().parse_args(argv)
        check_needs(a.cmd, needs(a))
        {
            "list": cmd_list,
            "info": cmd_info,
            "sample": cmd_sample,
            "eval": cmd_eval,
            "export": cmd_export,
            "publish": cmd_publish,
            "card": cmd_card,
            "steer": cmd_steer,
            "invert": cmd_invert,
            "mix": cmd_mix,
            "directions": cmd_directions,
            "translate": cmd_translate,
        }[a.cmd](a)
        sys.stdout.flush()
    except GanzooError as e:
        print(f"error: {escaped(e)}", file=sys.stderr)  # one line, whatever untrusted text the message quotes
        return 2
    except BrokenPipeError:  # `ganzoo list | head`: the reader left; that is not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:  # Ctrl-C: a stop, not a crash (outputs are written atomically: none is half-written)
        print("interrupted", file=sys.stderr)
        return 130  # 128 + SIGINT, as a shell reports it
    return 0


if __name__ == "__main__":
    sys.exit(main())
