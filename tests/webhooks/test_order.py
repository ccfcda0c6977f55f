"""Fifty senders, five messages each, all at once: each sender's replies in message order."""

from __future__ import annotations

import re
import threading
import time
import urllib.parse
import urllib.request

import pytest
from sqlalchemy import func, select

from cases.routing import seed_default_rules
from core.crypto import lookup_hash
from core.db import db
from core.demo import seed_demo
from core.i18n import t
from models import InboundMessage, InboundStatus, Outbox, Purpose
from tests.servers import gunicorn, workers
from tests.signing import sign

SENDERS = 50
#: A report missing its place, then the answers to the questions, then BANTUAN: a reply
#: depends on every message before it, so any overtaking shows in what is answered.
DIALOG = (
    "suami sy memukul sy semalam, sy takut pulang",
    "Sidera kec Sigi Biromaru",
    "2",
    "1",
    "BANTUAN",
)
WAIT_SECONDS = 240


def _number(i: int) -> str:
    return f"+62808{77000000 + i:08d}"


def _send(base: str, i: int, errors: list[BaseException]) -> None:
    """One phone sends its five messages one after another, not waiting for replies."""
    url = f"{base}/webhooks/twilio/sms"
    try:
        for n, text in enumerate(DIALOG):
            form = {
                "MessageSid": f"SM{i:016x}{n:016x}",
                "AccountSid": "AC" + "0" * 32,
                "From": _number(i),
                "To": "+12025550100",
                "Body": text,
                "NumMedia": "0",
            }
            request = urllib.request.Request(  # noqa: S310 - loopback test server
                url,
                data=urllib.parse.urlencode(form).encode(),
                headers={"X-Twilio-Signature": sign(url, form)},
            )
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                assert response.status == 200
    except BaseException as exc:
        errors.append(exc)


def _waiting() -> int:
    db.session.expire_all()
    count = db.session.scalar(
        select(func.count())
        .select_from(InboundMessage)
        .where(InboundMessage.status == InboundStatus.RECEIVED)
    )
    db.session.commit()
    return count


def _unreferenced(reply: str) -> str:
    return re.sub(r"\b[0-9A-Z]{6}\b", "REF", reply)


def _replies_of(number: str) -> list[str]:
    """The replies to one sender, in the order the worker queued them."""
    ids = select(InboundMessage.id).where(InboundMessage.sender_hash == lookup_hash(number))
    keys = [f"reply:{i}" for i in db.session.scalars(ids.order_by(InboundMessage.id))]
    rows = db.session.scalars(
        select(Outbox).where(Outbox.idempotency_key.in_(keys)).order_by(Outbox.id)
    ).all()
    assert [r.idempotency_key for r in rows] == keys  # queued in the order they came
    return [r.body for r in rows]


@pytest.mark.slow
def test_each_senders_replies_follow_their_messages(app, db_url):
    seed_demo(db.session)
    seed_default_rules(db.session)
    db.session.commit()
    count = 4 if db_url.startswith("postgresql") else 1
    errors: list[BaseException] = []
    with (
        gunicorn(db_url, workers=4, SIGAP_SQLITE_BUSY_SECONDS="30") as base,
        workers(db_url, count, SIGAP_SQLITE_BUSY_SECONDS="30"),
    ):
        threads = [threading.Thread(target=_send, args=(base, i, errors)) for i in range(SENDERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=WAIT_SECONDS)
        deadline = time.monotonic() + WAIT_SECONDS
        while _waiting() and time.monotonic() < deadline:
            time.sleep(0.2)
    assert errors == []
    assert _waiting() == 0
    first = _replies_of(_number(0))
    assert first[0] == t("q.place")
    assert first[-1] == t("reply.help")
    for i in range(SENDERS):
        replies = _replies_of(_number(i))
        assert len(replies) == len(DIALOG)
        # The same conversation for everyone, but for the reference each case got.
        assert [_unreferenced(r) for r in replies] == [_unreferenced(r) for r in first], i
    assert db.session.scalar(
        select(func.count()).select_from(Outbox).where(Outbox.purpose == Purpose.REPLY)
    ) == SENDERS * len(DIALOG)
