"""From a stored message to a reply: the one entry point the webhooks and the sweeper call.

Commands first (STATUS, staff OK/SELESAI, BANTUAN, BATAL, DARURAT, LAPOR), then an open
dialog's answer, then free text: triage, and either a case at once or the fewest questions.
An emergency opens its case before any question is asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy.orm import Session, make_transient_to_detached

from cases.commands import handle_command
from cases.operations import ReportIn, file_report, relocate
from channels import InboundMessage
from core import deployment
from core.crypto import lookup_hash
from core.db import db, table_of
from core.i18n import fits_one_sms, t
from intake import dialog as dlg
from intake import safety
from intake.keywords import Command, CommandKind, language_hint, parse_command
from intake.places import Gazetteer
from intake.triage import Triage, triage
from models import Account, Case, Category, Dialog, DialogStatus, Priority, Reporter, Victim
from models import InboundMessage as InboundRow

#: Characters of a number that name its country and operator, e.g. "+62812": new senders
#: are counted per channel and such prefix by the reply cap (webhooks/limits.py).
GROUP_PREFIX_CHARS = 6
#: An unanswered dialog is closed, and what was said filed as a report, after this long.
DIALOG_TTL = timedelta(hours=4)
#: Lower is more urgent.
_CASE_COMMANDS = {
    CommandKind.STATUS: "status",
    CommandKind.TERIMA: "ack",
    CommandKind.SELESAI: "close",
}


def gazetteer() -> Gazetteer | None:
    """The deployment's places, built once per process from the region table."""
    from intake.gazetteer import current

    return current()


@dataclass(frozen=True)
class Reading:
    """What a message says, read once before the write transaction: command and triage.

    The abuse limits and the pipeline both work from it, so triage (a millisecond of CPU)
    never runs while SQLite's write lock is held, and never twice for one message.
    """

    command: Command | None
    #: Triage of the text a report would be filed from: the whole message, the LAPOR form's
    #: text, or what follows DARURAT; None for other commands and a bare LAPOR or DARURAT.
    triage: Triage | None

    @property
    def is_emergency(self) -> bool:
        """Someone is in danger now: DARURAT, or triage says so."""
        if self.command is not None and self.command.kind is CommandKind.DARURAT:
            return True
        return self.triage is not None and self.triage.priority == Priority.DARURAT

    @property
    def is_report(self) -> bool:
        """The message reports something: an emergency, a LAPOR with text, or such free text."""
        if self.is_emergency:
            return True
        if self.command is not None:
            return self.command.kind is CommandKind.LAPOR and self.triage is not None
        return self.triage is not None and self.triage.is_report


def read(text: str) -> Reading:
    """Read a message's command and triage it, with no database (before the transaction)."""
    places = gazetteer()
    command = parse_command(text, places)
    if command is None:
        return Reading(None, triage(text, places))
    if command.kind is CommandKind.LAPOR:
        if not (command.place or command.rest):
            return Reading(command, None)
        # The facilitator form names the village first; a marker lets triage read it as one.
        form = f"desa {command.place}. {command.rest}" if command.place else command.rest
        return Reading(command, triage(form, places))
    if command.kind is CommandKind.DARURAT and command.rest:
        return Reading(command, triage(command.rest, places))
    return Reading(command, None)


def sender_group(channel: str, number: str) -> str:
    """The keyed hash of a channel and a number's first digits (country and operator)."""
    return lookup_hash(f"{channel}|{number[:GROUP_PREFIX_CHARS]}")


