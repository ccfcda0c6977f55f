"""The append-only timeline of a case: every event, who caused it, when, and why."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from models import Account, Case, CaseEvent

#: Event kinds this package writes; alerts may add its own (e.g. "alerted").
KINDS = (
    "opened",
    "report_joined",
    "routed",
    "unrouted",
    "acknowledged",
    "status",
    "note",
    "referred",
    "read",
    "split",
    "priority_raised",
)


class TimelineIsAppendOnly(RuntimeError):
    """Raised on any attempt to change or remove a timeline event."""


def record(
    session: Session,
    case: Case,
    kind: str,
    now: datetime,
    actor: Account | None = None,
    actor_label: str = "system",
    **detail: Any,
) -> CaseEvent:
    """Append one event to a case's timeline."""
    entry = CaseEvent(
        case=case,
        kind=kind,
        at=now,
        actor_account_id=actor.id if actor else None,
        actor=actor.role.value if actor else actor_label,
        detail=json.dumps(detail, sort_keys=True, ensure_ascii=False) if detail else None,
    )
    session.add(entry)
    return entry


def details(entry: CaseEvent) -> dict[str, Any]:
    """Return an event's details as a dict."""
    return json.loads(entry.detail) if entry.detail else {}


@event.listens_for(CaseEvent, "before_update")
def _refuse_update(_mapper: Any, _conn: Any, target: CaseEvent) -> None:
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
