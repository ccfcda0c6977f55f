"""The one source of "now", so that tests move time instead of sleeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_frozen: datetime | None = None


def now() -> datetime:
    """Return the current time, timezone-aware in UTC."""
    return _frozen if _frozen is not None else datetime.now(UTC)


def freeze(at: datetime) -> None:
    """Stop the clock at a moment (tests and `jobs run-due --now`)."""
    global _frozen
    if at.tzinfo is None:
        raise ValueError("clock.freeze needs a timezone-aware datetime")
    _frozen = at.astimezone(UTC)


def advance(delta: timedelta) -> datetime:
    """Move a frozen clock forward and return the new now."""
    if _frozen is None:
        raise RuntimeError("clock.advance needs a frozen clock")
    freeze(_frozen + delta)
    return now()


def unfreeze() -> None:
    """Let the clock follow real time again."""
    global _frozen
    _frozen = None
