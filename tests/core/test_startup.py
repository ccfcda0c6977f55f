"""The service starts with one command, and refuses bad configuration in one clear line."""

import os
import stat
import subprocess
import sys

from core import config as config_mod


def _flask(repo_root, env_extra, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "SIGAP_"))}
    env.pop("DATABASE_URL", None)
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=repo_root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_keys_are_generated_owner_only(tmp_path, monkeypatch):
    monkeypatch.setenv("SIGAP_INSTANCE", str(tmp_path / "instance"))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("SIGAP_DATA_KEY", raising=False)
    monkeypatch.setattr(config_mod, "ROOT", tmp_path)
    first = config_mod.load()
    second = config_mod.load()
    assert first["SIGAP_DATA_KEY"] == second["SIGAP_DATA_KEY"]
    assert first["SECRET_KEY"] == second["SECRET_KEY"]
    for name in ("secret_key", "sigap_data_key"):
        mode = stat.S_IMODE((tmp_path / "instance" / name).stat().st_mode)
        assert mode == 0o600


def test_bad_database_url_is_one_line(repo_root):
    result = _flask(repo_root, {"DATABASE_URL": "nonsense://"}, "db", "upgrade")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "DATABASE_URL" in result.stderr.strip().splitlines()[-1]


def test_unreachable_database_is_one_line(repo_root):
    url = "postgresql+psycopg://nobody:secret-pw@127.0.0.1:9/none"
    result = _flask(repo_root, {"DATABASE_URL": url}, "db", "upgrade")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "does not answer" in result.stderr
    assert "secret-pw" not in result.stderr


def test_unreadable_key_file_is_one_line(repo_root, tmp_path):
    # A directory where the key file should be: unreadable even for root.
    (tmp_path / "sigap_data_key").mkdir()
    env = {"SIGAP_INSTANCE": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    result = _flask(repo_root, env, "db", "upgrade")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("sigap: cannot read key file")
    assert "sigap_data_key" in last


def test_invalid_data_key_is_one_line(repo_root, tmp_path):
    result = _flask(
        repo_root,
        {"SIGAP_DATA_KEY": "not-a-key", "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"},
        "db",
        "upgrade",
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "sigap: SIGAP_DATA_KEY must be 32 bytes, urlsafe base64 encoded"
    )


def test_a_lease_that_is_not_a_duration_is_one_line(repo_root):
    result = _flask(repo_root, {"SIGAP_SCHEDULER_LEASE_SECONDS": "soon"}, "db", "upgrade")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "SIGAP_SCHEDULER_LEASE_SECONDS" in result.stderr.strip().splitlines()[-1]
