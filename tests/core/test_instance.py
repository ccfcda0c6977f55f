"""A fresh instance is private to its owner, and lives where SIGAP_INSTANCE says."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from core import config as config_mod
from core.app import create_app
from core.config import ConfigError
from core.db import db


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _flask(repo_root: Path, instance: Path, *args: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "SIGAP_"))}
    env.pop("DATABASE_URL", None)
    env["SIGAP_INSTANCE"] = str(instance)
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=repo_root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-500:]


@pytest.fixture
def open_umask():
    """The umask most machines have: files readable by everyone unless made otherwise."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_a_fresh_instance_is_readable_by_its_owner_only(repo_root, tmp_path, open_umask):
    instance = tmp_path / "instance"
    # What `make run` does before it serves.
    _flask(repo_root, instance, "db", "upgrade")
    _flask(repo_root, instance, "seed", "demo")
    assert _mode(instance) == 0o700
    for name in ("sigap.db", "secret_key", "sigap_data_key"):
        assert _mode(instance / name) == 0o600, name
    # While the service runs, SQLite's -wal and -shm files sit beside the database.
    os.environ["SIGAP_INSTANCE"] = str(instance)
    try:
        app = create_app({"TESTING": True})
        with app.app_context():
            assert app.config["DATABASE_URL"] == f"sqlite:///{instance / 'sigap.db'}"
            db.session.execute(text("CREATE TABLE probe (x INTEGER)"))
            db.session.commit()
            for name in ("sigap.db", "sigap.db-wal", "sigap.db-shm"):
                assert _mode(instance / name) == 0o600, name
            db.session.remove()
            db.engine.dispose()
    finally:
        del os.environ["SIGAP_INSTANCE"]


def test_an_existing_database_readable_by_others_is_tightened(tmp_path, open_umask):
    folder = tmp_path / "old"
    folder.mkdir(mode=0o755)
    (folder / "sigap.db").touch(mode=0o644)
    os.environ["SIGAP_INSTANCE"] = str(folder)
    try:
        app = create_app({"TESTING": True})
        with app.app_context():
            db.session.execute(text("SELECT 1"))
            db.session.remove()
            db.engine.dispose()
    finally:
        del os.environ["SIGAP_INSTANCE"]
    assert _mode(folder) == 0o700
    assert _mode(folder / "sigap.db") == 0o600


def test_sigap_instance_is_read_from_dotenv(tmp_path, monkeypatch):
    monkeypatch.delenv("SIGAP_INSTANCE", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setattr(config_mod, "ROOT", tmp_path)
    (tmp_path / ".env").write_text("SIGAP_INSTANCE=elsewhere\n")
    loaded = config_mod.load({"SECRET_KEY": "s", "SIGAP_DATA_KEY": "k"})
    assert config_mod.instance_dir() == tmp_path / "elsewhere"
    assert loaded["DATABASE_URL"] == f"sqlite:///{tmp_path / 'elsewhere' / 'sigap.db'}"


@pytest.mark.parametrize("public", [None, "  "])
def test_twilio_credentials_without_public_url_refuse_to_start(public):
    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL"):
        config_mod.load(
            {
                "SECRET_KEY": "s",
                "SIGAP_DATA_KEY": "k",
                "DATABASE_URL": "sqlite://",
                "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
                "TWILIO_AUTH_TOKEN": "t",
                "PUBLIC_BASE_URL": public,
            }
        )


def test_twilio_credentials_without_public_url_is_one_line(repo_root, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "SIGAP_"))}
    env.update(
        SIGAP_INSTANCE=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path}/x.db",
        TWILIO_ACCOUNT_SID="AC" + "0" * 32,
        TWILIO_AUTH_TOKEN="t",
    )
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
        cwd=repo_root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("sigap: PUBLIC_BASE_URL must be set")
