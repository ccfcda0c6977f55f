"""The nightly backup keeps the newest copies; log lines are JSON with ids, never text."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from flask import Flask
from sqlalchemy import select

from core.db import db
from core.logs import JsonFormatter
from models import InboundMessage
from ops.jobs import nightly_backup
from tests.signing import Phone, Poster

RULES = Path(__file__).resolve().parents[2] / "ops" / "prometheus-rules.yml"


def test_nightly_backup_keeps_the_newest_copies(make_app, tmp_path: Path) -> None:
    app = make_app(SIGAP_BACKUP_DIR=str(tmp_path / "backups"), SIGAP_BACKUP_KEEP="2")
    night = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)  # 02:00 WITA
    with app.app_context():
        for day in range(3):
            summary = nightly_backup(night + timedelta(days=day))
            assert summary.startswith("backup sigap-")
    kept = sorted(p.name for p in (tmp_path / "backups").iterdir())
    assert kept == ["sigap-20261202T1800Z.sigapbak", "sigap-20261203T1800Z.sigapbak"]
    assert all((tmp_path / "backups" / name).stat().st_mode & 0o077 == 0 for name in kept)


def test_log_lines_are_json_with_request_and_message_ids_and_no_text(
    app: Flask, poster: Poster, caplog
) -> None:
    formatter = JsonFormatter()
    with caplog.at_level(logging.INFO):
        Phone(poster, "+628081234567").say("suami pukul istri di desa Sidera")
        forged = poster.post("/webhooks/twilio/sms", {"Body": "Sidera"}, signature="forged")
        assert forged.status_code == 403
    lines = [json.loads(formatter.format(record)) for record in caplog.records]
    refused = [line for line in lines if line["logger"] == "webhooks.twilio"]
    assert refused
    assert all(len(line["request_id"]) == 32 for line in refused)
    interpreted = [line for line in lines if line["logger"] == "webhooks.worker"]
    stored = db.session.scalars(select(InboundMessage.id)).all()
    assert [line["message_id"] for line in interpreted] == stored
    text = json.dumps(lines)
    assert "Sidera" not in text
    assert "8081234567" not in text


def test_the_request_id_is_echoed_and_a_strange_one_replaced(app: Flask) -> None:
    client = app.test_client()
    assert (
        client.get("/healthz", headers={"X-Request-ID": "lb-42"}).headers["X-Request-ID"] == "lb-42"
    )
    replaced = client.get("/healthz", headers={"X-Request-ID": "x" * 65}).headers["X-Request-ID"]
    assert len(replaced) == 32


def test_alerting_rules_name_each_watched_condition() -> None:
    promtool = shutil.which("promtool")
    if promtool:  # .ci/run installs it from Debian; the structure is checked either way
        checked = subprocess.run([promtool, "check", "rules", str(RULES)], capture_output=True)
        assert checked.returncode == 0, checked.stdout + checked.stderr
    rules = yaml.safe_load(RULES.read_text())
    alerts = {r["alert"]: r for g in rules["groups"] for r in g["rules"]}
    assert set(alerts) >= {
        "SigapBacklogOld",
        "SigapOutboxStuck",
        "SigapEmergencyUnacknowledged",
        "SigapSchedulerLeaderless",
        "SigapSpoolNotDraining",
        "SigapGatewaySilent",
    }
    for rule in alerts.values():
        assert rule["expr"].strip()
        assert rule["labels"]["severity"] in {"page", "ticket"}
        assert rule["annotations"]["summary"]
