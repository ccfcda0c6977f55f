"""WhatsApp Cloud API outbound: free-form text inside the 24-hour window, templates outside."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any

import requests

from channels.base import ChannelFacts, Outgoing, SendOutcome, SendResult
from channels.whatsapp_cloud import FACTS, GRAPH_BASE_URL, GRAPH_VERSION, PROVIDER
from models.vocab import Channel

#: The language approved templates are registered in.
TEMPLATE_LANGUAGE = "id"
#: Meta error codes meaning "WhatsApp cannot reach this person now": try SMS or the next
#: person. https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes
NEXT_CHANNEL_CODES: Mapping[int, str] = MappingProxyType(
    {
        131026: "message undeliverable (not on WhatsApp, old app, terms not accepted)",
        131030: "recipient not in the allowed list (test number)",
        131047: "more than 24 hours since the person last wrote: needs a template",
        131050: "the person stopped receiving business messages",
    }
)
#: Meta error codes worth trying again later: throttling and temporary errors.
RETRY_CODES = frozenset({1, 2, 4, 80007, 130429, 131000, 131048, 131056, 133004})


def classify(status: int, code: int | None) -> SendOutcome:
    """Return what to do after the Graph API answered an error status and code."""
    if code in NEXT_CHANNEL_CODES:
        return SendOutcome.NEXT_CHANNEL
    if code in RETRY_CODES or status >= 500 or status == 429:
        return SendOutcome.RETRY
    return SendOutcome.FINAL


class WhatsAppCloudProvider:
    """Send WhatsApp messages through the Graph API `/{phone-number-id}/messages`."""

    name = PROVIDER

    def __init__(
        self,
        access_token: str,
        phone_number_id: str,
        api_base_url: str | None = None,
        session: requests.Session | None = None,
        timeout: float = 10,
    ) -> None:
        base = (api_base_url or GRAPH_BASE_URL).rstrip("/")
        self.url = f"{base}/{GRAPH_VERSION}/{phone_number_id}/messages"
        self.headers = {"Authorization": f"Bearer {access_token}"}
        self.session = session or requests.Session()
        self.timeout = timeout

    def facts(self, channel: str) -> ChannelFacts:
        """Return what WhatsApp asks: templates for messages the business starts."""
        return FACTS

    def close(self) -> None:
        """Close pooled connections."""
        self.session.close()

    def body(self, msg: Outgoing) -> dict[str, Any]:
        """Return the JSON the Graph API is sent for `msg`."""
        base = {"messaging_product": "whatsapp", "to": msg.to.removeprefix("+")}
        if not msg.content_sid:
            text = {"body": msg.body, "preview_url": False}
            return {**base, "recipient_type": "individual", "type": "text", "text": text}
        variables = msg.content_variables or {}
        parameters = [
            {"type": "text", "text": variables[k]} for k in sorted(variables, key=_position)
        ]
        template: dict[str, Any] = {
            "name": msg.content_sid,
            "language": {"code": TEMPLATE_LANGUAGE},
        }
        if parameters:
            template["components"] = [{"type": "body", "parameters": parameters}]
        return {**base, "type": "template", "template": template}

    def send(self, msg: Outgoing) -> SendResult:
        """Send one message and classify the answer; never raises for provider failures."""
        if msg.channel != Channel.WHATSAPP:
            return SendResult(
                SendOutcome.NEXT_CHANNEL, detail=f"cloud api cannot send {msg.channel}"
            )
        try:
            answer = self.session.post(
                self.url, json=self.body(msg), headers=self.headers, timeout=self.timeout
            )
        except requests.ConnectTimeout:
            return SendResult(SendOutcome.RETRY, detail="ConnectTimeout")
        except requests.ConnectionError:
            return SendResult(SendOutcome.RETRY, detail="ConnectionError")
        except requests.RequestException as exc:
            return SendResult(SendOutcome.UNKNOWN, detail=type(exc).__name__)
        data = _json(answer)
        if answer.status_code == 200:
            messages = data.get("messages") or [{}]
            message_id = messages[0].get("id") if isinstance(messages[0], dict) else None
            if not message_id:
                return SendResult(SendOutcome.UNKNOWN, detail="answer without a message id")
            return SendResult(SendOutcome.SENT, message_id, None, "accepted")
        error = data.get("error")
        code = error.get("code") if isinstance(error, dict) else None
        code = code if isinstance(code, int) else None
        outcome = classify(answer.status_code, code)
        # Meta's own message can quote the number, so only status and code go out.
        detail = f"cloud api http {answer.status_code} code {code}"
        return SendResult(outcome, None, code, detail)

    def find_sent(self, msg: Outgoing, since: datetime) -> str | None:
        """Return None: the Cloud API cannot list sent messages, so the message goes again.

        A rare second copy of a reply or alert is the lesser harm than one never sent.
        """
        return None


def _position(key: str) -> tuple[int, str]:
    """Order template variables "1", "2", ... numerically."""
    return (int(key), "") if key.isdigit() else (1 << 30, key)


def _json(answer: requests.Response) -> dict[str, Any]:
    try:
        data = answer.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
