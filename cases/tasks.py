"""Follow-up tasks: something an agency must do on a case by a date, reminded when due."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts import notices
from alerts.messages import SMS_SEGMENT, STAFF_LANG, local_time, sms_units
from cases import timeline
from core.db import due_rows
from core.i18n import t
from models import Account, Agency, Case, CaseEventKind, FollowUpTask, Purpose

#: The digest lists open tasks due before this much after it goes out (and overdue ones).
DIGEST_AHEAD = timedelta(days=1)


def add_task(
    session: Session,
    case: Case,
    agency: Agency,
    title: str,
    due_at: datetime,
    actor: Account | None,
    now: datetime,
) -> FollowUpTask:
    """Give an agency a task on a case, due at a time."""
    if not title.strip():
        raise ValueError("A task needs a title.")
    task = FollowUpTask(
        case_id=case.id,
        agency_id=agency.id,
        title=title.strip(),
        due_at=due_at,
        created_by_account_id=actor.id if actor else None,
        created_at=now,
    )
    session.add(task)
    session.flush()
    timeline.record(
        session,
        case,
        CaseEventKind.TASK_ADDED,
        now,
        actor,
        "staff",
        task=task.id,
        agency=agency.code,
        due_at=due_at.isoformat(),
        text=task.title,
    )
    session.flush()
    return task


def complete(
    session: Session, case: Case, task: FollowUpTask, actor: Account | None, now: datetime
) -> bool:
    """Mark a task done; False if it was done before."""
    if task.done_at is not None:
        return False
    task.done_at, task.done_by_account_id = now, actor.id if actor else None
    timeline.record(session, case, CaseEventKind.TASK_DONE, now, actor, "staff", task=task.id)
    session.flush()
    return True


def remind_due(session: Session, now: datetime, tz: ZoneInfo) -> int:
    """Tell each due task's agency once, by its on-call officer; return tasks reminded."""
    due = due_rows(
        session,
        select(FollowUpTask)
        .where(FollowUpTask.reminded_at.is_(None), FollowUpTask.due_at <= now)
        .where(FollowUpTask.done_at.is_(None)),
        FollowUpTask.due_at,
        limit=500,
    )
    for task in due:
        task.reminded_at = now
        case = session.get(Case, task.case_id)
        assert case is not None
        body = t("alert.task.due", STAFF_LANG, ref=case.reference, due=local_time(task.due_at, tz))
        people = notices.first_on_call(session, [task.agency_id], now, tz)
        notices.tell(
            session,
            people,
            key=f"task:{task.id}:due",
            body=body,
            purpose=Purpose.NOTICE,
            now=now,
            case_id=case.id,
        )
        timeline.record(
            session, case, CaseEventKind.TASK_REMINDED, now, actor_label="scheduler", task=task.id
        )
    session.flush()
    return len(due)


def send_digests(session: Session, now: datetime, tz: ZoneInfo) -> int:
    """Write each agency a list of its open tasks due soon or overdue; return digests written."""
    rows = session.execute(
        select(FollowUpTask, Case.reference)
        .join(Case, Case.id == FollowUpTask.case_id)
        .where(FollowUpTask.done_at.is_(None), FollowUpTask.due_at <= now + DIGEST_AHEAD)
        .order_by(FollowUpTask.agency_id, FollowUpTask.due_at)
    ).all()
    by_agency: dict[int, list[tuple[FollowUpTask, str]]] = defaultdict(list)
    for task, reference in rows:
        by_agency[task.agency_id].append((task, reference))
    slot = now.astimezone(tz).strftime("%Y%m%d%H%M")
    for agency_id, tasks in by_agency.items():
        people = notices.first_on_call(session, [agency_id], now, tz)
        notices.tell(
            session,
            people,
            key=f"task-digest:{agency_id}:{slot}",
            body=digest_text(tasks, now, tz),
            purpose=Purpose.DIGEST,
            now=now,
        )
    session.flush()
    return len(by_agency)


def digest_text(tasks: list[tuple[FollowUpTask, str]], now: datetime, tz: ZoneInfo) -> str:
    """The count, then each task's reference and due day while they fit one segment."""
    head = t(
        "alert.task.digest",
        STAFF_LANG,
        time=now.astimezone(tz).strftime("%H:%M %Z"),
        count=len(tasks),
    )
    text = head
    for task, reference in tasks:
        longer = f"{text} {reference} {task.due_at.astimezone(tz).strftime('%d/%m %H:%M')};"
        if sms_units(longer) > SMS_SEGMENT:
            break
        text = longer
    return text.rstrip(";")


def shaped(task: FollowUpTask, agency_code: str, readable: bool) -> dict[str, Any]:
    """A task as the API shows it."""
    return {
        "id": task.id,
        "agency": agency_code,
        "title": task.title if readable else None,
        "due_at": task.due_at,
        "created_at": task.created_at,
        "reminded_at": task.reminded_at,
        "done_at": task.done_at,
    }
