"""SMSGate webhook deliveries, signed the way the app signs them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from channels.smsgate import sign
from core import clock

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "smsgate"
TEST_SIGNING_KEY = "test-smsgate-signing-key"
PATH = "/webhooks/smsgate"


def load_event(name: str, **changes: Any) -> dict[str, Any]:
    """A fixture event, with top-level fields (or payload fields, as payload=...) changed."""
    event = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    payload = changes.pop("payload", None)
    event.update(changes)
    if payload:
        event["payload"] = {**event["payload"], **payload}
    return event


def signed_headers(body: bytes, key: str = TEST_SIGNING_KEY, age_seconds: int = 0) -> dict:
    """X-Timestamp (now, or `age_seconds` ago) and the matching X-Signature."""
    stamp = str(int(clock.now().timestamp()) - age_seconds)
    return {
        "X-Timestamp": stamp,
        "X-Signature": sign(key, body, stamp),
        "Content-Type": "application/json",
    }


def post_event(client, event: dict[str, Any] | bytes, **kwargs: Any):
    """POST one signed delivery through the test client."""
    body = event if isinstance(event, bytes) else json.dumps(event).encode()
    return client.post(PATH, data=body, headers=signed_headers(body, **kwargs))
