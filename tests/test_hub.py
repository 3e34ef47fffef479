"""Hub loading from a real Hugging Face cache layout (offline) and publishing up to the network boundary."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from unittest import mock

import pytest
import torch

import ganzoo
from ganzoo.publish import publish

from .conftest import ROOT, make_tiny_folder, patch_manifest

COMMIT_MAIN = "a" * 40
COMMIT_V1 = "b" * 40


def make_cache(cache: Path, repo_id: str, folder: Path, refs: dict[str, str]) -> None:
    """Lay out huggingface_hub's cache (models--OWNER--NAME/{refs,snapshots}) as a download would."""
    base = cache / ("models--" + repo_id.replace("/", "--"))
    for ref, commit in refs.items():
        snap = base / "snapshots" / commit
        snap.mkdir(parents=True, exist_ok=True)
        for f in folder.iterdir():
            shutil.copy2(f, snap / f.name)
        (base / "refs").mkdir(parents=True, exist_ok=True)
        (base / "refs" / ref).write_text(commit)


def run_offline(cache: Path, code: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(cache), "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env)


@pytest.mark.slow  # seconds of work: the full suite (the README's test command) runs it, `-m "not slow"` skips it
def test_load_by_repo_id_from_cache_offline(tmp_path):
    folder = make_tiny_folder(tmp_path / "m", "cgan")
    make_cache(tmp_path / "cache", "someone/tiny-cgan", folder, {"main": COMMIT_MAIN, "v1": COMMIT_V1})
    r = run_offline(
        tmp_path / "cache",
        """
        import ganzoo, torch
        a = ganzoo.load("someone/tiny-cgan")
        b = ganzoo.load("someone/tiny-cgan", revision="v1")
        c = ganzoo.load(%r)
        assert torch.equal(a.sample(3, seed=0), c.sample(3, seed=0))
        assert torch.equal(b.sample(3, seed=0), c.sample(3, seed=0))
        print(a.source, str(a.folder))
    """
        % str(folder),
    )
    assert r.returncode == 0, r.stderr
    src, path = r.stdout.split()
    assert src == "hf://someone/tiny-cgan" and COMMIT_MAIN in path


@pytest.mark.slow  # seconds of work: the full suite (the README's test command) runs it, `-m "not slow"` skips it
def test_offline_errors(tmp_path):
    folder = make_tiny_folder(tmp_path / "m", "gan")
    make_cache(tmp_path / "cache", "someone/tiny", folder, {"main": COMMIT_MAIN})
    (tmp_path / "notganzoo").mkdir()
    (tmp_path / "notganzoo" / "weights.bin").write_bytes(b"x")
    make_cache(tmp_path / "cache", "someone/other-lib", tmp_path / "notganzoo", {"main": COMMIT_MAIN})
    r = run_offline(
        tmp_path / "cache",
        """
        import ganzoo
        for args in [("someone/absent", None), ("someone/tiny", "no-such-branch"), ("someone/other-lib", None)]:
            try:
                ganzoo.load(args[0], revision=args[1])
            except ganzoo.GanzooError as e:
                print(type(e).__name__, "|", e)
    """,
    )
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    assert len(lines) == 3
    assert "HF_HUB_OFFLINE is set" in lines[0] and "someone/absent" in lines[0]
    assert "no-such-branch" in lines[1] and "HF_HUB_OFFLINE" in lines[1]
    assert "not a ganzoo model" in lines[2]


def test_repo_not_found_and_revision_not_found_messages(monkeypatch):
    from huggingface_hub.errors import RepositoryNotFoundError, RevisionNotFoundError

    import huggingface_hub

    def fake(exc):
        def snapshot_download(*a, **k):
            raise exc("nope", response=mock.Mock(status_code=404, headers={}, url="u"))

        return snapshot_download

    monkeypatch.setattr(huggingface_hub, "snapshot_download", fake(RepositoryNotFoundError))
    with pytest.raises(ganzoo.UnknownModelError, match="does not exist.*hf auth login"):
        ganzoo.load("someone/dcgan-mnist-typo")
    monkeypatch.setattr(huggingface_hub, "snapshot_download", fake(RevisionNotFoundError))
    with pytest.raises(ganzoo.GanzooError, match="has no revision 'v9'"):
        ganzoo.load("someone/x", revision="v9")


def _card(path: Path, value: float) -> Path:
    from huggingface_hub import EvalResult, ModelCard, ModelCardData

    data = ModelCardData(
        library_name="ganzoo",
        license="mit",
        eval_results=[
            EvalResult(
                task_type="unconditional-image-generation",
                dataset_type="mnist",
                dataset_name="mnist",
                metric_type="fd_mnist_classifier",
                metric_value=value,
            )
        ],
        model_name="tiny",
    )
    ModelCard.from_template(data, template_str="---\n{{ card_data }}\n---\n# tiny\n").save(path)
    return path


def _run_folder(tmp_path: Path) -> Path:
    make_tiny_folder(tmp_path / "run" / "model", "dcgan")
    (tmp_path / "run" / "model" / "samples.png").write_bytes(b"\x89PNG fake")
    return tmp_path / "run"


def mock_hub(monkeypatch, commit: str):
    """An HfApi stand-in (the boundary to the Hub) that records the uploaded file names in `seen`."""
    monkeypatch.setenv("HF_TOKEN", "hf_test")
    seen: dict = {}

    def upload_folder(**kw):
        seen["files"] = sorted(p.name for p in Path(kw["folder_path"]).iterdir())
        return mock.Mock(commit_url=f"https://huggingface.co/me/tiny/commit/{commit}")

    api = mock.Mock()
    api.upload_folder.side_effect = upload_folder
    return api, seen


def test_publish_calls_hfapi_exactly(tmp_path, monkeypatch):
    run = _run_folder(tmp_path)
    card = _card(tmp_path / "card.md", 12.5)
    ev = tmp_path / "eval.json"
    ev.write_text(json.dumps({"metrics": {"fd_mnist_classifier": 12.5}, "protocol": {}}))
    api, seen = mock_hub(monkeypatch, "1")
    with mock.patch("huggingface_hub.HfApi", return_value=api) as cls:
        rep = publish(str(run), "me/tiny", private=True, revision="dev", card=str(card), eval_json=str(ev))
    cls.assert_called_once_with(token="hf_test")
    api.create_repo.assert_called_once_with("me/tiny", private=True, exist_ok=True, repo_type="model")
    api.create_branch.assert_called_once_with("me/tiny", branch="dev", exist_ok=True)
    kw = api.upload_folder.call_args.kwargs
    assert kw["repo_id"] == "me/tiny" and kw["revision"] == "dev" and kw["repo_type"] == "model"
    assert seen["files"] == [
        "README.md",
        "config.json",
        "discriminator.safetensors",
        "model.safetensors",
        "samples.png",
    ]
    assert rep["metrics"] == {"fd_mnist_classifier": 12.5} and rep["commit"].endswith("/commit/1")


@pytest.mark.slow  # seconds of work: the full suite (the README's test command) runs it, `-m "not slow"` skips it
def test_publish_dry_run_sends_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    with mock.patch("huggingface_hub.HfApi") as cls:
        rep = publish(str(_run_folder(tmp_path)), "me/tiny", dry_run=True, include_onnx=True)
    cls.assert_not_called()
    out = capsys.readouterr().out
    assert "would upload" in out and "model.safetensors" in out and "generator.onnx" in rep["files"]


def test_publish_bad_inputs(tmp_path, monkeypatch):
    run = _run_folder(tmp_path)
    with pytest.raises(ganzoo.GanzooError, match="OWNER/NAME"):
        publish(str(run), "not-a-repo-id")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ganzoo.ModelFolderError, match="not a ganzoo model"):
        publish(str(tmp_path / "empty"), "me/x")
    ev = tmp_path / "eval.json"
    ev.write_text(json.dumps({"metrics": {"fd_mnist_classifier": 12.5}, "protocol": {}}))
    with pytest.raises(ganzoo.GanzooError, match="disagrees with the eval JSON"):
        publish(str(run), "me/x", card=str(_card(tmp_path / "c.md", 99.0)), eval_json=str(ev), dry_run=True)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf_home"))  # no stored login
    import huggingface_hub

    monkeypatch.setattr(huggingface_hub, "get_token", lambda: None)
    with mock.patch("huggingface_hub.HfApi") as cls, pytest.raises(ganzoo.GanzooError, match="hf auth login"):
        publish(str(run), "me/x")
    cls.assert_not_called()
    # weights that do not match the config are caught before upload
    conf = json.loads((run / "model" / "config.json").read_text())
    conf["config"]["g_width"] = 4
    (run / "model" / "config.json").write_text(json.dumps(conf))
    with pytest.raises(ganzoo.ModelFolderError, match="does not match"):
        publish(str(run), "me/x", dry_run=True)


