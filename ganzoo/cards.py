"""Model cards generated from a template and the entry's manifest, so no number is typed by hand.

A zoo entry's facts (version, evaluation, training run, recipe) live in its manifest.json next to the bundled
weights; the repository's model_cards/ holds the template and the generated NAME.md.
"""

from __future__ import annotations

import json
import math
import os
import re
import reprlib
from pathlib import Path

from .errors import DIST_NAME, GanzooError, escaped

MAX_JSON_BYTES = 16 * 2**20  # an eval or run JSON is a few KB; anything this large is not one


def model_cards_dir() -> Path:
    """The checkout's model_cards/ (cards, eval and train JSON of the zoo entries); an error elsewhere."""
    from .registry import checkout_dir

    return checkout_dir(
        "model_cards",
        "a zoo entry's model card",
        "or, to publish your own model, pass its folder instead of a zoo name",
    )


def card_paths(name: str) -> dict[str, Path]:
    return {"card": model_cards_dir() / f"{name}.md"}


def entry_records(name: str) -> tuple[dict, dict]:
    """(evaluation, training run with its recipe) of a zoo entry's bundled version, from its manifest."""
    from .registry import get_entry

    entry = get_entry(name)
    if not entry.has_weights:
        raise GanzooError(f"zoo entry {name!r} has no bundled weights, so no manifest to build its card from")
    m = entry.manifest
    return m["evaluation"], {**m["training"], "recipe": m["recipe"], "version": m["version"]}


def card_metrics(eval_res: dict) -> dict[str, float]:
    """The scalar metrics a card reports (the model-index)."""
    return {k: v for k, v in eval_res["metrics"].items() if _number(v)}


def read_json_object(path: str | os.PathLike, what: str) -> dict:
    """A JSON file that must hold an object; every way it can be damaged (unreadable, too large, not UTF-8, not
    JSON, nested too deep, integers too long, not an object) is a GanzooError naming the file."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_JSON_BYTES:
            raise GanzooError(f"{what} {path} is over {MAX_JSON_BYTES // 2**20} MiB; it is not a ganzoo JSON file")
        obj = json.loads(path.read_bytes().decode("utf-8"))
    except GanzooError:
        raise
    except FileNotFoundError:
        raise GanzooError(f"{what} {path} not found") from None
    except OSError as e:
        raise GanzooError(f"cannot read {what} {path}: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise GanzooError(f"{what} {path} is not UTF-8 text; it is not a JSON file") from None
    except (ValueError, RecursionError) as e:  # JSONDecodeError, int() digit limit, nesting deeper than the stack
        raise GanzooError(f"{what} {path} is not valid JSON ({escaped(str(e) or type(e).__name__)})") from None
    if not isinstance(obj, dict):
        raise GanzooError(f"{what} {path} must hold a JSON object, got {type(obj).__name__}")
    return obj


def _number(v) -> bool:
    """A finite int or float (not a bool: True is an int to Python, not a metric)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return False
    return math.isfinite(v) if isinstance(v, float) else abs(v) < 2**53


def _bad(path, key: str, want: str, got) -> GanzooError:
    return GanzooError(
        f"{path}: {key} must be {want}, got {reprlib.repr(got)}; "
        "`ganzoo eval NAME --json FILE` writes a valid eval JSON"
    )


def read_eval_json(path: str | os.PathLike, *, for_card: bool = False, translation: bool = False) -> dict:
    """An eval JSON (`ganzoo eval --json`), checked for what a card's metrics use: `metrics` holds finite numbers
    (or lists of them), at least one scalar; `for_card` also needs the class shares and the protocol (a
    translation model's: both directions' 10x10 tables and its protocol)."""
    res = read_json_object(path, "eval JSON")
    metrics = res.get("metrics")
    if not isinstance(metrics, dict):
        raise _bad(path, "metrics", "an object of metric values", metrics)
    for k, v in metrics.items():
        if not (_number(v) or (isinstance(v, list) and all(map(_number, v)))):
            raise _bad(path, f"metrics[{k!r}]", "a finite number or a list of them", v)
    if not card_metrics(res):
        raise _bad(path, "metrics", "an object holding at least one number", metrics)
    if for_card and translation:
        _check_translation_eval(path, res)
    elif for_card:
        shares = metrics.get("class_share")
        if not isinstance(shares, list) or not shares:
            raise _bad(path, "metrics['class_share']", "a list of class shares", shares)
        proto = res.get("protocol")
        if not isinstance(proto, dict):
            raise _bad(path, "protocol", "an object", proto)
        _check_protocol(
            path,
            proto,
            n_generated=int,
            n_real=int,
            seed=int,
            real_split=str,
            feature_network_sha256=str,
            ganzoo_version=str,
        )
        acc = proto.get("feature_network_test_accuracy")
        if acc is not None and not _number(acc):
            raise _bad(path, "protocol['feature_network_test_accuracy']", "a number or null", acc)
    return res


def _check_protocol(path, proto: dict, **kinds: type) -> None:
    """Each key of `kinds` is in the eval JSON's protocol with that type (a bool is no int)."""
    want = {int: "an int", str: "a string", dict: "an object"}
    for key, kind in kinds.items():
        if isinstance(proto.get(key), bool) or not isinstance(proto.get(key), kind):
            raise _bad(path, f"protocol[{key!r}]", want[kind], proto.get(key))


