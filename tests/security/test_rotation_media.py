"""Key rotation re-encrypts the stored media files too, and a rotation killed in the middle
leaves every file readable by a key still configured; running it again finishes the work."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from core import media_store
from core.crypto import Keyring
from core.db import db
from tests.signing import TEST_DATA_KEY

OLD_KEY = TEST_DATA_KEY
NEW_KEY = "bmV3IGtleSBmb3IgdGhlIG1lZGlhIHJvdGF0aW9uISE="
OTHER_KEY = "b3RoZXIga2V5OyBuZXZlciB1c2VkIGZvciBTSUdBUCE="
FILES = [b"\xff\xd8\xff\xe0 photo one", b"#!AMR voice note", b"%PDF-1.4 a letter"]


@pytest.fixture
def stored(app: Flask, tmp_path: Path) -> dict[Path, bytes]:
    """Three media files written under the old key, as the service writes them."""
    app.config["MEDIA_DIR"] = str(tmp_path / "media")
    return {media_store.directory() / media_store.store(content): content for content in FILES}


def rotate(make_app: Callable[..., Flask], folder: Path) -> tuple[int, str]:
    rotating = make_app(SIGAP_DATA_KEY=f"{NEW_KEY},{OLD_KEY}", MEDIA_DIR=str(folder))
    with rotating.app_context():
        result = rotating.test_cli_runner().invoke(args=["keys", "rotate"])
        db.session.remove()
    return result.exit_code, result.output


def opens(key: str, path: Path) -> bytes | None:
    try:
        return Keyring(key).decrypt_bytes(path.read_bytes())
    except Exception:
        return None


def test_rotation_re_encrypts_every_media_file_under_the_new_key(
    stored: dict[Path, bytes], make_app: Callable[..., Flask]
) -> None:
    folder = next(iter(stored)).parent
    code, output = rotate(make_app, folder)
    assert code == 0, output
    assert "media: 3 files read, 3 re-encrypted" in output
    assert "3 media files" in output
    for path, content in stored.items():
        assert opens(NEW_KEY, path) == content
        assert opens(OLD_KEY, path) is None
        assert content not in path.read_bytes()
        assert os.stat(path).st_mode & 0o777 == 0o600
    code, output = rotate(make_app, folder)
    assert "media: 3 files read, 0 re-encrypted" in output


def test_a_rotation_killed_mid_way_leaves_every_file_readable_and_resumes(
    stored: dict[Path, bytes], make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = next(iter(stored)).parent
    real_replace, calls = os.replace, []

    def power_cut_on_the_second_file(src: str | Path, dst: str | Path) -> None:
        calls.append(dst)
        if len(calls) == 2:  # its new copy is on disk, not yet in place
            raise OSError("power cut")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", power_cut_on_the_second_file)
    code, output = rotate(make_app, folder)
    monkeypatch.setattr(os, "replace", real_replace)
    assert code != 0
    assert [p.name for p in folder.glob(".*.tmp")]  # the half-done rewrite is left behind
    under_new = [p for p in stored if opens(NEW_KEY, p) is not None]
    assert len(under_new) == 1
    for path, content in stored.items():
        assert opens(f"{NEW_KEY},{OLD_KEY}", path) == content  # both keys are still configured

    code, output = rotate(make_app, folder)
    assert code == 0, output
    assert "media: 3 files read, 2 re-encrypted" in output
    assert list(folder.glob(".*.tmp")) == []
    for path, content in stored.items():
        assert opens(NEW_KEY, path) == content


def test_a_media_file_no_key_opens_stops_rotation_with_one_line(
    stored: dict[Path, bytes], make_app: Callable[..., Flask]
) -> None:
    stray = next(iter(stored))
    stray.write_bytes(Keyring(OTHER_KEY).encrypt_bytes(b"not ours"))
    code, output = rotate(make_app, stray.parent)
    assert code == 1
    assert f"media file {stray.name} opens with no key" in output
    assert "Traceback" not in output
