"""Numbers that asked for no more messages (STOP, HAPUS, or the provider's own opt-out).

The outbox asks here when a message's turn comes, not only when it is written: a reply or a
staff message queued before the number opted out must not leave after it. The one message
an opted-out number still gets is the answer to the message that opted it out, written in
the same moment.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Outbox, Reporter


def opted_out(reporter: Reporter | None, written_at: datetime) -> bool:
    """Say whether a message to this reporter written at `written_at` must not be sent."""
    if reporter is None or not reporter.is_opted_out:
        return False
    # No time known (the provider told us): nothing goes; else only what came with the word.
    return reporter.opted_out_at is None or written_at > reporter.opted_out_at


def refused(session: Session, rows: Iterable[Outbox]) -> set[int]:
    """Return the ids of the rows, among messages to reporters, that must not be sent."""
    to_people = [r for r in rows if r.account_id is None]
    if not to_people:
        return set()
    found = session.execute(
        select(Reporter.phone_hash, Reporter.opted_out_at).where(
            Reporter.phone_hash.in_({r.to_hash for r in to_people}), Reporter.is_opted_out
        )
    ).all()
    since: dict[str, datetime | None] = {phone_hash: at for phone_hash, at in found}
    return {
        r.id
        for r in to_people
        if r.to_hash in since and ((at := since[r.to_hash]) is None or r.created_at > at)
    }