def _check_translation_eval(path, res: dict) -> None:
    """What a translation card reads from `ganzoo eval --json` of an image-to-image model."""
    proto = res.get("protocol")
    if not isinstance(proto, dict):
        raise _bad(path, "protocol", "an object", proto)
    _check_protocol(path, proto, n_translated=int, real_split=str, ganzoo_version=str, feature_networks_sha256=dict)
    domains = proto.get("domains")
    if not (isinstance(domains, list) and len(domains) == 2 and all(isinstance(d, str) for d in domains)):
        raise _bad(path, "protocol['domains']", "a list of two data set names", domains)
    tables = res.get("tables")
    for a, b in (domains, domains[::-1]):
        key = f"{a}_to_{b}"
        counts = tables.get(key, {}).get("counts") if isinstance(tables, dict) else None
        if not (
            isinstance(counts, list)
            and len(counts) == 10
            and all(isinstance(r, list) and len(r) == 10 and all(_count(c) for c in r) for r in counts)
        ):
            raise _bad(path, f"tables[{key!r}]['counts']", "a 10x10 list of counts", counts)


def _count(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 2**53


def read_run_json(path: str | os.PathLike) -> dict:
    """A training run's run.json, checked for the fields a card shows."""
    run = read_json_object(path, "run JSON")
    for key, ok, want in (
        ("wall_seconds", _number, "a number"),
        ("cpu_seconds", _number, "a number"),
        ("recipe", lambda v: isinstance(v, dict), "an object"),
    ):
        if key in run and not ok(run[key]):
            raise GanzooError(
                f"{path}: {key} must be {want}, got {reprlib.repr(run[key])}; it is not a training run's run.json"
            )
    return run


# The families whose card shows measurements of a script beside the card (model_cards/NAME.KIND.json, checked to
# measure the bundled weights): architecture -> (KIND, the script, the tables it holds, the keys its JSON must have)
MEASURED = {
    "stylegan2": (
        "style",
        "benchmarks/stylegan2.py",
        "truncation and equal-CPU tables",
        ("equal_cpu", "command", "truncation", "protocol"),
    ),
    "progan": ("progan", "benchmarks/progan_biggan.py", "equal-CPU table", ("equal_cpu", "command")),
    "biggan": (
        "biggan",
        "benchmarks/progan_biggan.py",
        "truncation and equal-CPU tables",
        ("equal_cpu", "command", "truncation", "protocol"),
    ),
    "cyclegan": (
        "mapping",
        "benchmarks/cyclegan_mapping.py",
        "held-out readers' mapping table",
        ("directions", "command", "n"),
    ),
}


def measured_json(name: str, arch: str) -> str:
    """The file name of a zoo entry's measurements in model_cards/ (MEASURED), e.g. biggan-mnist.biggan.json."""
    return f"{name}.{MEASURED[arch][0]}.json"


def measured_results(name: str) -> dict:
    """model_cards/NAME.KIND.json of a zoo entry of a MEASURED family, checked to measure the bundled weights."""
    from .registry import get_entry

    entry = get_entry(name)
    _, script, what, keys = MEASURED[entry.arch]
    path = model_cards_dir() / measured_json(name, entry.arch)
    redo = f"run `python {script} {name} --data-root DATA --update-docs`" + (
        " (after the run's ablation record)" if "equal_cpu" in keys else ""
    )
    if path.exists() and not path.is_file():
        raise GanzooError(f"{name}'s card needs its {what}: {path} is not a regular file; {redo}")
    if not path.is_file():
        raise GanzooError(f"{name}'s card needs its {what}: {path} is missing; {redo}")
    res = read_json_object(path, f"{entry.arch} results JSON")
    want = entry.sha256.get("model.safetensors") if entry.sha256 else None
    for key in ("version", "model_sha256"):
        if not isinstance(res.get(key), str):
            raise GanzooError(
                f"{path} has no {key!r} naming the weights it measured: it is not {script}'s output; {redo}"
            )
    if res.get("version") != entry.version or res.get("model_sha256") != want:
        raise GanzooError(
            f"{path} measures {name} {reprlib.repr(res.get('version'))} "
            f"(weights {str(res.get('model_sha256'))[:12]}...), not the bundled {entry.version} "
            f"({str(want)[:12]}...); {redo}"
        )
    for key in keys:
        if key not in res:
            raise GanzooError(f"{path} has no {key!r}: it is not {script}'s output; {redo}")
    if entry.arch == "cyclegan":
        check_mapping_results(res, path, redo, entry.domains)
    return res


READER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._-]{0,39}")  # ganzoo, allconv-10, judge resnet, ...


