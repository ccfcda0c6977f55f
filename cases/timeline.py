"""The append-only timeline of a case: every event, who caused it, when, and why."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import ORMExecuteState, Session

from core.db import table_of
from models import Account, Case, CaseEvent, CaseEventKind

#: Detail keys that hold what people wrote (notes, reasons): the only values erasure blanks.
FREE_TEXT = frozenset({"text", "reason"})
#: What erased free text reads as.
REDACTED = "[dihapus]"


class TimelineIsAppendOnly(RuntimeError):
    """Raised on any attempt to change or remove a timeline event."""


#: Events recorded inside `together`, not yet written.
_pending: ContextVar[list[dict[str, Any]] | None] = ContextVar("timeline_pending", default=None)
_INSERT = insert(table_of(CaseEvent))


@contextmanager
def together(session: Session) -> Iterator[None]:
    """Write the events recorded in the block in one statement (an executemany), in order.

    For a path that records several events of a case it has flushed and reads none back
    (filing a case): the unit of work would write each with its own INSERT and ask its id.
    `write_pending` writes what is recorded so far, before anything that must follow it.
    """
    rows: list[dict[str, Any]] = []
    token = _pending.set(rows)
    try:
        yield
    finally:
        _pending.reset(token)
    if rows:
        session.connection().execute(_INSERT, rows)


def write_pending(session: Session) -> None:
    """Write the events `together` holds so far (nothing outside it)."""
    rows = _pending.get()
    if rows:
        session.connection().execute(_INSERT, list(rows))
        rows.clear()


def record(
    session: Session,
    case: Case,
    kind: CaseEventKind,
    now: datetime,
    actor: Account | None = None,
    actor_label: str = "system",
    **detail: Any,
) -> CaseEvent:
    """Append one event to a case's timeline."""
    values = {
        "kind": kind,
        "at": now,
        "actor_account_id": actor.id if actor else None,
        "actor": actor.role.value if actor else actor_label,
        "detail": json.dumps(detail, sort_keys=True, ensure_ascii=False) if detail else None,
    }
    pending = _pending.get()
    if pending is not None and case.id is not None:
        pending.append({"case_id": case.id, **values})
        return CaseEvent(case_id=case.id, **values)  # not the session's: written by `together`
    entry = CaseEvent(case=case, **values)
    session.add(entry)
    return entry


def details(entry: CaseEvent) -> dict[str, Any]:
    """Return an event's details as a dict."""
    return json.loads(entry.detail) if entry.detail else {}


def _dump(detail: dict[str, Any]) -> str:
    return json.dumps(detail, sort_keys=True, ensure_ascii=False)


def _redacted(detail: str | None) -> str | None:
    """Return details with every free-text value replaced by REDACTED, all else as it was."""
    data = json.loads(detail) if detail else None
    if not isinstance(data, dict) or all(data.get(k) in (None, REDACTED) for k in FREE_TEXT):
        return detail
    return _dump({k: REDACTED if k in FREE_TEXT and v is not None else v for k, v in data.items()})


def redact(entry: CaseEvent) -> bool:
    """Blank the free text of one event (erasure); return whether there was any to blank.

    The one change the timeline admits: what happened, when and by whom stays, only what
    someone wrote goes. The guard below checks the change itself, not who asked for it.
    """
    blanked = _redacted(entry.detail)
    if blanked == entry.detail:
        return False
    entry.detail = blanked
    return True


def _is_redaction(target: CaseEvent) -> bool:
    """Say whether an event's pending change only blanks its free text."""
    state = inspect(target)
    if any(a.key != "detail" and a.history.has_changes() for a in state.attrs):
        return False
    history = state.attrs.detail.history
    if len(history.deleted) != 1 or len(history.added) != 1:
        return False
    old, new = history.deleted[0], history.added[0]
    return old is not None and new == _redacted(old) != old


@event.listens_for(CaseEvent, "before_update")
def _refuse_update(_mapper: Any, _conn: Any, target: CaseEvent) -> None:
    if not _is_redaction(target):
        raise TimelineIsAppendOnly(f"case event {target.id} cannot be changed")


@event.listens_for(CaseEvent, "before_delete")
def _refuse_delete(_mapper: Any, _conn: Any, target: CaseEvent) -> None:
    raise TimelineIsAppendOnly(f"case event {target.id} cannot be deleted")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk(state: ORMExecuteState) -> None:
    # update()/delete() statements skip the mapper events above, so they are checked here.
    mapper = state.bind_mapper
    if (state.is_update or state.is_delete) and mapper is not None and mapper.class_ is CaseEvent:
        raise TimelineIsAppendOnly("case events cannot be changed or deleted in bulk")
