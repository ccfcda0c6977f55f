"""SMS commands about a case: OK/TERIMA and SELESAI from staff, STATUS from the reporter.

Intake parses the message and calls `handle_command` with the command's kind, the reference
as typed and the sender's phone hash; the answer is the reply text. Whoever may not act on
or hear about a case gets the same answer as for a reference that does not exist, so the
reply tells a stranger (or someone else holding the phone) nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases import pins, references, workflow
from cases.operations import acknowledge, change_status, find_case, is_on_case, reporters_case
from core.i18n import t
from models import Account, Case, CaseStatus, Reporter

log = logging.getLogger(__name__)

COMMAND_KINDS = ("ack", "close", "status")


def handle_command(
    session: Session,
    kind: str,
    reference: str,
    sender_hash: str,
    now: datetime,
    lang: str | None = None,
    pin: str | None = None,
) -> str:
    """Carry out an SMS command about a case and return the reply text."""
    if kind == "status":
        return _status(session, reference, sender_hash, lang)
    if kind in ("ack", "close"):
        return _staff_command(session, kind, reference, sender_hash, now, lang or "id", pin)
    raise ValueError(f"unknown case command '{kind}'")


def _status(session: Session, reference: str, sender_hash: str, lang: str | None) -> str:
    """Tell a reporter the status of a case by the reference they were given; others nothing."""
    reporter = session.scalar(select(Reporter).where(Reporter.phone_hash == sender_hash))
    lang = lang or (reporter.language if reporter else None)
    case = reporters_case(session, reference, reporter.id) if reporter is not None else None
    if case is None:
        return t("case.status.unknown", lang)
    # Named by the reference they sent: a joined report's reporter never sees the case's own.
    return t(f"case.status.{case.status.value}", lang, ref=references.normalise(reference))


def _staff_command(
    session: Session,
    kind: str,
    reference: str,
    sender_hash: str,
    now: datetime,
    lang: str,
    pin: str | None = None,
) -> str:
    """Acknowledge or close a case for staff of an agency on it; anyone else changes nothing.

    A sender's number can be forged, so OK answers for the sender's own agency only, and
    SELESAI needs the account's PIN as well.
    """
    account = session.scalar(select(Account).where(Account.phone_hash == sender_hash))
    case = find_case(session, reference)
    if account is None or case is None or not is_on_case(session, case, account):
        # Logged without number or reference: the refusal itself is what an admin may need.
        log.info("case command %s refused: sender not on the case", kind)
        return t("case.cmd.neutral", lang)
    if kind == "ack":
        if acknowledge(session, case, account, now, by_sms=True):
            return t("case.ack.done", lang, ref=case.reference)
        return t("case.cmd.unchanged", lang, ref=case.reference, status=case.status.value)
    if not pins.check(account, pin):
        log.info("case command close refused: no valid PIN (account id=%s)", account.id)
        return t("case.cmd.neutral", lang)
    return _close(session, case, account, now, lang)


def _close(session: Session, case: Case, account: Account, now: datetime, lang: str) -> str:
    """Close a case by SMS where the workflow allows it, and say what happened."""
    if case.status == CaseStatus.BARU:
        return t("case.close.ack_first", lang, ref=case.reference)
    if not workflow.allowed(case.status, CaseStatus.SELESAI):
        return t("case.cmd.unchanged", lang, ref=case.reference, status=case.status.value)
    change_status(session, case, CaseStatus.SELESAI, now, account, actor_label="staff")
    return t("case.close.done", lang, ref=case.reference)
