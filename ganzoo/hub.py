"""Resolve a zoo name, local folder or Hugging Face Hub repo id to a model folder."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from .errors import (
    DIST_NAME,
    REINSTALL,
    GanzooError,
    MissingDependencyError,
    ModelFolderError,
    UnknownModelError,
    pip_install,
)
from .registry import ZOO, canonical_name, did_you_mean, get_entry

REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
HUB_FILES = ["config.json", "model.safetensors", "discriminator.safetensors", "README.md", "samples.png", "*.onnx"]


def is_repo_id(name: str) -> bool:
    return bool(REPO_ID.match(name)) and ".." not in name


def resolve(
    name: str | os.PathLike,
    *,
    revision: str | None = None,
    cache_dir: str | None = None,
    token: str | bool | None = None,
) -> tuple[Path, str]:
    """(folder, source description) for a zoo name, a local folder or an OWNER/NAME repo id.

    A bare zoo name always means the bundled entry (checked against its sha256), even when a folder
    of that name exists here: pass a path ("./dcgan-mnist" or a Path) to load such a folder.
    """
    if isinstance(name, os.PathLike):
        return local_folder(Path(name)), str(name)
    if not isinstance(name, str):
        raise GanzooError(f"expected a model name, folder or Hub repo id as a str, got {type(name).__name__}")
    if name in ZOO:
        return zoo_version(name, revision=revision, cache_dir=cache_dir, token=token)
    zoo_name = canonical_name(name)  # zoo names are case-insensitive
    if zoo_name in ZOO:
        if Path(name).exists():  # never pick one of two meanings silently
            raise GanzooError(
                f"{name!r} is both the zoo entry {zoo_name!r} (zoo names are case-insensitive) and a "
                f"path here: pass {zoo_name!r} for the zoo entry or {'./' + name!r} for the folder."
            )
        return zoo_version(zoo_name, revision=revision, cache_dir=cache_dir, token=token)
    if Path(name).exists():
        return local_folder(Path(name)), name
    if is_repo_id(name) and not name.startswith((".", "/")):
        return download(name, revision=revision, cache_dir=cache_dir, token=token), f"hf://{name}"
    if os.sep in name or name.startswith("."):
        raise ModelFolderError(
            f"folder {name!r} does not exist. Check the path, or pass a zoo name "
            "(`ganzoo list`) or an OWNER/NAME Hub repo id."
        )
    get_entry(name)  # raises UnknownModelError with close matches
    raise AssertionError("unreachable: get_entry raises for names outside the zoo")


def local_folder(path: Path) -> Path:
    """A local model folder, with a pointed error for the near misses: a file, a training run folder."""
    from .folder import CONFIG

    if path.is_file():
        hint = (
            f" Pass the folder that holds it: {str(path.parent)!r}." if path.suffix in (".safetensors", ".json") else ""
        )
        raise ModelFolderError(
            f"{path} is a file, but a ganzoo model is a folder with {CONFIG} and model.safetensors.{hint}"
        )
    if path.is_dir() and not (path / CONFIG).exists() and (path / "model" / CONFIG).is_file():
        raise ModelFolderError(
            f"{path} is a training run folder; its model is in {str(path / 'model')!r}: load that folder."
        )
    if not path.exists():
        raise ModelFolderError(
            f"folder {str(path)!r} does not exist. Check the path, or pass a zoo name "
            "(`ganzoo list`) or an OWNER/NAME Hub repo id."
        )
    return path


def zoo_version(
    name: str, *, revision: str | None = None, cache_dir: str | None = None, token: str | bool | None = None
) -> tuple[Path, str]:
    """(folder, source) of a zoo entry at `revision`: the bundled weights when the revision is None or their
    version, else that version's tag of the entry's Hub repo (torchvision's pinned weights, the Hub's tags)."""
    entry = get_entry(name)
    if revision is None or (entry.has_weights and revision == entry.version):
        return zoo_folder(name), name
    have = f"this ganzoo bundles {entry.version}" if entry.has_weights else "this ganzoo bundles no weights for it"
    if entry.hub_repo is None:
        raise ModelFolderError(
            f"{name} version {revision!r} is not available: {have}, and the entry is not on the Hugging Face Hub "
            f"yet. Load the bundled version (revision=None{f' or {entry.version!r}' if entry.has_weights else ''}),"
            f" or install the {DIST_NAME} release that bundled {revision!r}."
        )
    return download(
        entry.hub_repo, revision=revision, cache_dir=cache_dir, token=token
    ), f"hf://{entry.hub_repo}@{revision}"


def zoo_folder(name: str) -> Path:
    """The bundled folder of a zoo entry, every file checked against the registry's sha256."""
    from .folder import sha256_file

    entry = get_entry(name)
    name = entry.name
    if not entry.has_weights:
        trained = [n for n, e in ZOO.items() if e.has_weights]
        raise ModelFolderError(
            f"zoo entry {name!r} has no trained weights bundled in this ganzoo version. "
            f"Train them with `python -m training.train {name}`"
            f"{f', or load the Hub repo {entry.hub_repo!r}' if entry.hub_repo else ''}. "
            f"Entries with weights: {', '.join(trained) or 'none'}."
        )
    for fname, expected in entry.sha256.items():
        file = entry.folder / fname
        if not file.is_file():
            raise ModelFolderError(f"bundled file {file} is missing: the ganzoo install is incomplete; {REINSTALL}.")
        digest = sha256_file(file)
        if digest != expected:
            raise ModelFolderError(
                f"bundled file {file} fails its sha256 check ({digest[:12]}... != "
                f"{expected[:12]}...): the file is corrupt or was modified; {REINSTALL}."
            )
    return entry.folder


