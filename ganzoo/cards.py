"""Model cards generated from a template and the entry's manifest, so no number is typed by hand.

A zoo entry's facts (version, evaluation, training run, recipe) live in its manifest.json next to the bundled
weights; the repository's model_cards/ holds the template and the generated NAME.md.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from .errors import DIST_NAME, GanzooError



def model_cards_dir() -> Path:
    """The checkout's model_cards/ (cards, eval and train JSON of the zoo entries); an error elsewhere."""
    from .registry import checkout_dir

    return checkout_dir("model_cards", "a zoo entry's model card")


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
    return {k: v for k, v in eval_res["metrics"].items() if isinstance(v, (int, float))}


def build_card(name: str, eval_res: dict, run: dict | None):
    """A huggingface_hub ModelCard for a zoo entry."""
    from huggingface_hub import EvalResult, ModelCard, ModelCardData

    from . import load
    from .registry import ARCHITECTURES, DATASETS, get_entry

    entry = get_entry(name)
    m = load(name)
    dataset = entry.dataset
    metrics = card_metrics(eval_res)
    results = [EvalResult(task_type="unconditional-image-generation" if not m.conditional else "image-generation",
                          dataset_type=DATASETS[dataset].hf_dataset, dataset_name=dataset, dataset_split="test",
                          metric_type=k, metric_name=k, metric_value=v) for k, v in metrics.items()]
    data = ModelCardData(library_name="ganzoo", license="mit", datasets=[DATASETS[dataset].hf_dataset],
                         tags=["gan", entry.arch, dataset, "image-generation", "ganzoo", "onnx"],
                         pipeline_tag="unconditional-image-generation", model_name=name, eval_results=results)
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
        known += (f"- By the classifier's count this model under-generates {', '.join(low)}; a uniform share is 10 %"
                  f"{'. Asked for such a class it often draws something else' if cond else ''}.\n")
    if cond and "label_accuracy" in eval_res["metrics"]:
        known += (f"- Asked for a class, it draws one the classifier recognises as that class "
                  f"{eval_res['metrics']['label_accuracy']:.1%} of the time (the classifier itself is "
                  f"{proto.get('feature_network_test_accuracy', float('nan')):.1%} accurate on real test images).\n")
    has_curves = m.folder is not None and (Path(m.folder) / "curves.png").is_file()
    curves_line = ("\n\n![training curves: D and G losses, mean D(x) and D(G(z)), selection FD over CPU minutes]"
                   "(curves.png)" if has_curves else "")
    card = ModelCard.from_template(
        data, template_path=str(model_cards_dir() / "template.md"),
        name=name,
        hub_line=(f'# model = ganzoo.load("{entry.hub_repo}")    # the same folder from the Hugging Face Hub'
                  if entry.hub_repo else "# (not on the Hugging Face Hub yet: `ganzoo publish` uploads this folder)"),
        description=(f"A {'class-conditional ' if cond else ''}{entry.arch.upper()} generator trained on {dataset} "
                     f"with ganzoo's recipe `{name}`. It maps a {m.latent_dim}-d standard normal latent"
                     f"{' and a class label' if cond else ''} to a {m.image_shape[1]}×{m.image_shape[2]} image."),
        labels_example=', labels="Sneaker"' if cond and dataset == "fashion-mnist" else (", labels=7" if cond else ""),
        cli_labels=" --labels 7" if cond else "",
        image_shape=", ".join(map(str, m.image_shape)), arch=entry.arch, paper=arch.paper, latent_dim=m.latent_dim,
        num_params=f"{sum(p.numel() for p in m.generator.parameters()):,}", config=json.dumps(m.config["config"]),
        dataset=dataset, command=run.get("command", "n/a"), version=run.get("version") or entry.version or "n/a",
        wall_time=(f"{run['wall_seconds'] / 60:.1f} min" if "wall_seconds" in run else "n/a")
        + (f" ({run['cpu_seconds'] / 60:.1f} min of CPU time)" if "cpu_seconds" in run else ""),
        hardware=run.get("hardware", "n/a"), steps=run.get("steps", "n/a"), best_step=run.get("best_step", "n/a"),
        eval_n=recipe.get("eval_n", "n/a"), eval_every=recipe.get("eval_every", "n/a"),
        recipe=json.dumps(recipe), eval_command=f"ganzoo eval {name} --n {proto['n_generated']} --seed {proto['seed']}",
        n_generated=proto["n_generated"], n_real=proto["n_real"], real_split=proto["real_split"],
        clf_accuracy=proto.get("feature_network_test_accuracy"), clf_sha=proto["feature_network_sha256"][:16],
        seed=proto["seed"], ganzoo_version=proto["ganzoo_version"], metrics_table=rows, known_issues=known,
        curves_line=curves_line, dist=DIST_NAME,
    )
    return card


def write_card(name: str, *, eval_json: str | None = None, run_json: str | None = None,
               out: str | os.PathLike | None = None) -> Path:
    from .registry import get_entry

    name = get_entry(name).name  # an unknown name says so; zoo names are case-insensitive
    p = card_paths(name)
    eval_res, run = entry_records(name)
    if eval_json:
        ev = Path(eval_json)
        if not ev.is_file():
            raise GanzooError(f"no eval JSON at {ev}: run `ganzoo eval {name} --json {ev}` first")
        eval_res = json.loads(ev.read_text())
    if run_json:
        run = json.loads(Path(run_json).read_text())
    card = build_card(name, eval_res, run)
    out = Path(out) if out else p["card"]
    out.write_text(str(card))
    return out


def check_card_against_eval(card_path: Path, eval_res: dict) -> None:
    """Raise if the card's model-index metrics differ from the eval JSON's."""
    from huggingface_hub import ModelCard

    card = ModelCard.load(card_path)
    got = {r.metric_type: r.metric_value for r in (card.data.eval_results or [])}
    want = card_metrics(eval_res)
    bad = {k: (got.get(k), v) for k, v in want.items() if got.get(k) != v}
    if bad or not got:
        raise GanzooError(f"model card {card_path} disagrees with the eval JSON: {bad or 'no metrics in card'} "
                          "(card, eval). Regenerate it with `ganzoo card NAME`.")
