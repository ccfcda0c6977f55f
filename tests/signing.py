"""Signed Twilio webhook requests, made the way Twilio makes them."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl

from twilio.request_validator import RequestValidator

TEST_AUTH_TOKEN = "test-auth-token-0123456789abcdef"
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
