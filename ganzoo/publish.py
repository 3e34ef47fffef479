"""Publish a model folder to the Hugging Face Hub: assemble, validate, then upload.

ganzoo publish dcgan-mnist --repo-id ganzoo/dcgan-mnist [--dry-run]
ganzoo publish runs/dcgan-mnist --repo-id me/my-dcgan --private
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from pathlib import Path

from .errors import GanzooError, ModelFolderError, escaped
from .hub import is_repo_id

MAX_FILE_BYTES = 100 * 1024 * 1024  # well under the Hub's limits for non-LFS-tracked files via upload_folder


def source_folder(source: str) -> tuple[str | None, Path, Path | None]:
    """(zoo name or None, model folder, discriminator file or None), every file checked where it lies,
    so an error names the user's folder (never a staging copy)."""
    from .folder import CONFIG, DISCRIMINATOR, load_modules
    from .hub import local_folder, zoo_folder
    from .registry import ZOO, canonical_name, checkout_dir

    if not source.strip():  # Path("") is the current folder: an empty name must not publish whatever is here
        raise GanzooError(
            f"the model name is empty ({source!r}); give a zoo name or a model folder such as ./runs/x/model"
        )
    if not Path(source).exists():
        source = canonical_name(source)  # zoo names are case-insensitive
    if source in ZOO:  # a bare zoo name is the zoo entry, as in ganzoo.load
        folder = zoo_folder(source)  # every bundled file hash-checked
        if ZOO[source].manifest.get("discriminator_sha256") is None:  # trained without one (the VAE)
            load_modules(folder)
            return source, folder, None
        disc = (
            checkout_dir(
                "zoo_extras",
                f"publishing {source}",
                "or, to publish your own model, pass its folder instead of a zoo name",
            )
            / f"{source}.discriminator.safetensors"
        )
        if not disc.is_file():
            raise ModelFolderError(f"{disc} is missing: `python -m training.release {source} ...` writes it.")
        from .folder import sha256_file

        digest, expected = sha256_file(disc), ZOO[source].discriminator_sha256
        if digest != expected:
            raise ModelFolderError(
                f"{disc} fails its sha256 check ({digest[:12]}... != {str(expected)[:12]}...): "
                "it was modified or belongs to other weights; restore it with git."
            )
        load_modules(folder)
        return source, folder, disc
    folder = Path(source)
    if folder.is_dir() and not (folder / CONFIG).exists() and (folder / "model" / CONFIG).is_file():
        folder = folder / "model"  # a training run folder: publish its model
    if folder.is_dir() and not (folder / CONFIG).exists():
        raise ModelFolderError(
            f"{source} is not a ganzoo model: no {CONFIG} (nor model/{CONFIG} of a training "
            "run). Pass a zoo name, a model folder or a run folder."
        )
    folder = local_folder(folder)
    disc = folder / DISCRIMINATOR if (folder / DISCRIMINATOR).is_file() else None
    load_modules(folder, discriminator=disc is not None)
    return None, folder, disc


