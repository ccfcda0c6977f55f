"""SMSGate outbound: send SMS through the phone's API and read its inbox for catch-up."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests

from channels.base import ChannelError, ChannelFacts, Outgoing, SendOutcome, SendResult
from channels.phone import normalize_phone
from channels.smsgate import PROVIDER, parse_time
from models.vocab import Channel

#: The longest time to live SIGAP gives a message on the phone's queue (a week).
MAX_TTL_SECONDS = 7 * 24 * 3600
#: The API's smallest time to live.
MIN_TTL_SECONDS = 5
#: Inbox messages asked for per page (the API's maximum is 500).
INBOX_PAGE = 100
#: Pages read at most in one catch-up.
INBOX_PAGES = 20
#: Statuses worth trying again later: the phone is busy or its queue is full.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
FACTS = ChannelFacts(validity_cap=MAX_TTL_SECONDS)


@dataclass(frozen=True, slots=True)
class InboxItem:
    """One SMS in the phone's inbox, as the catch-up job needs it."""

    id: str
    sender: str
    text: str
    received_at: datetime | None


def client_id(key: str) -> str:
    """Return the message id SIGAP gives the phone for an outbox row (36 characters at most)."""
    return hashlib.sha256(key.encode()).hexdigest()[:32]


class SmsGateProvider:
    """Send SMS with an SMS Gateway for Android device's API (basic auth)."""

    name = PROVIDER

    def __init__(
        self,
        api_url: str,
        username: str,
        password: str,
        session: requests.Session | None = None,
        timeout: float = 10,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.auth = (username, password)
        self.session = session or requests.Session()
        self.timeout = timeout

    def facts(self, channel: str) -> ChannelFacts:
        """Return what the phone asks of messages: nothing but a time to live."""
        return FACTS

    def close(self) -> None:
        """Close pooled connections."""
        self.session.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.session.request(
            method, self.api_url + path, auth=self.auth, timeout=self.timeout, **kwargs
        )

    def _body(self, msg: Outgoing) -> dict[str, Any]:
        body: dict[str, Any] = {"textMessage": {"text": msg.body}, "phoneNumbers": [msg.to]}
        if msg.key:
            # The phone refuses a second message with the same id (409): one row, one SMS.
            body["id"] = client_id(msg.key)
        if msg.validity_seconds is not None:
            body["ttl"] = max(MIN_TTL_SECONDS, min(msg.validity_seconds, MAX_TTL_SECONDS))
        return body

    def send(self, msg: Outgoing) -> SendResult:
        """Send one SMS and classify the answer; never raises for provider failures."""
        if msg.channel != Channel.SMS:
            return SendResult(SendOutcome.NEXT_CHANNEL, detail=f"smsgate cannot send {msg.channel}")
        body = self._body(msg)
        try:
            answer = self._call("POST", "/messages", json=body)
        except requests.ConnectTimeout:
            return SendResult(SendOutcome.RETRY, detail="ConnectTimeout")
        except requests.ConnectionError:
            return SendResult(SendOutcome.RETRY, detail="ConnectionError")
        except requests.RequestException as exc:
            return SendResult(SendOutcome.UNKNOWN, detail=type(exc).__name__)
        if answer.status_code == 409 and "id" in body:
            return SendResult(SendOutcome.SENT, body["id"], None, "already queued")
        if answer.status_code in (200, 201, 202):
            return SendResult(SendOutcome.SENT, _id_of(answer) or body.get("id"), None, "accepted")
        outcome = SendOutcome.RETRY if answer.status_code in RETRY_STATUSES else SendOutcome.FINAL
        return SendResult(outcome, detail=f"smsgate http {answer.status_code}")

    def find_sent(self, msg: Outgoing, since: datetime) -> str | None:
        """Return the id of `msg` if the phone already has it (asked by SIGAP's own id)."""
        if not msg.key:
            raise ChannelError("lookup_failed", "no id to look the message up by")
        message_id = client_id(msg.key)
        try:
            answer = self._call("GET", f"/messages/{message_id}")
        except requests.RequestException as exc:
            raise ChannelError("lookup_failed", type(exc).__name__) from exc
        if answer.status_code == 404:
            return None
        if answer.status_code != 200:
            raise ChannelError("lookup_failed", f"smsgate http {answer.status_code}")
        return message_id

    def inbox(self, since: datetime, until: datetime) -> Iterator[InboxItem]:
        """Yield the SMS the phone received between two moments, oldest pages first."""
        params: dict[str, Any] = {
            "type": "SMS",
            "from": since.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "to": until.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "limit": INBOX_PAGE,
        }
        for page in range(INBOX_PAGES):
            params["offset"] = page * INBOX_PAGE
            try:
                answer = self._call("GET", "/inbox", params=params)
                answer.raise_for_status()
                items = answer.json()
            except (requests.RequestException, ValueError) as exc:
                raise ChannelError("inbox_failed", type(exc).__name__) from exc
            if not isinstance(items, list):
                raise ChannelError("inbox_failed", "the inbox is not a list")
            yield from filter(None, map(_inbox_item, items))
            if len(items) < INBOX_PAGE:
                return


def _inbox_item(item: object) -> InboxItem | None:
    """Return an inbox entry SIGAP can store, None for one it cannot (not an SMS from a number)."""
    if not isinstance(item, dict) or item.get("type", "SMS") != "SMS":
        return None
    text, raw_id = item.get("contentPreview"), item.get("id")
    if not isinstance(text, str) or not isinstance(raw_id, str):
        return None
    try:
        sender = normalize_phone(str(item.get("sender") or ""))
    except ChannelError:
        return None
    return InboxItem(raw_id, sender, text, parse_time(item.get("createdAt")))


def _id_of(answer: requests.Response) -> str | None:
    try:
        data = answer.json()
    except ValueError:
        return None
    value = data.get("id") if isinstance(data, dict) else None
    return value if isinstance(value, str) and value else None
