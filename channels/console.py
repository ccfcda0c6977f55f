"""A provider that prints what would be sent instead of sending it, for development."""

from __future__ import annotations

import sys
import uuid
from datetime import datetime
from typing import TextIO

from channels.base import Outgoing, SendOutcome, SendResult

#: Digits of the recipient's number a console line may show: enough to tell two test
#: phones apart, too few to find a person.
SHOWN_DIGITS = 2


def console_recipient(number: str) -> str:
    """Return a number reduced to its last two digits (`…01`)."""
    digits = [c for c in number if c.isdigit()]
    return "…" + "".join(digits[-SHOWN_DIGITS:])


class ConsoleProvider:
    """Print one line per message (ids and purpose, never the text) and call it sent.

    The console is often a terminal others can see or a log kept for months, so it shows
    what a message is, never what it says or whole numbers: the outbox keeps the rest.
    """

    name = "console"

    def __init__(self, stream: TextIO | None = None) -> None:
        # Resolved at send time by default so that pytest's capture and redirects apply.
        self._stream = stream

    def send(self, msg: Outgoing) -> SendResult:
        """Print one line about the message and return `sent` with a fake id."""
        message_id = f"CONSOLE-{uuid.uuid4()}"
        what = msg.label or "message"
        if msg.content_sid:
            what += f" template {msg.content_sid}"
        stream = self._stream or sys.stdout
        print(f"[{msg.channel} -> {console_recipient(msg.to)}] {message_id} {what}", file=stream)
        stream.flush()
        return SendResult(SendOutcome.SENT, message_id, None, "printed")

    def find_sent(self, msg: Outgoing, since: datetime) -> str | None:
        """Return None: nothing printed can be looked up again."""
        return None