def copy_regular(src: Path, dst: Path) -> str | None:
    """Copy `src` to a new file `dst` if `src` is itself a regular file; otherwise copy nothing and return why
    (a symbolic link, whose target may be any file of the user's, a FIFO, a device, a folder). The file is
    opened without following a link, so one swapped in after the check is refused too."""
    try:
        st = os.lstat(src)
    except FileNotFoundError:
        return "missing"
    if stat.S_ISLNK(st.st_mode):
        return f"a symbolic link to {escaped(os.readlink(src))}"
    if not stat.S_ISREG(st.st_mode):
        return "not a regular file"
    try:
        fd = os.open(src, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError as e:
        return f"not readable ({e.strerror})"
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            return "not a regular file"
        with open(dst, "xb") as out:
            shutil.copyfileobj(f, out)
    return None


def assemble(source: str, staging: Path, *, include_onnx: bool = False, card: str | None = None) -> dict:
    """Check the source, then copy the Hub folder's files into `staging`; returns what went in and, under
    "refused", the folder's files left out because they are not regular files inside it (symbolic links, ...).
    A refused config or weights file is an error; an explicit --card is the user's own choice of file."""
    from .cards import card_paths
    from .folder import CONFIG, DISCRIMINATOR, GENERATOR

    name, folder, disc = source_folder(source)
    wanted = [(folder / f, f, True) for f in (CONFIG, GENERATOR)]
    # optional: pictures (a style-based entry's card shows its psi grid and mixing figure, a translation's its
    # classes-*-to-* grids) and the manifest
    pictures = (
        "samples.png",
        "curves.png",
        "truncation.png",
        "mixing.png",
        *sorted(p.name for p in folder.glob("classes-*-to-*.png")),
    )
    wanted += [(folder / f, f, False) for f in (*pictures, "manifest.json")]
    if disc is not None:
        wanted.append((disc, DISCRIMINATOR, True))
    card_src = Path(card) if card else (card_paths(name)["card"] if name else folder / "README.md")
    if not card:
        wanted.append((card_src, "README.md", bool(name)))
    refused = {}
    for src, dst, required in wanted:
        why = copy_regular(src, staging / dst)
        if why == "missing" and not required:
            continue
        if why and required:
            if dst == "README.md":
                raise GanzooError(f"model card {card_src} is {why}; generate it with `ganzoo card {name}`")
            raise ModelFolderError(
                f"{src} is {why}: publish uploads only regular files inside the model folder. "
                "Replace it with a copy of the file it stands for."
            )
        if why:
            refused[str(src)] = why
    if card:
        if not card_src.is_file():
            raise GanzooError(f"model card {card_src} not found; generate it with `ganzoo card {name or 'NAME'}`")
        shutil.copyfile(card_src, staging / "README.md")
    if include_onnx:
        from . import load

        load(staging).export_onnx(staging / "generator.onnx")
    return {"name": name, "folder": str(folder), "refused": refused}


def validate(staging: Path, *, eval_json: str | None = None, name: str | None = None) -> dict:
    """Check the staged folder before anything is sent: weights load strictly, card parses, sizes."""
    from .cards import (
        card_metrics,
        check_card_against_eval,
        entry_records,
        read_eval_json,
    )

    report = {"files": {p.name: p.stat().st_size for p in sorted(staging.iterdir())}, "metrics": {}}
    big = [f for f, s in report["files"].items() if s > MAX_FILE_BYTES]
    if big:
        raise GanzooError(f"files over {MAX_FILE_BYTES // 2**20} MiB: {big}")
    readme = staging / "README.md"
    if readme.is_file():
        from huggingface_hub import ModelCard

        try:
            card = ModelCard.load(readme)
        except Exception as e:  # noqa: BLE001 - any parse failure is a bad card
            raise GanzooError(f"the model card's YAML metadata does not parse: {e}") from e
        if card.data.library_name != "ganzoo":
            raise GanzooError("the model card's metadata must say `library_name: ganzoo`")
        eval_res = entry_records(name)[0] if name else None  # a zoo entry's manifest holds its evaluation
        if eval_json:
            eval_res = read_eval_json(eval_json)
        if eval_res is not None:
            check_card_against_eval(readme, eval_res)
            report["metrics"] = card_metrics(eval_res)
    return report


def get_token() -> str:
    from huggingface_hub import get_token as hf_token

    token = os.environ.get("HF_TOKEN") or hf_token()
    if not token:
        raise GanzooError(
            "no Hugging Face token: run `hf auth login` (or `huggingface-cli login`), "
            "or set HF_TOKEN to a token with write access (https://huggingface.co/settings/tokens)."
        )
    return token


def publish(
    source: str,
    repo_id: str,
    *,
    private: bool = False,
    revision: str | None = None,
    create_pr: bool = False,
    dry_run: bool = False,
    include_onnx: bool = False,
    eval_json: str | None = None,
    card: str | None = None,
    api=None,
) -> dict:
    """Assemble, validate and upload; returns the report (and the commit URL when uploaded)."""
    if not is_repo_id(repo_id):
        raise GanzooError(f"--repo-id must look like OWNER/NAME (e.g. ganzoo/dcgan-mnist), got {repo_id!r}")
    with tempfile.TemporaryDirectory(prefix="ganzoo-publish-") as tmp:
        staging = Path(tmp)
        info = assemble(source, staging, include_onnx=include_onnx, card=card)
        report = validate(staging, eval_json=eval_json, name=info["name"])
        from .hub import folder_version

        # zoo entries (and folders with a manifest) uploaded to main are tagged with their version
        version = folder_version(staging) if not (revision or create_pr) else None
        report.update(
            repo_id=repo_id,
            revision=revision,
            create_pr=create_pr,
            private=private,
            version=version,
            refused=info["refused"],
        )
        print(
            f"{'would upload' if dry_run else 'uploading'} {escaped(info['folder'])} to "
            f"https://huggingface.co/{repo_id}"
            f"{' (branch ' + escaped(revision) + ')' if revision else ''}{' as a PR' if create_pr else ''}"
            f"{', tagged ' + escaped(version) if version else ''}:"
        )
        for f, s in report["files"].items():
            print(f"  {f:<28} {s / 1e6:8.2f} MB")
        for f, why in info["refused"].items():
            print(f"  not uploaded: {escaped(f)} ({why}; publish uploads only regular files inside the folder)")
        for k, v in report["metrics"].items():
            print(f"  card metric {k:<22} {v:.4f}" if isinstance(v, float) else f"  card metric {k:<22} {v}")
        if dry_run:
            return report
        token = get_token()
        if api is None:
            from huggingface_hub import HfApi

            api = HfApi(token=token)
        api.create_repo(repo_id, private=private, exist_ok=True, repo_type="model")
        if version:
            # A published version never changes (the tag is what `ganzoo.load(name, revision=version)` pins):
            # an existing tag refuses the upload before anything is sent.
            tags = {t.name for t in api.list_repo_refs(repo_id, repo_type="model").tags}
            if version in tags:
                raise GanzooError(
                    f"{repo_id} already has a tag {version!r}: a published version never changes. "
                    "Release the new weights as a new version (python -m training.release), or "
                    "upload to a branch with --revision for a test."
                )
        if revision:
            api.create_branch(repo_id, branch=revision, exist_ok=True)
        commit = api.upload_folder(
            repo_id=repo_id,
            folder_path=str(staging),
            revision=revision,
            create_pr=create_pr or None,
            repo_type="model",
            commit_message=f"Upload {info['name'] or 'model'} with ganzoo",
        )
        report["commit"] = str(getattr(commit, "commit_url", commit))
        if version:
            api.create_tag(
                repo_id,
                tag=version,
                revision=getattr(commit, "oid", None) or revision,
                tag_message=f"{info['name'] or 'model'} {version}",
                repo_type="model",
            )
            report["tag"] = version
        print(f"done: {report['commit']}")
        return report