def check_mapping_results(res: dict, path: Path, redo: str, domains: tuple[str, ...]) -> None:
    """benchmarks/cyclegan_mapping.py's JSON, checked for everything the card renders: a one-line command of the
    script, a positive image count, and for each direction of the entry (and no other) a table of readers with
    shares in [0, 1] and a class count; a GanzooError naming the file and the key otherwise."""

    def bad(key: str, want: str, got) -> GanzooError:
        return GanzooError(f"{path}: {key} must be {want}, got {reprlib.repr(got)}; {redo}")

    cmd = res["command"]
    if not (isinstance(cmd, str) and cmd.startswith("python benchmarks/cyclegan_mapping.py ") and len(cmd) < 500):
        raise bad("command", "the one-line command of benchmarks/cyclegan_mapping.py", cmd)
    if any(c in cmd for c in "`\n\r|"):
        raise bad("command", "a plain command line (no backticks, bars or line breaks)", cmd)
    n = res["n"]
    if not (_number(n) and isinstance(n, int) and n > 0):
        raise bad("n", "a positive whole number of test images", n)
    a, b = domains
    directions = res["directions"]
    want = [f"{a}_to_{b}", f"{b}_to_{a}"]
    if not isinstance(directions, dict) or sorted(directions) != sorted(want):
        raise bad("directions", f"an object with the directions {' and '.join(want)}", directions)
    from .models.cyclegan import MAPPING_MEMBER

    for d in want:
        r = directions[d]
        if not isinstance(r, dict) or not isinstance(r.get("readers"), dict) or not r["readers"]:
            raise bad(f"directions[{d!r}]", "an object with a non-empty 'readers' object", r)
        names = list(r["readers"])
        if "ganzoo" not in names or MAPPING_MEMBER not in names or not any(k.startswith("judge ") for k in names):
            raise bad(
                f"directions[{d!r}]['readers']",
                f"an object holding ganzoo's classifier's, {MAPPING_MEMBER}'s and the judges' readings",
                names,
            )
        if names != list(directions[want[0]]["readers"]):
            raise bad(f"directions[{d!r}]['readers']", f"the readers of {want[0]}", names)
        for reader, v in r["readers"].items():
            key = f"directions[{d!r}]['readers'][{reader!r}]"
            if not READER_NAME.fullmatch(reader):
                raise bad(f"directions[{d!r}]['readers']", "an object keyed by reader names", reader)
            if not isinstance(v, dict):
                raise bad(key, "an object of numbers", v)
            for k in ("mapping_share", "mapping_share_one_to_one", "agrees_with_ganzoo"):
                if not (_number(v.get(k)) and 0 <= v[k] <= 1):
                    raise bad(f"{key}[{k!r}]", "a number in [0, 1]", v.get(k))
            c = v.get("mapping_classes")
            if not (_number(c) and isinstance(c, int) and 1 <= c <= 10):
                raise bad(f"{key}['mapping_classes']", "a whole number from 1 to 10", c)


def style_results(name: str) -> dict:
    """model_cards/NAME.style.json of a style-based zoo entry, checked to measure the bundled weights."""
    return measured_results(name)


def style_tables(res: dict) -> str:
    """The truncation table and the equal-CPU comparison of benchmarks/stylegan2.py's results, as markdown."""
    name = res["entry"]
    n = res["protocol"]["n_generated"]
    lines = [
        f"Truncation trades variety for fidelity. Test-split metrics of {n:,} samples (seed 0) at each psi "
        f"(`ganzoo eval {name} --n {n} --seed 0 --truncation PSI`; psi 1.0 is the untruncated model):",
        "",
        "| psi | FD | precision | recall | smallest class (share) |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['psi']} | {r['fd']:.2f} | {r['precision']:.3f} | {r['recall']:.3f} | "
        f"{r['min_class']} ({r['min_class_share']:.1%}) |"
        for r in res["truncation"]
    ]
    return "\n".join(lines) + "\n\n" + equal_cpu_tables(res)


def z_truncation_table(res: dict) -> str:
    """A BigGAN's truncation table (benchmarks/progan_biggan.py's results) as markdown."""
    name = res["entry"]
    n = res["protocol"]["n_generated"]
    lines = [
        f"Truncation trades variety for fidelity. Test-split metrics of {n:,} samples (seed 0, balanced labels) at "
        f"each threshold t (`ganzoo eval {name} --n {n} --seed 0 --truncation T`: the evaluation's latents with "
        "every entry beyond t redrawn; none is the untruncated model, the zoo's numbers):",
        "",
        "| truncation t | FD | precision | recall | label accuracy | smallest class (share) |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {'none' if r['truncation'] is None else r['truncation']} | {r['fd']:.2f} | {r['precision']:.3f} | "
        f"{r['recall']:.3f} | {r['label_accuracy']:.3f} | {r['min_class']} ({r['min_class_share']:.1%}) |"
        for r in res["truncation"]
    ]
    return "\n".join(lines)


