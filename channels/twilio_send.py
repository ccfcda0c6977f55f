"""Twilio outbound: send SMS and WhatsApp through the REST API and classify what happened."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http import HttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client
from urllib3.exceptions import ProtocolError

from channels.base import ChannelError, ChannelFacts, Outgoing, SendOutcome, SendResult
from channels.twilio import OPTED_OUT_CODE, PROVIDER, WHATSAPP_PREFIX, facts
from core.bounds import MAX_DB_INT
from models.vocab import Channel

#: Twilio error codes that mean "this channel cannot reach this person now": the caller
#: should try the person's other channel, or the next person on the roster.
#: https://www.twilio.com/docs/api/errors
NEXT_CHANNEL_CODES: Mapping[int, str] = MappingProxyType(
    {
        21408: "sending to this region is not enabled for SMS",
        OPTED_OUT_CODE: "recipient replied STOP to this sender",
        21612: "no route to this number on this channel",
        21614: "number cannot receive SMS (landline)",
        63003: "recipient is not on WhatsApp",
        63016: "outside the WhatsApp 24-hour window; needs a template",
        63024: "invalid WhatsApp recipient",
        63032: "WhatsApp will not deliver to this user",
    }
)

#: HTTP statuses below 500 worth trying again later (rate limited); every other 4xx is final.
RETRY_STATUSES = frozenset({429})

# Twilio may record a message a little before our clock said we sent it.
_CLOCK_SKEW = timedelta(minutes=1)
#: Messages per page when looking for one already sent, and pages at most (2,000 messages):
#: past that the outcome stays unknown rather than risk a second copy.
_FIND_PAGE = 100
_FIND_PAGES = 20
#: How many messages to one number `find_sent` looks back through, newest first.
FIND_LIMIT = _FIND_PAGE * _FIND_PAGES


class _TwilioTransport(TwilioHttpClient):
    """Twilio's HTTP client, optionally aimed at another host, logging no personal data."""

    def __init__(self, base_url: str | None = None, timeout: float | None = None) -> None:
        super().__init__(timeout=timeout)
        self._base = urlsplit(base_url) if base_url else None

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        """Send the request, to the configured scheme and host if there is one."""
        if self._base is not None:
            parts = urlsplit(url)
            url = urlunsplit((self._base.scheme, self._base.netloc, *parts[2:]))
        return super().request(method, url, *args, **kwargs)

    def log_request(self, kwargs: dict[str, Any]) -> None:
        """Log the method and path only: query and body hold phone numbers and texts."""
        self.logger.debug("twilio %s %s", kwargs["method"], urlsplit(kwargs["url"]).path)

    def log_response(self, status_code: int, response: Any) -> None:
        """Log the status only."""
        self.logger.debug("twilio response %s", status_code)


def classify_http_error(status: int, code: int | None) -> SendOutcome:
    """Return what to do after Twilio answered with an error status and code."""
    if code in NEXT_CHANNEL_CODES:
        return SendOutcome.NEXT_CHANNEL
    if status >= 500 or status in RETRY_STATUSES:
        return SendOutcome.RETRY
    return SendOutcome.FINAL


def classify_transport_error(exc: requests.RequestException) -> SendOutcome:
    """Return what to do after the request failed below HTTP."""
    if isinstance(exc, requests.ConnectTimeout):
        return SendOutcome.RETRY  # never connected: nothing reached Twilio
    if isinstance(exc, requests.ReadTimeout):
        return SendOutcome.UNKNOWN  # sent, but no answer: Twilio may have it
    if isinstance(exc, requests.ConnectionError):
        # A connection dropped while waiting for the answer (urllib3 ProtocolError) happened
        # after the request went out, like a read timeout; any other failed to connect.
        cause = exc.args[0] if exc.args else None
        return SendOutcome.UNKNOWN if isinstance(cause, ProtocolError) else SendOutcome.RETRY
    return SendOutcome.UNKNOWN


def _address(kind: str, number: str) -> str:
    """Return a number as Twilio addresses it on this channel."""
    if kind == Channel.WHATSAPP and not number.startswith(WHATSAPP_PREFIX):
        return WHATSAPP_PREFIX + number
    return number


