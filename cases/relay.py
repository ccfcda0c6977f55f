"""The reporter in reach, never exposed: staff write to the reporter through SIGAP.

The message goes on the channel the reporter used; staff never see the number. A reply from
that reporter, while the case is open and no dialog is, lands on the case's timeline. The
number is shown only to staff of the case's primary agency, only when the reporter agreed
to be called back and the report is not anonymous, and every showing is on the timeline.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts import notices, optout, outbox
from cases import timeline
from cases.workflow import CLOSED
from core.i18n import t
from models import (
    Account,
    AgencyRole,
    Case,
    CaseAgency,
    CaseEvent,
    CaseEventKind,
    Channel,
    InboundMessage,
    Purpose,
    Report,
    Reporter,
)

log = logging.getLogger(__name__)

#: A reporter's message counts as a reply to staff for this long after staff last wrote.
REPLY_WINDOW = timedelta(days=14)
#: Channels a reporter can be written back on.
CHANNELS = tuple(Channel)
#: What an erased number reads as.
_ERASED = timeline.REDACTED


class NotReachable(PermissionError):
    """The reporter cannot, or may not, be written to or called."""


def _reporter_of(session: Session, case: Case) -> tuple[Report, Reporter]:
    """The first report of the case that came from a phone, and its reporter."""
    found = session.execute(
        select(Report, Reporter)
        .join(Reporter, Reporter.id == Report.reporter_id)
        .where(Report.case_id == case.id, Report.source.in_(CHANNELS))
        .order_by(Report.id)
        .limit(1)
    ).first()
    if found is None or found[1].phone == _ERASED:
        raise NotReachable("No reporter of this case can be reached through SIGAP.")
    return found[0], found[1]


def send_to_reporter(
    session: Session, case: Case, text: str, actor: Account | None, now: datetime
) -> int:
    """Write a staff message to the case's reporter on their channel, from the number they
    wrote to; return the outbox id."""
    if not text.strip():
        raise ValueError("A message needs some text.")
    report, reporter = _reporter_of(session, case)
    if report.may_contact is False or reporter.may_contact is False:
        raise NotReachable("The reporter asked not to be contacted.")
    if optout.opted_out(reporter, now):
        raise NotReachable("The reporter asked for no more messages.")
    event = timeline.record(
        session, case, CaseEventKind.MESSAGE_TO_REPORTER, now, actor, "staff", text=text
    )
    session.flush()
    return outbox.enqueue(
        session,
        key=f"relay:{event.id}",
        purpose=Purpose.RELAY,
        to=reporter.phone,
        channel=report.source,
        body=t("relay.to_reporter", reporter.language, text=text.strip()),
        case_id=case.id,
        reporter_id=reporter.id,
        via=_wrote_to(session, report),
        now=now,
    )


def _wrote_to(session: Session, report: Report) -> str | None:
    """The provider (the number) the report came through, while its raw message is kept."""
    if report.inbound_message_id is None:
        return None
    query = select(InboundMessage.provider).where(InboundMessage.id == report.inbound_message_id)
    return session.scalar(query)


def reporter_reply(
    session: Session,
    reporter: Reporter,
    row: InboundMessage,
    text: str,
    now: datetime,
    tz: ZoneInfo,
    *,
    is_report: bool,
) -> str | None:
    """Put a reporter's message on their open case's timeline; None to treat it as intake.

    It lands there when staff wrote to them lately (an answer), or when it reads as no new
    report ("kapan petugas datang?"). A new report from them goes through intake, which
    joins it to the same incident's case or opens another; so does anything urgent.
    """
    open_cases = (
        select(Case)
        .join(Report, Report.case_id == Case.id)
        .where(Report.reporter_id == reporter.id, Case.status.not_in(CLOSED))
    )
    case = session.scalar(
        open_cases.join(CaseEvent, CaseEvent.case_id == Case.id)
        .where(
            CaseEvent.kind == CaseEventKind.MESSAGE_TO_REPORTER, CaseEvent.at >= now - REPLY_WINDOW
        )
        .order_by(CaseEvent.at.desc())
        .limit(1)
    )
    if case is None and not is_report:
        case = session.scalar(open_cases.order_by(Case.opened_at.desc()).limit(1))
    if case is None:
        return None
    timeline.record(
        session,
        case,
        CaseEventKind.REPORTER_REPLY,
        now,
        actor_label="reporter",
        text=text,
        message=row.id,
    )
    primary = session.scalars(
        select(CaseAgency.agency_id).where(
            CaseAgency.case_id == case.id,
            CaseAgency.is_active.is_(True),
            CaseAgency.role == AgencyRole.PRIMARY,
        )
    ).all()
    assigned = session.get(Account, case.assigned_account_id) if case.assigned_account_id else None
    people = [assigned] if assigned else notices.first_on_call(session, list(primary), now, tz)
    notices.tell(
        session,
        people,
        key=f"relay-reply:{row.id}",
        body=t("alert.relay.reply", "id", ref=case.reference),
        purpose=Purpose.NOTICE,
        now=now,
        case_id=case.id,
    )
    session.flush()
    return t("reply.relay_received", reporter.language)


def reveal_number(session: Session, case: Case, account: Account, now: datetime) -> str:
    """Show the reporter's number to staff of the primary agency, with consent; recorded."""
    primary = session.scalar(
        select(CaseAgency.id).where(
            CaseAgency.case_id == case.id,
            CaseAgency.agency_id == account.agency_id,
            CaseAgency.is_active.is_(True),
            CaseAgency.role == AgencyRole.PRIMARY,
        )
    )
    if primary is None or not account.is_active:
        raise PermissionError("Only staff of the case's primary agency may see the number.")
    report, reporter = _reporter_of(session, case)
    anonymous = session.scalar(
        select(Report.id).where(Report.case_id == case.id, Report.is_anonymous.is_(True)).limit(1)
    )
    if anonymous is not None:
        raise NotReachable("The report is anonymous: its number is never shown.")
    if report.may_contact is not True:
        raise NotReachable("The reporter did not agree to be called back.")
    timeline.record(session, case, CaseEventKind.CONTACT_REVEALED, now, account)
    session.flush()
    log.info("case id=%s: reporter's number shown to account id=%s", case.id, account.id)
    return reporter.phone
