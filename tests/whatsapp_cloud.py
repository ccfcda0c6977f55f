"""WhatsApp Cloud API webhook deliveries, signed the way Meta signs them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from channels.whatsapp_cloud import sign

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "whatsapp_cloud"
TEST_APP_SECRET = "test-meta-app-secret"
TEST_VERIFY_TOKEN = "test-verify-token"
PATH = "/webhooks/whatsapp-cloud"


def load_delivery(name: str) -> dict[str, Any]:
    """A fixture delivery as Meta posts it."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def first_message(delivery: dict[str, Any]) -> dict[str, Any]:
    """The first message object of a delivery, to change in place."""
    return delivery["entry"][0]["changes"][0]["value"]["messages"][0]


def post_delivery(client, delivery: dict[str, Any] | bytes, secret: str = TEST_APP_SECRET):
    """POST one signed delivery through the test client."""
    body = delivery if isinstance(delivery, bytes) else json.dumps(delivery).encode()
    headers = {"X-Hub-Signature-256": sign(secret, body), "Content-Type": "application/json"}
    return client.post(PATH, data=body, headers=headers)