def equal_cpu_tables(res: dict) -> str:
    """The equal-CPU comparison of a measurement script's results (benchmarks.compare.compare_equal_cpu), as
    markdown: each released baseline's whole run beside the entry's own run within the same CPU time, then the
    baselines' proxy runs."""
    name = res["entry"]
    eq = res["equal_cpu"]
    families = " or ".join(eq.get("baselines", ("dcgan", "wgan-gp")))
    full = [r for r in eq["full_runs"] if r["ref_selection_fd"] is not None]
    lines = [
        f"At equal CPU time, from the run records (selection FD: training split, 2,000 samples, the number every run "
        f"logs; lower is better). Each released baseline's whole run beside the best selection FD `{name}`'s own run "
        f"({eq['ref_record']}, {eq['ref_hardware']}, {eq['ref_cpu_minutes']:.0f} CPU-minutes in all) had reached "
        "within the same CPU time:",
        "",
        f"| baseline | its run: CPU-min | its best selection FD (step) | its test FD | `{name}` within that time "
        "(step, CPU-min) | processors |",
        "|---|---|---|---|---|---|",
    ]
    for r in eq["full_runs"]:
        mine = (
            f"{r['ref_selection_fd']:.1f} ({r['ref_step']:,}, {r['ref_cpu_minutes']:.0f})"
            if r["ref_selection_fd"] is not None
            else "its run is shorter"
        )
        hw = r["hardware"] if r["hardware"] == eq["ref_hardware"] else f"{r['hardware']} / {eq['ref_hardware']}"
        lines.append(
            f"| `{r['model']}` {r['version']} | {r['cpu_minutes']:.0f} | {r['best_selection_fd']:.1f} "
            f"({r['best_step']:,}) | {r['test_fd']:.1f} | {mine} | {hw} |"
        )
    if not eq["full_runs"]:
        lines.append(f"| (no released {families} entry of this data set) | | | | | |")
    if eq["records"]:
        lines += [
            "",
            "Shorter proxy runs of the baselines' current recipes (training/ablation/), each at its last reading "
            f"beside `{name}`'s run at the same CPU time:",
            "",
            f"| baseline | CPU-min | its selection FD (step) | `{name}`'s (step, CPU-min) | record |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| `{r['model']}` | {r['cpu_minutes']:.1f} | {r['fd']:.1f} ({r['step']:,}) | {r['ref_fd']:.1f} "
            f"({r['ref_step']:,}, {r['ref_cpu_minutes']:.1f}) | {r['record']} |"
            for r in sorted(eq["records"], key=lambda r: r["cpu_minutes"])
        ]
    elif not full:
        lines += ["", "No record of a baseline shorter than this run to compare with."]
    lines += ["", f"Measured by `{res['command']}` ({res['date']}, {res['hardware']})."]
    return "\n".join(lines)


def progan_section(name: str, m) -> str:
    """The card section of a progressively grown entry: one sample grid per growth stage (the same seeds), how
    to draw them, and the equal-CPU comparison with the WGAN-GP entries (the same loss, without growing)."""
    from .control import STAGE_SAMPLES, stage_picture

    res = measured_results(name)
    res_list = ", ".join(map(str, m.resolutions))
    pics = "\n\n".join(
        f"{r}x{r} (`model.sample({STAGE_SAMPLES}, seed=0, resolution={r})`):\n\n"
        f"![the {r}x{r} stage: seed 0's first {STAGE_SAMPLES} samples]({stage_picture(r)})"
        for r in m.resolutions
    )
    return f"""## Growth: the same samples at every stage (progressive growing)

Training grew the networks {" -> ".join(f"{r}x{r}" for r in m.resolutions)}, fading each new resolution in. The
finished generator still holds every stage: `model.sample(n, seed=s, resolution=r)` with r in {res_list} draws the
same latents through the stage of resolution r, without its later layers. Every stage's images come back at
{m.resolutions[-1]}x{m.resolutions[-1]} (a coarser stage's pixels as blocks), so the grids line up; `images[..., ::k,
::k]` with k = {m.resolutions[-1]} // r gives the stage's own r x r images. Command line: `ganzoo sample {name} -n 16
--seed 0 --resolution 7 -o stage7.png`. The ONNX file (`ganzoo export`) is the full-resolution generator.

{pics}

What growing buys at this size, against the WGAN-GP entries (the same loss, the networks at full size from the
first step):

{equal_cpu_tables(res)}

"""


def biggan_section(name: str, m) -> str:
    """The card section of a BigGAN entry: labels, the truncation trick (picture and table), the equal-CPU
    comparison with the CGAN entries."""
    from .control import Z_FIGURE_SEEDS, Z_TRUNCATIONS

    res = measured_results(name)
    names = m.class_names
    values = ", ".join("none" if t is None else str(t) for t in Z_TRUNCATIONS)
    example = f'"{names[7]}"' if not names[7].isdigit() else "7"
    return f"""## Labels and truncation (BigGAN)

Labels work as for every conditional entry: ints or class names ({", ".join(names)}), one for all or one per
sample; without labels, `sample(n)` draws balanced labels 0, 1, ..., {len(names) - 1}, 0, ... The ONNX file takes
`z` and `labels` as inputs: `OnnxGenerator("{name}.onnx").sample(16, seed=0, labels={example})`, in the browser and
Node as well.

`model.sample(n, seed=s, truncation=t)` is BigGAN's truncation trick: every entry of z with |z| > t is redrawn
(not clamped) until it lies inside, by ganzoo's portable latent generator, so a seed gives the same truncated
latents in torch, the ONNX runtime and the browser. Seeds {Z_FIGURE_SEEDS[0]}..{Z_FIGURE_SEEDS[-1]} (columns, column j
drawn as class j) at t = {values} (rows, top to bottom; `model.sample(1, seed=j, labels=j, truncation=t)`):

![truncation: the same seeds and labels at falling thresholds](truncation.png)

{z_truncation_table(res)}

What the BigGAN design buys at this size, against the CGAN entries (class-conditional, the DCGAN design):

{equal_cpu_tables(res)}

"""


def family_section(name: str, m) -> str:
    """The card section of a family that has one (style-based, ProGAN, BigGAN), else ''."""
    if m.has_w_space:
        return style_section(name, m)
    return {"progan": progan_section, "biggan": biggan_section}.get(m.architecture, lambda n, m: "")(name, m)