def download(
    repo_id: str, *, revision: str | None = None, cache_dir: str | None = None, token: str | bool | None = None
) -> Path:
    """snapshot_download a ganzoo folder through the Hub cache (honours HF_HUB_OFFLINE)."""
    try:
        from huggingface_hub import snapshot_download
    except ImportError:
        raise MissingDependencyError(
            f"loading the Hub repo {repo_id!r} needs huggingface_hub: {pip_install('hub')}"
        ) from None
    from huggingface_hub.errors import (
        GatedRepoError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    from . import __version__

    try:
        path = Path(
            snapshot_download(
                repo_id,
                revision=revision,
                cache_dir=cache_dir,
                allow_patterns=HUB_FILES,
                token=token,
                library_name="ganzoo",
                library_version=__version__,
            )
        )
    except RevisionNotFoundError as e:
        raise GanzooError(
            f"Hub repo {repo_id!r} has no revision {revision!r}. Check the branch, tag or "
            "commit name on the repo's page."
        ) from e
    except GatedRepoError as e:
        raise GanzooError(
            f"Hub repo {repo_id!r} is gated: accept its terms on the Hub and log in (`hf auth login` or HF_TOKEN)."
        ) from e
    except RepositoryNotFoundError as e:
        raise UnknownModelError(
            f"Hub repo {repo_id!r} does not exist (or is private and you are not logged "
            f"in: `hf auth login` or HF_TOKEN)."
            f"{did_you_mean(repo_id.split('/')[-1].lower(), ZOO, cutoff=0.5)}"
        ) from e
    except LocalEntryNotFoundError as e:
        offline = os.environ.get("HF_HUB_OFFLINE", "0") not in ("0", "", "false", "False")
        why = (
            "HF_HUB_OFFLINE is set and it is not in the local cache"
            if offline
            else "the Hub cannot be reached and it is not in the local cache"
        )
        rev = f" at revision {revision!r}" if revision else ""
        raise GanzooError(
            f"cannot load Hub repo {repo_id!r}{rev}: {why}. Connect once to download it, or pass a local folder."
        ) from e
    if not (path / "config.json").is_file() or not (path / "model.safetensors").is_file():
        raise ModelFolderError(
            f"Hub repo {repo_id!r} is not a ganzoo model: it lacks config.json and/or "
            "model.safetensors. Publish it with `ganzoo publish`."
        )
    return path


VERSION_RE = re.compile(r"^v[0-9]{1,6}$")


def folder_version(folder: Path) -> str | None:
    """The version a model folder declares in its manifest.json (bundled entries, published Hub folders), or None."""
    file = Path(folder) / "manifest.json"
    if not file.is_file():
        return None
    try:
        if file.stat().st_size > 1 << 22:
            raise ValueError("over 4 MiB")
        version = json.loads(file.read_text(encoding="utf-8")).get("version")
    except (OSError, UnicodeDecodeError, ValueError, AttributeError, RecursionError) as e:
        raise ModelFolderError(f"{file} is not a valid ganzoo manifest ({e}); re-download the folder.") from None
    if not isinstance(version, str) or not VERSION_RE.match(version):
        raise ModelFolderError(
            f"{file}: 'version' must look like v1, v2, ...; got {version!r}. Re-download the folder."
        )
    return version
