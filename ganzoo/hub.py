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

# the Hub's rule: ASCII, each part 1-96 characters, not starting or ending with '-' or '.'
REPO_ID = re.compile(r"^[A-Za-z0-9](?:[\w.-]{0,94}\w)?/\w(?:[\w.-]{0,94}\w)?$", re.ASCII)
HUB_FILES = ["config.json", "model.safetensors", "discriminator.safetensors", "README.md", "samples.png", "*.onnx"]


def is_repo_id(name: str) -> bool:
    return bool(REPO_ID.match(name)) and ".." not in name


def is_explicit_path(name: str) -> bool:
    """A string written as a path: ./x, ../x, /x, ~/x (and C:/x, .\\x on Windows). Only these, and
    os.PathLike objects, always mean a local folder."""
    return (
        name in (".", "..")
        or name.startswith(("./", "../", "~"))
        or os.path.isabs(name)
        or (os.sep != "/" and name.startswith((".\\", "..\\")))
    )


# git check-ref-format's rules, which the Hub's branch and tag names follow (a commit is 40 hex digits,
# which pass too): no "..", no component starting with "." or ending in ".lock", no control characters,
# spaces or ~^:?*[\\, no "@{", not "@", no leading, trailing or double slash, no trailing dot.
_BAD_REF_CHARS = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]")


def check_revision(revision: str | None) -> str | None:
    """`revision` if it is a valid branch, tag or commit name (or None); anything else is a GanzooError.

    Checked before it reaches the Hub cache, where a name such as ../../x would be a path outside it.
    """
    if revision is None:
        return None
    ok = (
        isinstance(revision, str)
        and 0 < len(revision) <= 255
        and revision.isprintable()
        and not _BAD_REF_CHARS.search(revision)
        and ".." not in revision
        and "@{" not in revision
        and revision != "@"
        and "//" not in revision
        and not revision.startswith("/")
        and not revision.endswith(("/", "."))
        and not any(part.startswith(".") or part.endswith(".lock") for part in revision.split("/"))
    )
    if not ok:
        shown = repr(revision) if not isinstance(revision, str) or len(revision) <= 80 else repr(revision[:77]) + "..."
        raise GanzooError(
            f"revision {shown} is not a valid branch, tag or commit name (git's rules: no '..', "
            "spaces, control characters or ~^:?*[\\, no part starting with '.'); "
            "e.g. 'main', 'v1.0' or a 40-digit commit hash."
        )
    return revision


def resolve(
    name: str | os.PathLike,
    *,
    revision: str | None = None,
    cache_dir: str | None = None,
    token: str | bool | None = None,
) -> tuple[Path, str]:
    """(folder, source description) for a zoo name, a local folder or an OWNER/NAME repo id.

    Which one a name means, in this order (the bad-input section of the docs has the same list):
    1. an os.PathLike (pathlib.Path), or a string written as a path (./x, ../x, /x, ~/x): that local folder;
    2. a zoo name: the bundled entry (checked against its sha256; with revision, that version), even when a
       folder of that name exists;
    3. OWNER/NAME: that Hugging Face Hub repo, always. A local folder of that relative path is not used
       (a warning, or the error, names it): write ./OWNER/NAME to load the folder;
    4. any other existing path (runs/x/model, a bare folder name): that folder, which cannot be mistaken
       for a zoo name or a Hub repo;
    5. anything else is an error that suggests close zoo names.
    `revision` is checked (git's ref-name rules); it pins a zoo entry's version or a Hub repo's branch, tag or
    commit, and a local folder has none.
    """
    revision = check_revision(revision)
    if isinstance(name, os.PathLike):
        return _local(Path(name), revision), str(name)
    if not isinstance(name, str):
        raise GanzooError(f"expected a model name, folder or Hub repo id as a str, got {type(name).__name__}")
    if not name.strip():  # Path("") is the current folder: an empty name must not load whatever is here
        raise GanzooError(
            f"the model name is empty ({name!r}); give a zoo name (`ganzoo list`), ./FOLDER or OWNER/NAME"
        )
    if is_explicit_path(name):
        try:
            path = Path(name).expanduser()
        except RuntimeError:  # ~user of an unknown user
            raise ModelFolderError(f"folder {name!r} does not exist: cannot expand {name.split('/')[0]!r}") from None
        return _local(path, revision, name), name
    if name in ZOO:
        return zoo_version(name, revision=revision, cache_dir=cache_dir, token=token)
    zoo_name = canonical_name(name)  # zoo names are case-insensitive
    if zoo_name in ZOO:
        if _exists(Path(name)):  # never pick one of two meanings silently
            raise GanzooError(
                f"{name!r} is both the zoo entry {zoo_name!r} (zoo names are case-insensitive) and a "
                f"path here: pass {zoo_name!r} for the zoo entry or {'./' + name!r} for the folder."
            )
        return zoo_version(zoo_name, revision=revision, cache_dir=cache_dir, token=token)
    if is_repo_id(name):
        shadowed = _is_dir(Path(name))
        if shadowed:
            import warnings

            warnings.warn(
                f"{name!r} is loaded as a Hugging Face Hub repo id, not the local folder of that name "
                f"in {os.getcwd()!r}: write './{name}' (or pass a Path) to load the folder.",
                UserWarning,
                stacklevel=3,
            )
        try:
            return download(name, revision=revision, cache_dir=cache_dir, token=token), f"hf://{name}"
        except GanzooError as e:
            if shadowed:  # the error says how to get the folder the user may have meant
                raise type(e)(
                    f"{e} (There is a local folder {name!r} here: to load it, write './{name}' "
                    "or pass a Path; OWNER/NAME always means a Hub repo.)"
                ) from e
            raise
    if _is_dir(Path(name)) or _exists(Path(name)):
        return _local(Path(name), revision, name), name
    if os.sep in name or "/" in name or name.startswith("."):
        raise ModelFolderError(
            f"folder {name!r} does not exist. Check the path, or pass a zoo name "
            "(`ganzoo list`) or an OWNER/NAME Hub repo id."
        )
    get_entry(name)  # raises UnknownModelError with close matches
    raise AssertionError("unreachable: get_entry raises for names outside the zoo")


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except (OSError, ValueError):  # a name too long for the file system, an embedded NUL
        return False


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except (OSError, ValueError):
        return False


def _local(path: Path, revision: str | None, shown: str | None = None) -> Path:
    if revision is not None:
        raise GanzooError(
            f"{shown or str(path)!r} is a local folder, which has no revisions; drop revision "
            f"(revision={revision!r} is for OWNER/NAME Hub repos)"
        )
    return local_folder(path, shown)


def local_folder(path: Path, shown: str | None = None) -> Path:
    """A local model folder, with a pointed error for the near misses: a file, a training run folder.
    `shown`: the name as the user wrote it, for the messages."""
    from .folder import CONFIG

    if not _exists(path):
        raise ModelFolderError(
            f"folder {shown or str(path)!r} does not exist. Check the path, or pass a zoo name "
            "(`ganzoo list`) or an OWNER/NAME Hub repo id."
        )
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
    revision = check_revision(revision)
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
