"""An outbound backend that keeps replies for the webhook's TwiML instead of sending them.

RapidSMS's blocking router calls `send` inside `receive`, so the replies of one inbound
message are all here by the time the view answers Twilio.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from rapidsms.backends.base import BackendBase

_local = threading.local()


@contextmanager
def collected_replies() -> Iterator[list[str]]:
    """Collect the text of every reply the router sends while the block runs."""
    _local.replies = replies = []
    try:
        yield replies
    finally:
        del _local.replies


class TwimlBackend(BackendBase):
    """Hand replies to the open `collected_replies` block."""

    def send(self, id_, text, identities, context=None) -> None:
        replies = getattr(_local, "replies", None)
        if replies is None:
            raise RuntimeError("a reply outside a webhook: this backend cannot push")
        replies.append(text)