def handle_message(
    session: Session, row: InboundRow, msg: InboundMessage, now: datetime, reading: Reading
) -> str:
    """Interpret one stored message from its reading; return the reply (flushes, never commits)."""
    reporter, is_new = _reporter(session, row, now)
    if reading.command is not None:
        # "help" is answered in English, "bantuan" in Indonesian, whatever was said before.
        reporter.language = language_hint(msg.text) or reporter.language
        return _command(session, reporter, row, reading, now)
    if _is_staff(session, row.sender_hash):
        return t("reply.staff_help", "id")
    # A reporter first seen now has no dialog and no case yet: nothing to look for.
    open_dialog = None if is_new else _open_dialog(session, reporter, now)
    if msg.media and not msg.text.strip():
        return _media_only(reporter, open_dialog)
    if open_dialog is not None:
        return _continue(session, open_dialog, row, msg.text, now)
    if not is_new:
        # Without a command the reading is the triage of the whole text: not read again.
        answer = safety.reply_to_case(session, reporter, row, msg.text, now, reading.triage)
        if answer is not None:
            return answer
    return _start(session, reporter, row, reading.triage or Triage(), msg.text, now)


# The reads every message makes, built once.
_REPORTER = select(Reporter).where(Reporter.phone_hash == bindparam("phone_hash"))
_ACCOUNTS = table_of(Account)
_STAFF = select(_ACCOUNTS.c.id).where(
    _ACCOUNTS.c.phone_hash == bindparam("phone_hash"), _ACCOUNTS.c.is_active
)
_OPEN_DIALOG = (
    select(Dialog)
    .where(Dialog.reporter_id == bindparam("reporter_id"), Dialog.status == DialogStatus.OPEN)
    .where(Dialog.expires_at > bindparam("now"))
    .order_by(Dialog.id.desc())
    .limit(1)
)


def _reporter(session: Session, row: InboundRow, now: datetime) -> tuple[Reporter, bool]:
    """The reporter behind a number, created on their first message; and whether it was."""
    reporter = session.scalar(_REPORTER, {"phone_hash": row.sender_hash})
    is_new = reporter is None
    if reporter is None:
        reporter = _new_reporter(session, row, now)
    row.reporter_id = reporter.id
    return reporter, is_new


_REPORTERS = table_of(Reporter)
_INSERT_REPORTER = insert(_REPORTERS).returning(_REPORTERS.c.id)


def _new_reporter(session: Session, row: InboundRow, now: datetime) -> Reporter:
    """Write a reporter with one INSERT (no flush) and give it back as a loaded, clean row."""
    values: dict[str, Any] = {
        "phone_hash": row.sender_hash,
        "phone": row.sender,
        "language": "id",
        "may_contact": None,
        "is_opted_out": False,
        "opted_out_at": None,
        "created_at": now,
        "sender_group": sender_group(row.channel, row.sender),
    }
    reporter_id = session.execute(_INSERT_REPORTER, values).scalar_one()
    reporter = Reporter(id=reporter_id, **values)
    make_transient_to_detached(reporter)  # every column set: nothing left to load
    # Merged, not added: a reporter of a rolled-back transaction may still sit in the
    # session under the same id (SQLite gives it again); merging takes its place.
    return session.merge(reporter, load=False)


def _is_staff(session: Session, sender_hash: str) -> bool:
    return session.scalar(_STAFF, {"phone_hash": sender_hash}) is not None


def _command(
    session: Session, reporter: Reporter, row: InboundRow, reading: Reading, now: datetime
) -> str:
    """Answer a command word."""
    cmd = reading.command
    assert cmd is not None
    if (answer := safety.handle(session, reporter, row, cmd, now)) is not None:
        return answer
    lang = reporter.language
    if cmd.kind in _CASE_COMMANDS:
        if cmd.ref is None:
            return t("reply.status_how", lang)
        return handle_command(
            session, _CASE_COMMANDS[cmd.kind], cmd.ref, row.sender_hash, now, lang, cmd.rest or None
        )
    if cmd.kind is CommandKind.BANTUAN:
        return t("reply.help", lang)
    if cmd.kind is CommandKind.BATAL:
        return _cancel(session, reporter, now)
    if cmd.kind is CommandKind.DARURAT:
        return _emergency(session, reporter, row, cmd.rest, reading.triage, now)
    return _lapor(session, reporter, row, cmd, reading.triage, now)


