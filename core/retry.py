"""How long to wait before trying again: every retry schedule of SIGAP, side by side."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Backoff:
    """Waits before attempt n+1 after attempt n failed; after the last wait, no more tries."""

    waits: tuple[timedelta, ...]

    @property
    def max_attempts(self) -> int:
        """Attempts after which the work is given up (dead-lettered, kept as failed)."""
        return len(self.waits) + 1

    def next_attempt_at(self, attempts: int, now: datetime) -> datetime | None:
        """When to try again after `attempts` failed tries; None once they are used up."""
        if attempts >= self.max_attempts:
            return None
        return now + self.waits[min(attempts, len(self.waits)) - 1]


#: Sending an outbound message, for a failure that may pass (an outage, a rate limit).
OUTBOX = Backoff(
    (
        timedelta(seconds=30),
        timedelta(minutes=2),
        timedelta(minutes=10),
        timedelta(minutes=30),
        timedelta(hours=2),
    )
)
#: Interpreting an inbound message again after its interpretation failed.
INBOUND = Backoff(
    (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))
)
#: Fetching a photo or voice note again after the provider failed to give it.
MEDIA = Backoff((timedelta(minutes=1), timedelta(minutes=10), timedelta(hours=1)))