class TwilioProvider:
    """Send SMS and WhatsApp messages with Twilio's REST API."""

    name = PROVIDER

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        sms_from: str | None = None,
        messaging_service_sid: str | None = None,
        whatsapp_from: str | None = None,
        api_base_url: str | None = None,
        http_client: HttpClient | None = None,
        timeout: float = 10,
    ) -> None:
        # An injected http_client (tests) is used as given; api_base_url only aims the
        # default transport elsewhere (the spec mock).
        transport = http_client or _TwilioTransport(api_base_url, timeout=timeout)
        self.client = Client(account_sid, auth_token, http_client=transport, environment={})
        self.sms_from = sms_from
        self.messaging_service_sid = messaging_service_sid
        self.whatsapp_from = whatsapp_from

    def facts(self, channel: str) -> ChannelFacts:
        """Return what Twilio asks of messages on `channel`."""
        return facts(channel)

    def close(self) -> None:
        """Close pooled connections; the provider opens new ones if used again."""
        session = getattr(self.client.http_client, "session", None)
        if session is not None:
            session.close()

    def _sender(self, channel: str) -> dict[str, str] | None:
        """Return the sender fields for a channel, or None when none is configured."""
        if channel == Channel.WHATSAPP and self.whatsapp_from:
            return {"from_": _address(Channel.WHATSAPP, self.whatsapp_from)}
        if self.messaging_service_sid:
            return {"messaging_service_sid": self.messaging_service_sid}
        if channel == Channel.SMS and self.sms_from:
            return {"from_": self.sms_from}
        return None

    def _create_args(self, msg: Outgoing, sender: dict[str, str]) -> dict[str, Any]:
        """Return the keyword arguments of messages.create for `msg`."""
        args: dict[str, Any] = {"to": _address(msg.channel, msg.to), **sender}
        if msg.content_sid:
            # A template carries its own text; Twilio rejects a Body beside a ContentSid.
            args["content_sid"] = msg.content_sid
            if msg.content_variables:
                args["content_variables"] = json.dumps(msg.content_variables)
        else:
            args["body"] = msg.body
        if msg.validity_seconds is not None:
            args["validity_period"] = msg.validity_seconds
        if msg.status_callback:
            args["status_callback"] = msg.status_callback
        return args

    def send(self, msg: Outgoing) -> SendResult:
        """Send one message and classify the answer; never raises for provider failures."""
        sender = self._sender(msg.channel)
        if sender is None:
            # Without a WhatsApp sender the person may still be reached by SMS.
            outcome = (
                SendOutcome.NEXT_CHANNEL if msg.channel == Channel.WHATSAPP else SendOutcome.FINAL
            )
            return SendResult(outcome, detail=f"no {msg.channel} sender configured")
        try:
            created = self.client.messages.create(**self._create_args(msg, sender))
        except (TwilioRestException, TwilioServiceException) as exc:
            code = _twilio_code(exc.code, exc.status)
            outcome = classify_http_error(exc.status, code)
            # Twilio's own message can quote the number, so only status and code go out.
            detail = f"twilio http {exc.status} code {code}"
            return SendResult(outcome, None, code, detail, is_opted_out=code == OPTED_OUT_CODE)
        except requests.RequestException as exc:
            return SendResult(classify_transport_error(exc), detail=type(exc).__name__)
        except (TwilioException, ValueError) as exc:
            # Twilio answered success in a form the client could not read: it has the message.
            return SendResult(SendOutcome.UNKNOWN, detail=type(exc).__name__)
        return SendResult(SendOutcome.SENT, created.sid, None, "accepted")

    def find_sent(self, msg: Outgoing, since: datetime) -> str | None:
        """Return the sid of a message Twilio accepted for `msg` after `since`, if any."""
        # Raises ChannelError("lookup_failed") when Twilio cannot be asked: the caller must
        # then keep the message as unknown rather than guess.
        since_utc = since.astimezone(UTC) if since.tzinfo else since.replace(tzinfo=UTC)
        # DateSent filters by day only (GMT); the exact time is checked below.
        try:
            page = self.client.messages.page(
                to=_address(msg.channel, msg.to),
                date_sent_after=since_utc.date().isoformat(),
                page_size=_FIND_PAGE,
            )
            # Newest first: page back until the messages are older than the one sought. An
            # officer alerted many times since then has many newer messages to look past.
            for _ in range(_FIND_PAGES):
                found, passed = _match(msg, page, since_utc - _CLOCK_SKEW)
                if found or passed:
                    return found
                page = page.next_page()
                if page is None:
                    return None
        except (TwilioException, requests.RequestException, ValueError) as exc:
            raise ChannelError("lookup_failed", type(exc).__name__) from exc
        raise ChannelError("lookup_failed", "too many newer messages to look past")


def _match(msg: Outgoing, page: Any, oldest: datetime) -> tuple[str | None, bool]:
    """Return the sid of `msg` on this page, and whether the page reached back past `oldest`."""
    passed = False
    for found in page:
        created_at = found.date_created or found.date_sent
        if created_at is not None and created_at < oldest:
            passed = True  # older pages hold only older messages
            continue
        if found.sid in msg.not_these:
            continue  # the same text sent for another row
        if (found.direction or "").startswith("outbound") and _same_content(msg, found.body or ""):
            return found.sid, passed
    return None, passed


def _same_content(msg: Outgoing, body: str) -> bool:
    """Return whether a stored message body is what `msg` would have produced."""
    if msg.content_sid:
        # Twilio lists a template message with its rendered text and no content sid, so
        # every variable value must appear in it.
        values = (msg.content_variables or {}).values()
        return bool(body) and all(value in body for value in values)
    return body.strip() == msg.body.strip()


def _twilio_code(value: object, status: int) -> int | None:
    """Return Twilio's error code, None when it sent none (the client then repeats the status)."""
    try:
        code = int(value)  # type: ignore[call-overload]  # any JSON value: int() refuses the rest
    except (TypeError, ValueError, OverflowError):
        return None
    # Stored in an Integer column: a code wider than that is no code Twilio gives.
    return None if code == status or abs(code) > MAX_DB_INT else code