def _lapor(
    session: Session,
    reporter: Reporter,
    row: InboundRow,
    cmd: Command,
    result: Triage | None,
    now: datetime,
) -> str:
    """LAPOR alone asks for the story; with text (or the facilitator form) it is a report."""
    text = " ".join(part for part in (cmd.place, cmd.rest) if part)
    if not text or result is None:
        return t("reply.lapor_prompt", reporter.language)
    state = dlg.plan(result, text, gazetteer())
    if cmd.category is not None:
        state.category = str(cmd.category)
        if dlg.STORY in state.pending:
            state.pending.remove(dlg.STORY)  # the form named the harm
    return _proceed(session, reporter, row, state, now)


def _emergency(
    session: Session,
    reporter: Reporter,
    row: InboundRow,
    rest: str,
    result: Triage | None,
    now: datetime,
) -> str:
    """DARURAT: someone is in danger now; open the case before asking anything."""
    state = (
        dlg.plan(result, rest, gazetteer())
        if result is not None and rest
        else dlg.DialogState(
            text="",
            category=Category.LAINNYA,
            victim=Victim.TIDAK_DIKETAHUI,
            priority=Priority.DARURAT,
            language=reporter.language,
            pending=[dlg.PLACE, dlg.CONTACT],
        )
    )
    state.priority = Priority.DARURAT
    if dlg.DANGER in state.pending:
        state.pending.remove(dlg.DANGER)
    known = (rest, result) if result is not None and rest else None
    return _proceed(session, reporter, row, state, now, known=known)


def _start(
    session: Session, reporter: Reporter, row: InboundRow, result: Triage, text: str, now: datetime
) -> str:
    """Free text with no dialog open."""
    reporter.language = result.language
    if not result.is_report:
        # A greeting or a thank-you says too little for triage to tell its language.
        reporter.language = language_hint(text) or result.language
        return t("reply.info", reporter.language)
    state = dlg.plan(result, text, gazetteer())
    return _proceed(session, reporter, row, state, now, known=(text, result))


def _proceed(
    session: Session,
    reporter: Reporter,
    row: InboundRow,
    state: dlg.DialogState,
    now: datetime,
    dialog: Dialog | None = None,
    known: tuple[str, Triage] | None = None,
) -> str:
    """Open the case when it is time, then ask the next question or confirm the reference.

    `known`: a text and its triage, read before the transaction (not read again to file it).
    """
    opened_now = None
    if state.priority == Priority.DARURAT and state.case_id is None:
        opened_now = _file(session, reporter, row, state, dialog, now, known)
    question = dlg.next_question(state)
    if question is None:
        if opened_now is None and _case(session, state) is None:
            _file(session, reporter, row, state, dialog, now, known)
        if dialog is not None:
            dialog.status, dialog.state, dialog.updated_at = DialogStatus.DONE, state.to_json(), now
        return _opened_reply(state, reporter.language)
    if dialog is None:
        # A new dialog is written at once, with one INSERT: nothing in this message reads it.
        values = {
            "reporter_id": reporter.id,
            "inbound_message_id": row.id,
            "status": DialogStatus.OPEN,
            "state": state.to_json(),
            "created_at": now,
            "updated_at": now,
            "expires_at": now + DIALOG_TTL,
        }
        session.execute(_INSERT_DIALOG, values)
    else:
        dialog.state, dialog.updated_at = state.to_json(), now
        dialog.expires_at = now + DIALOG_TTL
    if opened_now is None:
        return _question_text(state, reporter.language)
    opened = t("reply.opened_brief", reporter.language, ref=state.reference)
    return _question_text(state, reporter.language, before=opened)


_INSERT_DIALOG = insert(table_of(Dialog))


def _file(
    session: Session,
    reporter: Reporter,
    row: InboundRow,
    state: dlg.DialogState,
    dialog: Dialog | None,
    now: datetime,
    known: tuple[str, Triage] | None = None,
) -> Case:
    """File what is known as a report: a new case, or joined to its incident's case."""
    if known is not None and known[0] == state.text:
        reasons = known[1].reasons  # the message's own reading: no second one
    else:
        reasons = triage(state.text, gazetteer()).reasons
    item = ReportIn(
        source=row.channel,
        text=state.text,
        category=state.category,
        victim=state.victim,
        priority=state.priority,
        region_code=state.region_code,
        reporter_id=reporter.id,
        inbound_message_id=dialog.inbound_message_id if dialog else row.id,
        may_contact=state.may_contact,
        reasons=reasons,
    )
    filed = file_report(session, item, now, deployment.current())
    state.case_id, state.reference = filed.case.id, filed.reference
    return filed.case


