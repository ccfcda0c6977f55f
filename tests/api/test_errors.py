"""Bad requests get a 4xx with a machine-readable reason, in one shape, and store nothing."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from api import tokens
from api.errors import flatten
from core.db import db
from models import Report
from tests.api.conftest import T0
from tests.api.test_sync import item

SYNC = "/api/v1/sync/reports"


def reports() -> int:
    return db.session.scalar(select(func.count()).select_from(Report))


@pytest.fixture
def bad_tokens(world):
    """Tokens of the facilitator that must not work: unknown, expired, revoked."""
    account = world.accounts["facilitator"]
    expired = tokens.issue(db.session, account, T0 - timedelta(days=3), days=1)[1]
    row, revoked = tokens.issue(db.session, account, T0)
    tokens.revoke(db.session, row.id, T0)
    db.session.commit()
    return {"sigap_unknown": "invalid_token", expired: "token_expired", revoked: "token_revoked"}


def test_bad_tokens_store_nothing(client, world, bad_tokens):
    before = reports()
    for token, code in bad_tokens.items():
        response = client.post(
            SYNC, json={"items": [item(1)]}, headers={"Authorization": f"Bearer {token}"}
        )
        assert (response.status_code, response.json["error"]["code"]) == (401, code)
        assert token not in response.get_data(as_text=True)
    assert reports() == before


def test_malformed_json_is_400(call, world):
    before = reports()
    response = call(
        "facilitator", "post", SYNC, data='{"items": [', content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json["error"]["code"] == "malformed_json"
    assert reports() == before


def test_a_body_that_is_not_json_is_415(call, world):
    response = call("facilitator", "post", SYNC, data="items=1", content_type="text/plain")
    assert response.status_code == 415
    assert response.json["error"]["code"] == "unsupported_media_type"


def test_more_than_100_items_is_422_and_stores_nothing(call, world):
    before = reports()
    response = call("facilitator", "post", SYNC, json={"items": [item(n) for n in range(101)]})
    assert response.status_code == 422
    assert response.json["error"]["code"] == "invalid"
    assert list(response.json["error"]["fields"]) == ["items"]
    assert reports() == before


def test_a_body_over_the_size_limit_is_413(call, world, app):
    before = reports()
    body = json.dumps({"items": [item(1, text="x" * app.config["MAX_CONTENT_LENGTH"])]})
    response = call("facilitator", "post", SYNC, data=body, content_type="application/json")
    assert response.status_code == 413
    assert response.json["error"]["code"] == "request_entity_too_large"
    assert reports() == before


def test_unknown_fields_are_refused_not_ignored(call, world):
    before = reports()
    response = call("facilitator", "post", SYNC, json={"items": [item(1)], "dry_run": True})
    assert response.status_code == 422
    assert response.json["error"]["fields"] == {"dry_run": ["Unknown field."]}
    response = call("staff_a", "get", "/api/v1/cases?stauts=baru")
    assert response.json["error"]["fields"] == {"stauts": ["Unknown field."]}
    assert reports() == before


def test_validation_errors_name_each_field(call, world):
    reference = world.cases["a"].reference
    response = call("staff_a", "post", f"/api/v1/cases/{reference}/status", json={"status": "x"})
    assert response.status_code == 422
    assert response.json == {
        "error": {
            "code": "invalid",
            "message": "Some fields are not valid.",
            "fields": {"status": [response.json["error"]["fields"]["status"][0]]},
        }
    }


def test_an_empty_batch_is_422(call, world):
    response = call("facilitator", "post", SYNC, json={"items": []})
    assert response.status_code == 422


def test_flatten_gives_dotted_paths():
    messages = {"items": {3: {"captured_at": ["Bad."], "_schema": ["Whole."]}}, "x": "One."}
    assert flatten(messages) == {
        "items.3.captured_at": ["Bad."],
        "items.3": ["Whole."],
        "x": ["One."],
    }
