"""One sender flooding the number: everything stored, little interpreted, emergencies through."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core import clock
from core.config import ConfigError
from core.db import db
from core.i18n import t
from models import Case, InboundStatus, Outbox, Purpose
from tests.signing import Phone, reply_to, run_worker
from tests.webhooks.limits.conftest import CHATTER, DANGER, rows_of
from webhooks import limits
from webhooks.limits_admin import release_limited

PROCESSED, LIMITED = InboundStatus.PROCESSED, InboundStatus.LIMITED
FLOODER = "+6280812340001"


def _flood(phone: Phone, count: int, special: dict[int, str] | None = None) -> list[str]:
    """Send `count` messages 15 seconds apart (all in one clock hour); return the replies."""
    replies = []
    for i in range(count):
        replies.append(phone.say((special or {}).get(i, CHATTER)))
        clock.advance(timedelta(seconds=15))
    return replies


def _reference_in(reply: str) -> str | None:
    refs = set(db.session.scalars(select(Case.reference)))
    return next((w for w in re.findall(r"[0-9A-Z]{6}", reply) if w in refs), None)


@pytest.mark.usefixtures("seeded")
def test_a_flood_of_200_is_stored_whole_and_only_emergencies_pass_the_limit(poster, caplog):
    caplog.set_level(logging.DEBUG)
    phone = Phone(poster, FLOODER)
    replies = _flood(phone, 200, {99: "DARURAT", 149: DANGER})

    rows = rows_of(phone)
    assert len(rows) == 200  # nothing is lost
    assert rows[150].body == CHATTER  # stored raw
    assert [r.status for r in rows[:20]] == [PROCESSED] * 20
    assert replies[:20] == [t("reply.info")] * 20
    assert replies[20] == t("reply.limited")  # one short neutral reply...
    assert replies[21:99] == [""] * 78  # ...then an empty TwiML
    assert {r.status for r in rows[20:99]} == {LIMITED}
    assert replies.count(t("reply.limited")) == 1
    assert {r.status for r in rows[160:]} == {LIMITED}
    # DARURAT and free text triage marks darurat go through, open a case, get the reference.
    assert rows[99].status == rows[149].status == PROCESSED
    assert _reference_in(replies[99]) is not None
    # The chatter in between was held, so the emergency's dialog is still open: the danger
    # text answers its question of where, and the next question is asked.
    assert replies[149] not in ("", t("reply.limited"))
    assert set(db.session.scalars(select(Case.priority))) == {"darurat"}
    assert FLOODER not in caplog.text
    assert FLOODER[3:] not in caplog.text


def test_a_new_senders_first_message_is_always_interpreted(limited_poster):
    poster = limited_poster(SIGAP_SENDER_LIMIT_PER_HOUR=1, SIGAP_SENDER_LIMIT_PER_DAY=1)
    phone = Phone(poster, "+6280812340002")
    assert phone.say(CHATTER) == t("reply.info")
    assert phone.say(CHATTER) == t("reply.limited")
    assert [r.status for r in rows_of(phone)] == [PROCESSED, LIMITED]


def test_after_the_hour_a_limited_sender_is_interpreted_again(limited_poster):
    poster = limited_poster(SIGAP_SENDER_LIMIT_PER_HOUR=3)
    phone = Phone(poster, "+6280812340003")
    _flood(phone, 5)
    assert [r.status for r in rows_of(phone)][3:] == [LIMITED, LIMITED]

    clock.freeze(clock.now().replace(minute=0, second=0) + timedelta(hours=1))
    assert phone.say(CHATTER) == t("reply.info")
    assert rows_of(phone)[-1].status == PROCESSED


def test_over_the_daily_limit_a_sender_waits_24_clock_hours(limited_poster):
    poster = limited_poster(SIGAP_SENDER_LIMIT_PER_HOUR=3, SIGAP_SENDER_LIMIT_PER_DAY=5)
    phone = Phone(poster, "+6280812340004")
    for _ in range(3):  # three hours, three messages each: 3 + 2 interpreted, then held
        _flood(phone, 3)
        clock.advance(timedelta(hours=1) - timedelta(seconds=45))
    statuses = [r.status for r in rows_of(phone)]
    assert statuses == [PROCESSED] * 5 + [LIMITED] * 4
    # Each new hour over the daily limit gets its one neutral reply.
    assert phone.say(CHATTER) == t("reply.limited")
    clock.advance(timedelta(hours=24))
    assert phone.say(CHATTER) == t("reply.info")


def test_a_resent_webhook_of_a_held_message_is_answered_as_before(limited_poster):
    poster = limited_poster(SIGAP_SENDER_LIMIT_PER_HOUR=1)
    form = {
        "MessageSid": "SM" + "7" * 32,
        "AccountSid": "AC" + "0" * 32,
        "From": "+6280812340005",
        "To": "+12025550100",
        "Body": CHATTER,
        "NumMedia": "0",
    }
    Phone(poster, form["From"]).say(CHATTER)
    first = poster.post("/webhooks/twilio/sms", form)
    assert reply_to(form["MessageSid"]) == t("reply.limited")
    again = poster.post("/webhooks/twilio/sms", form)
    assert first.status_code == again.status_code == 200
    assert first.data == again.data
    run_worker()
    bodies = list(db.session.scalars(select(Outbox.body)))
    assert bodies.count(t("reply.limited")) == 1  # the neutral reply, once


def test_staff_are_never_held(limited_poster):
    from core.demo import demo_phone

    poster = limited_poster(SIGAP_SENDER_LIMIT_PER_HOUR=1)
    officer = Phone(poster, demo_phone(100))
    _flood(officer, 3)
    assert {r.status for r in rows_of(officer)} == {PROCESSED}


def test_held_messages_are_interpreted_silently_once_the_sender_is_quiet(limited_poster):
    poster = limited_poster(SIGAP_SENDER_LIMIT_PER_HOUR=2)
    phone = Phone(poster, "+6280812340006")
    _flood(phone, 4, {3: "LAPOR anak tetangga dipukul ayahnya"})
    assert [r.status for r in rows_of(phone)][2:] == [LIMITED, LIMITED]

    clock.advance(timedelta(minutes=30))  # the sender wrote less than an hour ago: wait
    assert release_limited(clock.now()).startswith("0 held")
    phone.say(CHATTER)  # held too; and the sender is still writing
    clock.advance(timedelta(minutes=59))
    assert release_limited(clock.now()).startswith("0 held")

    replies = select(func.count()).select_from(Outbox).where(Outbox.purpose == Purpose.REPLY)
    answered = db.session.scalar(replies)  # two answers and one neutral reply
    clock.advance(timedelta(minutes=2))
    assert release_limited(clock.now()).startswith("3 held")
    assert {r.status for r in rows_of(phone)} == {PROCESSED}
    assert db.session.scalar(replies) == answered == 3  # interpreted without answering


def test_a_failing_limit_check_lets_the_message_through(seeded, poster, monkeypatch):
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("limits broke")

    monkeypatch.setattr(limits, "sender_counts", broken)
    phone = Phone(poster, "+6280812340007")
    assert phone.say(CHATTER) == t("reply.info")
    assert rows_of(phone)[0].status == PROCESSED


@pytest.mark.parametrize(
    "setting", [{"SIGAP_SENDER_LIMIT_PER_HOUR": "0"}, {"SIGAP_SENDER_LIMIT_PER_DAY": "many"}]
)
def test_limits_below_one_or_not_numbers_stop_the_start(make_app, setting):
    with pytest.raises(ConfigError):
        make_app(**setting)


def test_an_open_question_lets_through_only_its_answer(limited_poster):
    """With a question pending, STATUS guesses and BANTUAN count against the limit."""
    poster = limited_poster(SIGAP_SENDER_LIMIT_PER_HOUR=3)
    phone = Phone(poster, "+6280812340008")
    assert "desa" in phone.say("suami sy memukul sy semalam, sy takut pulang").lower()
    guesses = [phone.say(f"STATUS K7M4C{i}") for i in range(20)]
    guesses += [phone.say("BANTUAN") for _ in range(20)]
    assert guesses[2] == t("reply.limited")
    assert guesses[3:] == [""] * 37  # 40 commands, only the first two inside the limit
    assert {r.status for r in rows_of(phone)[3:]} == {LIMITED}
    # The answer to the question asked still goes through, and the dialog moves on.
    answer = phone.say("Sidera kec Sigi Biromaru")
    assert answer not in ("", t("reply.limited"))
    assert rows_of(phone)[-1].status == PROCESSED


def test_answers_past_the_limit_have_a_hard_cap(limited_poster, monkeypatch):
    monkeypatch.setattr(limits, "EXEMPT_PER_HOUR", 2)
    poster = limited_poster(SIGAP_SENDER_LIMIT_PER_HOUR=1)
    phone = Phone(poster, "+6280812340009")
    phone.say("suami sy memukul sy semalam, sy takut pulang")  # asks where
    phone.say(CHATTER)  # held
    assert phone.say("xyz") == ""  # no answer to the question: held
    assert "?" in phone.say("Sidera kec Sigi Biromaru")  # an answer: the next question
    assert "?" in phone.say("2")  # an answer: the last question
    assert phone.say("1") == ""  # an answer too, but past the cap: held all the same
    assert rows_of(phone)[-1].status == LIMITED