def test_publish_dry_run_checks_the_users_folder_and_names_it(tmp_path, capsys):
    run = _run_folder(tmp_path)
    publish(str(run), "me/tiny", dry_run=True)
    assert f"would upload {run / 'model'} to" in capsys.readouterr().out
    conf = json.loads((run / "model" / "config.json").read_text())
    conf["latent_dim"] = 3  # config.json validated as at load
    (run / "model" / "config.json").write_text(json.dumps(conf))
    with pytest.raises(ganzoo.ModelFolderError) as e:
        publish(str(run), "me/tiny", dry_run=True)
    assert str(run / "model" / "config.json") in str(e.value) and "ganzoo-publish-" not in str(e.value)


def test_publish_zoo_entry_checks_every_file_and_the_discriminator(tmp_path, monkeypatch, capsys):
    from ganzoo import registry

    publish("dcgan-mnist", "ganzoo/dcgan-mnist", dry_run=True)
    assert "discriminator.safetensors" in capsys.readouterr().out
    m = registry.ZOO["dcgan-mnist"].manifest
    patch_manifest(monkeypatch, "dcgan-mnist", {**m, "discriminator_sha256": "0" * 64})
    with pytest.raises(ganzoo.ModelFolderError, match=r"dcgan-mnist.discriminator.safetensors fails its sha256"):
        publish("dcgan-mnist", "ganzoo/dcgan-mnist", dry_run=True)
    patch_manifest(monkeypatch, "dcgan-mnist", {**m, "files": {**m["files"], "config.json": "0" * 64}})
    with pytest.raises(ganzoo.ModelFolderError, match=r"config.json fails its sha256 check"):
        publish("dcgan-mnist", "ganzoo/dcgan-mnist", dry_run=True)