def style_section(name: str, m) -> str:
    """The card section only a style-based entry has: truncation in W (picture and table), style mixing, how its
    noise inputs keep `sample(n, seed=s)` reproducible, its two ONNX files, and the equal-CPU comparison."""
    from .control import MIX_COLS, MIX_CROSSOVER, MIX_ROWS, PSI_VALUES

    res = style_results(name)
    g = m.generator
    noise = sum(1 for k in m.generator.state_dict() if k.endswith("noise_const"))
    rows, cols = ",".join(map(str, MIX_ROWS)), ",".join(map(str, MIX_COLS))
    return f"""## Truncation, style mixing and noise (style-based generator)

`model.sample(n, seed=s, truncation=psi)` truncates in W, not z: each sample's w moves toward the average w_avg
(tracked during training, saved with the weights) as w_avg + psi (w - w_avg), so psi = 1 is the model as trained
and psi = 0 draws w_avg's image for every z (the other entries' `truncation` redraws large z entries instead). The
same seeds (columns) at psi {", ".join(map(str, PSI_VALUES))} (rows, top to bottom):

![truncation: the same seeds at falling psi](truncation.png)

{style_tables(res)}

Style mixing: `model.mix(z_rows, z_cols, crossover=k)` gives the grid in which row i takes the first k of the
{g.num_ws} style inputs (the coarse ones: layout, shape) from row latent i and the rest (stroke, texture) from
column latent j. Seeds {rows} (rows, sources on the left) by {cols} (columns, sources on top) at crossover
{MIX_CROSSOVER}: `ganzoo mix {name} --rows {rows} --cols {cols} --crossover {MIX_CROSSOVER} -o mix.png`

![style mixing: coarse styles from the rows, fine styles from the columns](mixing.png)

Noise inputs and reproducibility: each of the synthesis network's {noise} noise inputs is a constant buffer
(`noise_const`, drawn once when the network was built and saved in model.safetensors), used whenever the model
samples, evaluates or exports; only training drew fresh noise. So an image is a function of its z alone:
`sample(n, seed=s)` gives the same images on every call and machine (to float tolerance), and the ONNX graph has no
random operation.

Projection: `model.invert(images, space="w")` or `space="w+"` (one w per layer) searches W from w_avg;
`model.generate(w, space=...)` draws the result, and SeFa directions (`model.directions()`, in W), latent
arithmetic (`generate(w + 3 * d[0], space="w")`), `model.steer(w, toward, space="w")` and
`model.class_directions(space="w")` edit it. ONNX: `ganzoo export {name} -o {name}.onnx` (z -> image),
`ganzoo export {name} --space w -o {name}-w.onnx` (ws -> image, one w per layer, w_avg in its metadata: mixing and
truncation as `OnnxGenerator(file).generate(w_avg + psi * (ws - w_avg))`) and `ganzoo export {name} --space mapping -o
{name}-map.onnx` (z -> ws: `OnnxGenerator(file).sample_ws(n, seed, psi)` turns a seed into ws without torch).

"""


def build_card(name: str, eval_res: dict, run: dict | None):
    """A huggingface_hub ModelCard for a zoo entry."""
    from huggingface_hub import EvalResult, ModelCard, ModelCardData

    from . import load
    from .registry import ARCHITECTURES, DATASETS, get_entry

    entry = get_entry(name)
    m = load(name)
    if hasattr(m, "translate"):  # an image-to-image model: no latent, two domains
        return build_translation_card(name, entry, m, eval_res, run)
    dataset = entry.dataset
    metrics = card_metrics(eval_res)
    results = [
        EvalResult(
            task_type="unconditional-image-generation" if not m.conditional else "image-generation",
            dataset_type=DATASETS[dataset].hf_dataset,
            dataset_name=dataset,
            dataset_split="test",
            metric_type=k,
            metric_name=k,
            metric_value=v,
        )
        for k, v in metrics.items()
    ]
    data = ModelCardData(
        library_name="ganzoo",
        license="mit",
        datasets=[DATASETS[dataset].hf_dataset],
        tags=["vae" if m.has_encoder else "gan", entry.arch, dataset, "image-generation", "ganzoo", "onnx"],
        pipeline_tag="unconditional-image-generation",
        model_name=name,
        eval_results=results,
    )
    arch = ARCHITECTURES[entry.arch]
    run = run or {}
    proto = eval_res["protocol"]
    rows = "\n".join(f"| {k} | {v:.4f} |" if isinstance(v, float) else f"| {k} | {v} |" for k, v in metrics.items())
    rows += f"\n| class_share (0..9) | {', '.join(f'{s:.3f}' for s in eval_res['metrics']['class_share'])} |"
    cond = m.conditional
    recipe = run.get("recipe", {})
    # entry-specific limitations, read off the eval JSON (never typed in)
    shares = eval_res["metrics"]["class_share"]
    names = m.class_names or list(DATASETS[dataset].class_names)
    low = [f"class {names[i]} ({s:.1%} of samples)" for i, s in enumerate(shares) if s < 0.05]
    known = ""
    if low:
        known += (
            f"- By the classifier's count this model under-generates {', '.join(low)}; a uniform share is 10 %"
            f"{'. Asked for such a class it often draws something else' if cond else ''}.\n"
        )
    if cond and "label_accuracy" in eval_res["metrics"]:
        known += (
            f"- Asked for a class, it draws one the classifier recognises as that class "
            f"{eval_res['metrics']['label_accuracy']:.1%} of the time (the classifier itself is "
            f"{proto.get('feature_network_test_accuracy') or float('nan'):.1%} accurate on real test images).\n"
        )
    has_curves = m.folder is not None and (Path(m.folder) / "curves.png").is_file()
    curves_line = (
        "\n\n![training curves: D and G losses, mean D(x) and D(G(z)), selection FD over CPU minutes](curves.png)"
        if has_curves
        else ""
    )
    card = ModelCard.from_template(
        data,
        template_path=str(model_cards_dir() / "template.md"),
        name=name,
        **_run_fields(entry, run, recipe),
        description=description(name, entry, m, eval_res),
        labels_example=', labels="Sneaker"' if cond and dataset == "fashion-mnist" else (", labels=7" if cond else ""),
        cli_labels=" --labels 7" if cond else "",
        image_shape=", ".join(map(str, m.image_shape)),
        arch=entry.arch,
        paper=arch.paper,
        latent_dim=m.latent_dim,
        num_params=f"{sum(p.numel() for p in m.generator.parameters()):,}",
        config=json.dumps(m.config["config"]),
        dataset=dataset,
        eval_command=f"ganzoo eval {name} --n {proto['n_generated']} --seed {proto['seed']}",
        n_generated=proto["n_generated"],
        n_real=proto["n_real"],
        real_split=proto["real_split"],
        clf_accuracy=proto.get("feature_network_test_accuracy"),
        clf_sha=proto["feature_network_sha256"][:16],
        seed=proto["seed"],
        ganzoo_version=proto["ganzoo_version"],
        metrics_table=rows,
        known_issues=known,
        curves_line=curves_line,
        family_section=family_section(name, m),
        dist=DIST_NAME,
    )
    return card


