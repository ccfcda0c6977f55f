"""A provider that prints messages instead of sending them, for machines without Twilio."""

from __future__ import annotations

import sys
import uuid
from datetime import datetime
from typing import TextIO

from channels.base import Outgoing, SendOutcome, SendResult
from channels.phone import mask_phone


class ConsoleProvider:
    """Print one line per message, with the recipient masked, and call it sent."""

    name = "console"

    def __init__(self, stream: TextIO | None = None) -> None:
        # Resolved at send time by default so that pytest's capture and redirects apply.
        self._stream = stream

    def send(self, msg: Outgoing) -> SendResult:
        """Print the message on one line and return `sent` with a fake id."""
        message_id = f"CONSOLE-{uuid.uuid4()}"
        if msg.content_sid:
            content = f"template {msg.content_sid} {msg.content_variables or {}}"
        else:
            content = msg.body
        # One line per message: newlines in the text would break log readers.
        flat = " ".join(content.split())
        stream = self._stream or sys.stdout
        print(f"[{msg.channel} -> {mask_phone(msg.to)}] {message_id} {flat}", file=stream)
        stream.flush()
        return SendResult(SendOutcome.SENT, message_id, None, "printed")

    def find_sent(self, msg: Outgoing, since: datetime) -> str | None:
        """Return None: nothing printed can be looked up again."""
        return None