def test_zoo_publish_and_card_outside_a_checkout_say_so(monkeypatch):
    from ganzoo import registry

    monkeypatch.setattr(registry, "__file__", "/nonexistent/site-packages/ganzoo/registry.py")
    with pytest.raises(ganzoo.GanzooError, match=r"needs the ganzoo repository's zoo_extras/ folder.*git clone"):
        publish("dcgan-mnist", "ganzoo/dcgan-mnist", dry_run=True)
    from ganzoo.cards import card_paths

    with pytest.raises(ganzoo.GanzooError, match=r"needs the ganzoo repository's model_cards/ folder"):
        card_paths("dcgan-mnist")


def test_save_pretrained_round_trip_and_push_to_hub(tmp_path, monkeypatch):
    m = ganzoo.load(make_tiny_folder(tmp_path / "m", "cgan"), discriminator=True)
    out = m.save_pretrained(tmp_path / "saved")
    assert sorted(p.name for p in out.iterdir()) == [
        "config.json",
        "discriminator.safetensors",
        "model.safetensors",
        "samples.png",
    ]
    m2 = ganzoo.load(out, discriminator=True)
    assert m2.config == m.config
    assert torch.equal(m2.sample(5, seed=3, labels="Bag"), m.sample(5, seed=3, labels="Bag"))
    with pytest.raises(ganzoo.GanzooError, match="already exists and is not empty.*overwrite=True"):
        m.save_pretrained(out)
    assert not list(tmp_path.glob("*.tmp"))
    api, seen = mock_hub(monkeypatch, "2")
    with mock.patch("huggingface_hub.HfApi", return_value=api):
        rep = m.push_to_hub("me/tiny", private=True)
    api.create_repo.assert_called_once_with("me/tiny", private=True, exist_ok=True, repo_type="model")
    assert seen["files"] == ["config.json", "discriminator.safetensors", "model.safetensors", "samples.png"]
    assert rep["commit"].endswith("/commit/2")


def test_publish_zoo_entry_tags_its_version_and_never_moves_a_tag(monkeypatch):
    from ganzoo.registry import ZOO

    version = ZOO["dcgan-mnist"].version
    api, seen = mock_hub(monkeypatch, "3")
    record = api.upload_folder.side_effect
    api.upload_folder.side_effect = lambda **kw: (record(**kw), mock.Mock(commit_url="u", oid="abc123"))[1]
    api.list_repo_refs.return_value = mock.Mock(tags=[mock.Mock(name="t")])
    api.list_repo_refs.return_value.tags[0].name = "v0"
    with mock.patch("huggingface_hub.HfApi", return_value=api):
        rep = publish("dcgan-mnist", "ganzoo/dcgan-mnist")
    assert "manifest.json" in seen["files"] and rep["tag"] == version
    api.create_tag.assert_called_once_with(
        "ganzoo/dcgan-mnist", tag=version, revision="abc123", tag_message=f"dcgan-mnist {version}", repo_type="model"
    )
    api.list_repo_refs.return_value.tags[0].name = version  # the version is already published
    api.upload_folder.reset_mock()
    with (
        mock.patch("huggingface_hub.HfApi", return_value=api),
        pytest.raises(ganzoo.GanzooError, match=f"already has a tag '{version}': a published version never"),
    ):
        publish("dcgan-mnist", "ganzoo/dcgan-mnist")
    api.upload_folder.assert_not_called()


def test_repo_ids_follow_the_hubs_rule():
    from ganzoo.hub import is_repo_id

    for ok in ("acme/digits", "a/b", "Acme-1/dc_gan.v2", "a/" + "x" * 96):
        assert is_repo_id(ok), ok
    for bad in ("0/¹", "a/" + "x" * 97, "a/-x", "a/x.", "-a/x", "a/b/c", "a/..", "acme", "/x", "a/"):
        assert not is_repo_id(bad), bad