GOALS = {"fd_": (25.0, "<="), "cycle_mse_": (0.01, "<="), "mapping_share_": (0.7, ">=")}  # issue 38's


def _goal(metric: str) -> tuple[float, str] | None:
    return next((g for prefix, g in GOALS.items() if metric.startswith(prefix)), None)


def mapping_table(counts: list[list[int]], source_names, target_names) -> str:
    """A markdown 10x10 table: each row a source class, each cell the percentage of its translations the target
    classifier puts in that target class (the row's largest in bold), then the kept share and its class, and the
    class and share the best one-to-one assignment gives it (`ganzoo.metrics.mapping_summary`)."""
    from .metrics import mapping_summary

    s = mapping_summary(counts)
    head = "| source \\ target | " + " | ".join(target_names) + " | kept (share) | one-to-one (share) |"
    rows = [head, "|---" * (len(target_names) + 3) + "|"]
    for i, row in enumerate(counts):
        total = sum(row) or 1
        j, k = s["target_class"][i], s["one_to_one_class"][i]
        cells = [f"**{100 * c / total:.0f}**" if c_j == j else f"{100 * c / total:.0f}" for c_j, c in enumerate(row)]
        kept = f"{target_names[j]} ({s['share'][i]:.3f})" if sum(row) else "-"
        one = f"{target_names[k]} ({s['one_to_one_share'][i]:.3f})" if sum(row) else "-"
        rows.append(f"| {source_names[i]} | " + " | ".join(cells) + f" | {kept} | {one} |")
    return "\n".join(rows)


def training_note(config: dict) -> str:
    """What a translation entry's training read besides its unpaired images (the class-mapping term), as one
    sentence for the card's opening paragraph; empty when its config has no such term."""
    from .models.cyclegan import MAPPING_MEMBER

    w, scale = config.get("mapping_weight", 0.0), config.get("mapping_scale_b", 1.0)
    if not w:
        return ""
    a, b = config["domain_a"], config["domain_b"]
    weights = f"weight {w:g}" if scale == 1 else f"weight {w:g} for {a} -> {b}, {w * scale:g} for {b} -> {a}"
    return (
        f" Besides its unpaired images, training read class information: a class-mapping term ({weights}) "
        f"rewarded translations whose class, as read by the target data set's {MAPPING_MEMBER} (classifiers ganzoo "
        "trained on each data set's labels, members of the steering ensemble), follows the source image's class as "
        f"read by the source data set's {MAPPING_MEMBER}; which target class a source class becomes was left to the "
        "model. ganzoo's own classifiers, which measure the FD and the mapping share below, were never in "
        "training; the section 'Read by other classifiers' shows the mapping read by networks the training never "
        "saw."
    )