def file_dialog(
    session: Session,
    reporter: Reporter,
    first: InboundRow,
    state: dlg.DialogState,
    dialog: Dialog,
    now: datetime,
) -> Case:
    """The case of a dialog: the one already opened, or one filed from what was said."""
    return _case(session, state) or _file(session, reporter, first, state, dialog, now)


def _case(session: Session, state: dlg.DialogState) -> Case | None:
    case = session.get(Case, state.case_id) if state.case_id else None
    if case is not None and state.reference is None:
        state.reference = case.reference  # a dialog saved before references were kept
    return case


def _opened_reply(state: dlg.DialogState, lang: str) -> str:
    key = "reply.opened_urgent" if state.priority == Priority.DARURAT else "reply.opened"
    return t(key, lang, ref=state.reference)


def _question_text(state: dlg.DialogState, lang: str, before: str = "") -> str:
    """The question being asked, after `before`, in the reporter's language, in one SMS.

    A list of districts is shortened to fit: first without regencies, then by its last
    choices (the numbers still point at the first ones, and a district's name is taken too).
    """
    lead = f"{before} " if before else ""
    if not (state.asked == dlg.PLACE and state.candidates):
        return lead + t(f"q.{state.asked}", lang)
    places = dlg.choices(state, gazetteer())
    tries = [(len(places), True)] + [(n, False) for n in range(len(places), 0, -1)]
    text = ""
    for count, with_regency in tries:
        labels = dlg.choice_labels(places[:count], with_regency)
        listed = ", ".join(f"{i} {label}" for i, label in enumerate(labels, start=1))
        text = lead + t("q.place_choice", lang, options=listed)
        if fits_one_sms(text):
            return text
    return text  # one choice that still does not fit: two segments rather than none


def answers_question(dialog: Dialog, text: str) -> bool:
    """Return whether a text answers the question a dialog is waiting on (tried on a copy)."""
    state = dlg.DialogState.from_json(dialog.state)
    if state.asked == dlg.PLACE:
        answer = dlg.answer_place(state, text, gazetteer())
        return answer in (dlg.Answer.SETTLED, dlg.Answer.NARROWED)
    if state.asked in (dlg.DANGER, dlg.CONTACT):
        return dlg.yes_no(text) is not None
    if state.asked == dlg.STORY:
        return triage(text, gazetteer()).is_report
    return False


def _media_only(reporter: Reporter, dialog: Dialog | None) -> str:
    """A photo or voice note without words (kept by the worker): ask for the story and the
    place, or ask the open dialog's question again without counting it as a wrong answer."""
    if dialog is None:
        return t("reply.lapor_prompt", reporter.language)
    return _question_text(dlg.DialogState.from_json(dialog.state), reporter.language)


def _open_dialog(session: Session, reporter: Reporter, now: datetime) -> Dialog | None:
    return session.scalar(_OPEN_DIALOG, {"reporter_id": reporter.id, "now": now})


