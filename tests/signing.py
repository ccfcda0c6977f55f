"""Signed Twilio webhook requests, made the way Twilio makes them."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl

from twilio.request_validator import RequestValidator

TEST_AUTH_TOKEN = "test-auth-token-0123456789abcdef"
#: A fixed data key for tests (32 bytes, base64); never used anywhere else.
TEST_DATA_KEY = "c2lnYXAgdGVzdCBrZXk7IG5ldmVyIHByb2R1Y3Rpb24="
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "twilio"


def load_form(name: str) -> dict[str, str]:
    """A fixture payload as the form fields Twilio posts."""
    return dict(
        parse_qsl((FIXTURES / name).read_text(encoding="utf-8").strip(), keep_blank_values=True)
    )


def sign(url: str, form: dict[str, str], token: str = TEST_AUTH_TOKEN) -> str:
    """X-Twilio-Signature for a URL and form."""
    return RequestValidator(token).compute_signature(url, form)


class Poster:
    """Posts signed webhooks through a Flask test client."""

    def __init__(self, client) -> None:
        self.client = client

    def post(
        self,
        path: str,
        form: dict[str, str],
        *,
        signed_url: str | None = None,
        signature: str | None = None,
        headers: dict | None = None,
    ):
        url = signed_url or f"http://localhost{path}"
        sig = signature if signature is not None else sign(url, form)
        all_headers = {"X-Twilio-Signature": sig} if sig else {}
        all_headers.update(headers or {})
        return self.client.post(path, data=form, headers=all_headers)


class Phone:
    """A reporter's phone texting the SMS webhook, reading back the replies."""

    def __init__(self, poster: Poster, number: str, route: str = "sms") -> None:
        self.poster, self.number, self.route = poster, number, route
        self.sent = 0

    def say(self, text: str) -> str:
        """Send one message and return the reply's text ("" for none)."""
        self.sent += 1
        prefix = "whatsapp:" if self.route == "whatsapp" else ""
        sid = f"SM{abs(hash((self.number, self.sent, text))) % 16**32:032x}"
        form = {
            "MessageSid": sid,
            "AccountSid": "AC" + "0" * 32,
            "From": prefix + self.number,
            "To": prefix + "+12025550100",
            "Body": text,
            "NumMedia": "0",
        }
        response = self.poster.post(f"/webhooks/twilio/{self.route}", form)
        assert response.status_code == 200, response.data
        assert "<Message>" not in response.get_data(as_text=True)  # answered by the worker
        return reply_to(sid)


def run_worker() -> int:
    """Let the interpretation worker take everything waiting, as `flask worker` does."""
    from webhooks.worker import Worker

    worker = Worker.for_app()
    try:
        return worker.run_until_empty()
    finally:
        worker.close()


def reply_to(message_sid: str, *, work: bool = True) -> str:
    """Run the worker, then return the reply queued for a message ("" for none)."""
    from sqlalchemy import select

    from core.db import db
    from models import InboundMessage, Outbox

    if work:
        run_worker()
    row_id = db.session.scalar(
        select(InboundMessage.id).where(InboundMessage.provider_message_id == message_sid)
    )
    keys = (f"reply:{row_id}", f"reply:{row_id}:failed")
    body = db.session.scalar(
        select(Outbox.body).where(Outbox.idempotency_key.in_(keys)).order_by(Outbox.id).limit(1)
    )
    return body or ""