def readers_section(res: dict) -> str:
    """The mapping of a translation entry read by every classifier ganzoo has (benchmarks/cyclegan_mapping.py's
    model_cards/NAME.mapping.json), as markdown: one table per direction."""
    names = list(next(iter(res["directions"].values()))["readers"])
    members = [n for n in names if n.startswith("allconv")]
    judges = [n.removeprefix("judge ") for n in names if n.startswith("judge ")]
    parts = [
        f"Measured by `{res['command']}` on the first {res['n']} test images of each domain: the mapping share and "
        "its one-to-one form read by ganzoo's classifier (as `ganzoo eval` reads it), by the steering ensemble's "
        f"members ({', '.join(members)}) and by held-out judges ({', '.join(judges)}: trained apart and never used "
        "in any training or steering), with how often each agrees with ganzoo's classifier on a translation. "
        "Readers that disagree with each other would mean the translations fool one network rather than change "
        "class."
    ]
    for direction, r in res["directions"].items():
        parts += [
            "",
            f"**{direction.replace('_to_', ' -> ')}**",
            "",
            "| reader | mapping share | one-to-one | target classes | agrees with ganzoo's classifier |",
            "|---|---|---|---|---|",
        ]
        parts += [
            f"| {k} | {v['mapping_share']:.3f} | {v['mapping_share_one_to_one']:.3f} | {v['mapping_classes']} | "
            f"{100 * v['agrees_with_ganzoo']:.1f}% |"
            for k, v in r["readers"].items()
        ]
    return "\n".join(parts)


def build_translation_card(name: str, entry, m, eval_res: dict, run: dict | None):
    """The card of an image-to-image entry (CycleGAN): translation grids, FD both ways, cycle error, the 10x10
    class-to-class tables with their mean share, and one picture per direction with a row per source class."""
    from huggingface_hub import EvalResult, ModelCard, ModelCardData

    from .metrics import mapping_summary
    from .registry import ARCHITECTURES, DATASETS

    a, b = m.domains
    metrics = card_metrics(eval_res)
    proto = eval_res["protocol"]

    results = []
    for k, v in metrics.items():
        # fd_A_to_B and mapping_share_A_to_B are measured in B, cycle_mse_A in A: the name ends with the data set
        d = next((t for t in sorted((a, b), key=len, reverse=True) if k.endswith(t)), a)
        results.append(
            EvalResult(
                task_type="image-to-image",
                dataset_type=DATASETS[d].hf_dataset,
                dataset_name=d,
                dataset_split=proto["real_split"],
                metric_type=k,
                metric_name=k,
                metric_value=v,
            )
        )
    data = ModelCardData(
        library_name="ganzoo",
        license="mit",
        datasets=[DATASETS[a].hf_dataset, DATASETS[b].hf_dataset],
        tags=["gan", entry.arch, a, b, "image-to-image", "ganzoo", "onnx"],
        pipeline_tag="image-to-image",
        model_name=name,
        eval_results=results,
    )
    rows = []
    for k, v in metrics.items():
        g = _goal(k)
        goal = f"{g[1]} {g[0]:g}" + ("" if (v <= g[0] if g[1] == "<=" else v >= g[0]) else " (missed)") if g else ""
        rows.append(f"| {k} | {v:.4f} | {goal} |" if isinstance(v, float) else f"| {k} | {v} | {goal} |")
    folder = Path(m.folder) if m.folder is not None else None
    tables, known = [], ""
    for src, dst in ((a, b), (b, a)):
        key = f"{src}_to_{dst}"
        counts = eval_res["tables"][key]["counts"]
        share = metrics.get(f"mapping_share_{key}")
        summary = mapping_summary(counts)  # from the counts, so an eval JSON without the newer metrics still reads
        src_names, dst_names = DATASETS[src].class_names, DATASETS[dst].class_names
        tables.append(
            f"**{src} -> {dst}**: each row a {src} test class, each cell the percentage of its translations that "
            f"the {dst} classifier reads as that class"
            + (f"; the mean of the kept shares (mapping_share_{key}) is {share:.3f}" if share is not None else "")
            + f". The kept classes are {summary['mapping_classes']} distinct {dst} "
            f"class{'es' if summary['mapping_classes'] != 1 else ''} (10 = one-to-one); "
            f"with every {src} class given a different {dst} class (the best such assignment, last column) the "
            f"mean share is {summary['mapping_share_one_to_one']:.3f} (mapping_share_one_to_one_{key}), and the "
            f"most common {dst} class holds {summary['top_target_share']:.1%} of all translations "
            f"(top_target_share_{key}; 10% is even).\n\n" + mapping_table(counts, src_names, dst_names)
        )
        pic = f"classes-{src}-to-{dst}.png"
        if folder is not None and (folder / pic).is_file():
            tables.append(f"![one row per {src} class: 8 test images (left) and their {dst} translations]({pic})")
        present = [i for i, r in enumerate(counts) if sum(r)]
        targets = {summary["target_class"][i] for i in present}
        if len(targets) < len(present):  # many-to-one: a high share may be a collapse, not a mapping
            known += (
                f"- {src} -> {dst} maps its {len(present)} classes onto {len(targets)} {dst} class"
                f"{'es' if len(targets) != 1 else ''} "
                f"({', '.join(dst_names[t] for t in sorted(targets))}): the share kept counts a many-to-one mapping "
                f"as kept ({summary['mapping_share']:.3f}); one-to-one it is "
                f"{summary['mapping_share_one_to_one']:.3f}.\n"
            )
    missed = [k for k in metrics if _goal(k) and "(missed)" in next(r for r in rows if r.startswith(f"| {k} |"))]
    if missed:
        known += f"- Misses the issue's goals on {', '.join(missed)} (the table above).\n"
    run = run or {}
    recipe = run.get("recipe", {})
    has_curves = folder is not None and (folder / "curves.png").is_file()
    return ModelCard.from_template(
        data,
        template_path=str(model_cards_dir() / "template-translation.md"),
        name=name,
        a=a,
        b=b,
        **_run_fields(entry, run, recipe),
        description=(
            f"A CycleGAN that translates {m.image_shape[1]}×{m.image_shape[2]} images between {a} and {b}, both "
            f"ways, trained without paired examples with ganzoo's recipe `{name}`. You give it images (a {a} image "
            f"becomes a {b} image, and back), not a seed." + training_note(m.config["config"])
        ),
        readers=readers_section(measured_results(name)),
        image_shape=", ".join(map(str, m.image_shape)),
        arch=entry.arch,
        paper=ARCHITECTURES[entry.arch].paper,
        num_params=f"{sum(p.numel() for p in m.generator.g_ab.parameters()):,}",
        config=json.dumps(m.config["config"]),
        eval_command=f"ganzoo eval {name} --n {proto['n_translated']}",
        n_translated=proto["n_translated"],
        real_split=proto["real_split"],
        clf_sha=", ".join(f"{d} `{h[:16]}`" for d, h in proto["feature_networks_sha256"].items()),
        ganzoo_version=proto["ganzoo_version"],
        metrics_table="\n".join(rows),
        mapping_tables="\n\n".join(tables),
        known_issues=known,
        curves_line="\n\n![training curves: losses and the selection FD over CPU minutes](curves.png)"
        if has_curves
        else "",
        dist=DIST_NAME,
    )


