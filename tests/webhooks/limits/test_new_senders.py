"""Many fake senders: all stored and interpreted, but replies to new senders are capped."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core import clock
from core.crypto import lookup_hash
from core.db import db
from core.i18n import t
from models import Account, Case, InboundMessage, InboundStatus, Outbox, Purpose, Role
from tests.signing import Phone
from tests.webhooks.limits.conftest import CHATTER, DANGER
from webhooks.limits import short

FAKES = 250
CAP = 50


def _fake(i: int) -> str:
    return f"+62808{55000000 + i:08d}"


def _count(query) -> int:
    return db.session.scalar(select(func.count()).select_from(query.subquery()))


@pytest.mark.slow
def test_many_fake_senders_cost_at_most_the_cap_in_replies(limited_poster, caplog):
    caplog.set_level(logging.DEBUG)
    poster = limited_poster(SIGAP_NEW_SENDER_REPLIES_PER_HOUR=CAP)
    replies = []
    for i in range(FAKES):
        replies.append(Phone(poster, _fake(i)).say(CHATTER))
        clock.advance(timedelta(seconds=10))  # 42 minutes: all in one clock hour

    assert _count(select(InboundMessage)) == FAKES  # all stored
    processed = select(InboundMessage).where(InboundMessage.status == InboundStatus.PROCESSED)
    assert _count(processed) == FAKES  # and all interpreted
    assert replies[:CAP] == [t("reply.info")] * CAP
    assert replies[CAP:] == [""] * (FAKES - CAP)
    # Replies go out through the outbox: one for each sender answered, none for the others.
    assert _count(select(Outbox).where(Outbox.purpose == Purpose.REPLY)) == CAP
    admins = select(Account).where(Account.role.in_((Role.ADMIN, Role.COORDINATOR)))
    told = select(Outbox).where(Outbox.purpose == Purpose.ADMIN)
    assert _count(told) == _count(admins) == 1  # once, however many went unanswered

    shown = poster.client.application.test_cli_runner().invoke(args=["limits", "show"])
    assert f"New senders this hour: {FAKES} (1 channel and prefix groups" in shown.output
    logged = caplog.text + shown.output
    for i in (0, CAP, FAKES - 1):
        assert _fake(i)[3:] not in logged


def test_an_emergency_from_a_new_sender_past_the_cap_opens_a_case_and_is_answered(
    limited_poster,
):
    poster = limited_poster(SIGAP_NEW_SENDER_REPLIES_PER_HOUR=1)
    assert Phone(poster, _fake(1)).say(CHATTER) == t("reply.info")
    assert Phone(poster, _fake(2)).say(CHATTER) == ""
    reply = Phone(poster, _fake(3)).say(DANGER)
    case = db.session.scalar(select(Case))
    assert case is not None
    assert case.priority == "darurat"
    assert case.reference in reply


def test_the_cap_starts_again_each_hour(limited_poster):
    poster = limited_poster(SIGAP_NEW_SENDER_REPLIES_PER_HOUR=1)
    assert Phone(poster, _fake(1)).say(CHATTER) == t("reply.info")
    assert Phone(poster, _fake(2)).say(CHATTER) == ""
    clock.advance(timedelta(hours=1))
    assert Phone(poster, _fake(3)).say(CHATTER) == t("reply.info")


def test_limits_show_lists_held_senders_by_hash_prefix_only(limited_poster, caplog):
    caplog.set_level(logging.DEBUG)
    poster = limited_poster(SIGAP_SENDER_LIMIT_PER_HOUR=2, SIGAP_SENDER_LIMIT_PER_DAY=10)
    number = "+6280812349999"
    phone = Phone(poster, number)
    for _ in range(5):
        phone.say(CHATTER)

    result = poster.client.application.test_cli_runner().invoke(args=["limits", "show"])
    assert result.exit_code == 0, result.output
    assert "Limits: 2 messages a sender an hour, 10 in 24 hours" in result.output
    assert "Held messages: 3." in result.output
    line = next(x for x in result.output.splitlines() if x.startswith(short(lookup_hash(number))))
    assert line.split()[1:5] == ["3", "5", "5", "held"]
    for text in (result.output, caplog.text):
        assert number not in text
        assert number[3:] not in text


def test_throwaway_numbers_of_one_prefix_leave_other_prefixes_and_reports_answered(
    limited_poster,
):
    """A few hundred numbers of one block use up that block's replies, not everyone's."""
    poster = limited_poster(SIGAP_NEW_SENDER_REPLIES_PER_HOUR=3)
    for i in range(5):
        Phone(poster, _fake(i)).say(CHATTER)
    assert Phone(poster, _fake(10)).say(CHATTER) == ""  # this block's cap is used up
    # A first-time reporter from another operator's prefix is still answered...
    assert Phone(poster, "+447700900123").say(CHATTER) == t("reply.info")
    # ...and so is the same block over WhatsApp, a channel of its own.
    assert Phone(poster, _fake(11), route="whatsapp").say(CHATTER) == t("reply.info")
    # A first message that reads as a report is answered even in the spent block.
    report = "suami saya memukul saya kemarin malam di desa Sidera"
    assert Phone(poster, _fake(12)).say(report) != ""
