"""Listings are in the audit trail: one line per listing, naming the cases it showed."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from core.db import db
from models import AuditEvent, CaseEvent


def audit() -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


def test_a_case_listing_is_one_audit_line(call, world):
    events_before = db.session.scalar(select(func.count(CaseEvent.id)))
    answer = call("coordinator", "get", "/api/v1/cases?status=baru")
    assert answer.status_code == 200
    shown = [item["reference"] for item in answer.get_json()["items"]]
    assert len(shown) == 2
    [line] = audit()
    assert line.account_id == world.accounts["coordinator"].id
    assert line.action == "cases.list"
    detail = json.loads(line.detail)
    assert sorted(detail["references"]) == sorted(shown)
    assert detail["filters"]["status"] == "baru"
    # Not a line in every case's timeline.
    assert db.session.scalar(select(func.count(CaseEvent.id))) == events_before


def test_sync_changes_is_one_audit_line(call, world):
    answer = call("facilitator", "get", "/api/v1/sync/changes")
    assert answer.status_code == 200
    [line] = audit()
    assert line.action == "sync.changes"
    assert line.account_id == world.accounts["facilitator"].id
    assert json.loads(line.detail)["references"] == [
        c["reference"] for c in answer.get_json()["changes"]
    ]