def _continue(session: Session, dialog: Dialog, row: InboundRow, text: str, now: datetime) -> str:
    """Take a reply to the question asked; ask again once if it answers nothing."""
    row.dialog_id = dialog.id  # erasure of the dialog's case reaches this message too
    reporter = session.get_one(Reporter, dialog.reporter_id)
    state = dlg.DialogState.from_json(dialog.state)
    answer = _answer(session, reporter, state, text, now)
    if answer is dlg.Answer.SETTLED:
        return _proceed(session, reporter, row, state, now, dialog)
    if answer is not dlg.Answer.UNCLEAR:
        # A village name several districts share, or a number not on the list: offer the
        # choices (again). Not counted as a retry: the reporter is answering.
        dialog.state, dialog.updated_at = state.to_json(), now
        sorry = t("q.unclear", reporter.language) if answer is dlg.Answer.NOT_OFFERED else ""
        return _question_text(state, reporter.language, before=sorry)
    _more_details(state, text)
    state.retries += 1
    if state.retries > dlg.MAX_RETRIES:
        return _proceed(session, reporter, row, state, now, dialog)
    dialog.state, dialog.updated_at = state.to_json(), now
    if state.priority == Priority.DARURAT and state.case_id is None:
        # What they added says someone is in danger now: do not wait for answers.
        if state.asked is not None:
            state.pending.insert(0, state.asked)
        return _proceed(session, reporter, row, state, now, dialog)
    return _question_text(state, reporter.language, before=t("q.unclear", reporter.language))


def _answer(
    session: Session, reporter: Reporter, state: dlg.DialogState, text: str, now: datetime
) -> dlg.Answer:
    """Apply an answer to the question asked; return what it did."""
    if state.asked == dlg.PLACE:
        before = state.region_code
        answer = dlg.answer_place(state, text, gazetteer())
        moved_to = state.region_code if state.region_code != before else None
        settled = answer is dlg.Answer.SETTLED and state.case_id
        if settled and moved_to and (case := _case(session, state)) is not None:
            relocate(session, case, moved_to, now)
        return answer
    if state.asked == dlg.STORY:
        return _story(state, text)
    value = dlg.yes_no(text)
    if value is None:
        return dlg.Answer.UNCLEAR
    if state.asked == dlg.DANGER and value:
        state.priority = Priority.DARURAT
    if state.asked == dlg.CONTACT:
        state.may_contact = reporter.may_contact = value
        _may_contact_on_reports(session, state, value)
    return dlg.Answer.SETTLED


def _story(state: dlg.DialogState, text: str) -> dlg.Answer:
    """Take what happened, asked after a message that named only a place; triage it all."""
    if not dlg.has_words(text):
        return dlg.Answer.UNCLEAR
    _more_details(state, text)
    result = triage(state.text, gazetteer())
    if Priority(result.priority).outranks(state.priority):
        state.priority = str(result.priority)
    if (result.danger_known or state.priority == Priority.DARURAT) and dlg.DANGER in state.pending:
        state.pending.remove(dlg.DANGER)
    return dlg.Answer.SETTLED


def _may_contact_on_reports(session: Session, state: dlg.DialogState, value: bool) -> None:
    """Record the reporter's word on being contacted, on the report already filed too."""
    case = _case(session, state)
    if case is not None:
        for report in case.reports:
            if report.reporter_id is not None and report.may_contact is None:
                report.may_contact = value


def _more_details(state: dlg.DialogState, text: str) -> None:
    """A reply that is no answer is more of the story: add it and triage again."""
    state.text = f"{state.text}\n{text}".strip()
    result = triage(state.text, gazetteer())
    if result.priority == Priority.DARURAT:
        state.priority = Priority.DARURAT
    if state.category == Category.LAINNYA:
        state.category, state.victim = str(result.category), str(result.victim)
    if state.region_code is None and result.location is not None:
        state.region_code = result.location.code


def _cancel(session: Session, reporter: Reporter, now: datetime) -> str:
    """BATAL: stop the questions; an emergency already reported stays with the officers."""
    dialog = _open_dialog(session, reporter, now)
    if dialog is None:
        return t("reply.nothing_to_cancel", reporter.language)
    state = dlg.DialogState.from_json(dialog.state)
    dialog.status, dialog.updated_at = DialogStatus.CANCELLED, now
    case = _case(session, state)
    if case is not None:
        return t("reply.cancelled_kept", reporter.language, ref=state.reference)
    return t("reply.cancelled", reporter.language)


def warm_up() -> None:
    """Build the triage rules and the gazetteer now, before any request holds a write lock.

    Both take a second or more the first time; built inside a webhook's transaction they
    would hold every other writer up that long (a restarted worker stalled intake).
    """
    places = gazetteer()
    triage("tolong", places)
    db.remove()
