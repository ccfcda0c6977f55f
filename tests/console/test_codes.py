"""Signing in with a one-time code sent by SMS to the account's registered phone."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from console import codes
from core import clock
from core.db import db
from models import Outbox, Purpose
from tests.console.conftest import csrf

CODE = re.compile(r"\b(\d{6})\b")


def _send(client, account: str):
    form = {"account": account, "action": "send", "csrf_token": csrf(client)}
    return client.post("/console/login/code", data=form)


def _enter(client, account: str, code: str):
    form = {"account": account, "code": code, "action": "verify", "csrf_token": csrf(client)}
    return client.post("/console/login/code", data=form)


def _codes() -> list[Outbox]:
    return list(db.session.scalars(select(Outbox).where(Outbox.purpose == Purpose.LOGIN_CODE)))


def test_a_code_goes_to_the_registered_phone_through_the_outbox_and_signs_in(app, people):
    staff = people.accounts["staff_a"]
    client = app.test_client()
    page = _send(client, str(staff.id))
    assert "kode sudah dikirim" in page.get_data(as_text=True)
    [sms] = _codes()
    assert sms.to == staff.phone
    assert sms.account_id == staff.id
    code = CODE.search(sms.body)[1]
    assert code not in page.get_data(as_text=True)
    signed_in = _enter(client, str(staff.id), code)
    assert signed_in.headers["Location"] == "/console/"
    assert client.get("/console/").status_code == 200
    # Once only.
    assert _enter(app.test_client(), str(staff.id), code).status_code == 401


def test_an_unknown_account_gets_the_same_answer_and_no_message(app, people):
    page = _send(app.test_client(), "9999")
    assert "kode sudah dikirim" in page.get_data(as_text=True)
    assert _codes() == []


def test_a_code_expires_and_a_wrong_code_counts_as_a_failure(app, people):
    staff = people.accounts["staff_a"]
    client = app.test_client()
    _send(client, str(staff.id))
    code = CODE.search(_codes()[0].body)[1]
    wrong = "000000" if code != "000000" else "111111"
    assert _enter(client, str(staff.id), wrong).status_code == 401
    clock.freeze(clock.now() + codes.LIFETIME + timedelta(seconds=1))
    assert _enter(client, str(staff.id), code).status_code == 401


def test_at_most_three_codes_in_the_window_and_none_for_inactive_accounts(app, people):
    staff = people.accounts["staff_a"]
    for _ in range(codes.SENDS_PER_WINDOW + 2):
        _send(app.test_client(), str(staff.id))
    assert len(_codes()) == codes.SENDS_PER_WINDOW
    other = people.accounts["staff_b"]
    other.is_active = False
    db.session.commit()
    _send(app.test_client(), str(other.id))
    assert len(_codes()) == codes.SENDS_PER_WINDOW