def _run_fields(entry, run: dict, recipe: dict) -> dict[str, object]:
    """The fields every card template shares: where the folder lives and how its weights were trained."""
    return dict(
        hub_line=(
            f'# model = ganzoo.load("{entry.hub_repo}")    # the same folder from the Hugging Face Hub'
            if entry.hub_repo
            else "# (not on the Hugging Face Hub yet: `ganzoo publish` uploads this folder)"
        ),
        command=run.get("command", "n/a"),
        version=run.get("version") or entry.version or "n/a",
        wall_time=(f"{run['wall_seconds'] / 60:.1f} min" if "wall_seconds" in run else "n/a")
        + (f" ({run['cpu_seconds'] / 60:.1f} min of CPU time)" if "cpu_seconds" in run else ""),
        hardware=run.get("hardware", "n/a"),
        steps=run.get("steps", "n/a"),
        best_step=run.get("best_step", "n/a"),
        eval_n=recipe.get("eval_n", "n/a"),
        eval_every=recipe.get("eval_every", "n/a"),
        recipe=json.dumps(recipe),
    )


def description(name: str, entry, m, eval_res: dict) -> str:
    """The card's opening paragraph: what the model is and what it maps to what."""
    shape = f"{m.image_shape[1]}×{m.image_shape[2]}"
    if m.has_encoder:  # the VAE baseline: say what it is for and its likelihood bound
        elbo = eval_res["metrics"].get("neg_elbo_nats")
        return (
            f"A variational autoencoder (the zoo's non-adversarial baseline) trained on {entry.dataset} with "
            f"ganzoo's recipe `{name}`. Its decoder maps a {m.latent_dim}-d standard normal latent to a {shape} "
            "image (the mean of its Bernoulli pixels), so it samples, exports and runs like every GAN entry; "
            "`model.encode(images)` gives the amortised latents, and `model.invert` uses the encoder. "
            + (f"Test-split -ELBO: {elbo:.1f} nats per image. " if elbo is not None else "")
            + "How it compares with the GAN entries: docs/vae-vs-gan.md in the ganzoo repository."
        )
    cond = m.conditional
    return (
        f"A {'class-conditional ' if cond else ''}{entry.arch.upper()} generator trained on {entry.dataset} "
        f"with ganzoo's recipe `{name}`. It maps a {m.latent_dim}-d standard normal latent"
        f"{' and a class label' if cond else ''} to a {shape} image."
    )


def write_card(
    name: str, *, eval_json: str | None = None, run_json: str | None = None, out: str | os.PathLike | None = None
) -> Path:
    from .registry import get_entry

    name = get_entry(name).name  # an unknown name says so; zoo names are case-insensitive
    p = card_paths(name)
    out = Path(out) if out else p["card"]
    if not out.parent.is_dir():
        raise GanzooError(f"folder {out.parent} does not exist; create it first or choose another path for the card")
    eval_res, run = entry_records(name)
    if eval_json:
        from .registry import ARCHITECTURES

        translation = ARCHITECTURES[get_entry(name).arch].translation
        eval_res = read_eval_json(eval_json, for_card=True, translation=translation)
    if run_json:
        run = read_run_json(run_json)
    card = build_card(name, eval_res, run)
    from .fileio import atomic_write_text

    atomic_write_text(out, str(card))  # refuses a pipe or a folder of that name; a full disk is one clear error
    return out


def check_card_against_eval(card_path: Path, eval_res: dict) -> None:
    """Raise if the card's model-index metrics differ from the eval JSON's."""
    from huggingface_hub import ModelCard

    card = ModelCard.load(card_path)
    got = {r.metric_type: r.metric_value for r in (card.data.eval_results or [])}
    want = card_metrics(eval_res)
    bad = {k: (got.get(k), v) for k, v in want.items() if got.get(k) != v}
    if bad or not got:
        raise GanzooError(
            f"model card {card_path} disagrees with the eval JSON: {bad or 'no metrics in card'} "
            "(card, eval). Regenerate it with `ganzoo card NAME`."
        )
