"""Twilio webhooks end to end through the test client, one table run against both channels.

As in courier's handler tests: every case runs on the SMS and the WhatsApp route, and each
route automatically also gets the bad-signature, missing-signature and duplicate cases.
The webhook only stores and answers an empty TwiML; the reply follows from the worker,
through the outbox.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from core.db import db
from core.i18n import t
from models import Case, InboundMessage, InboundStatus, Outbox
from tests.signing import load_form, reply_to, run_worker, sign

EMPTY_TWIML = b'<?xml version="1.0" encoding="UTF-8"?><Response />'


def _opened(question: str):
    """A reply that confirms the case opened at once, then asks a question."""
    return lambda ref: f"{t('reply.opened_brief', ref=ref)} {t(question)}"


ROUTES = ("sms", "whatsapp")


@dataclass(frozen=True)
class WebhookCase:
    label: str
    fixture: str
    status: int
    #: Fields of the stored message, or None when nothing may be stored.
    stored: dict | None
    #: The reply the worker queues, given the reference of the case opened (if any).
    reply: object = None


CASES = [
    WebhookCase(
        "plain sms",
        "sms_plain.txt",
        200,
        {
            "provider_message_id": "SM1a2b3c4d5e6f708192a3b4c5d6e7f801",
            "sender": "+6280800000101",
            "body": "LAPOR KDRT desa Sidera, tetangga sy dipukul suaminya tadi malam",
        },
        lambda ref: t("q.danger"),
    ),
    WebhookCase(
        "emoji",
        "sms_emoji.txt",
        200,
        {
            "body": "Tolong 🙏 ada anak kecil dikunci di rumah kosong dekat pasar 😢",
        },
        _opened("q.place"),
    ),
    WebhookCase(
        "1,600 characters",
        "sms_long_1600.txt",
        200,
        {"sender": "+447700900123"},
        # a passport held by an agent: danger uncertain, so that is asked first
        lambda ref: t("q.danger"),
    ),
    WebhookCase(
        "media only, empty text: asked what happened and where",
        "mms_media_only.txt",
        200,
        {"body": ""},
        lambda ref: t("reply.lapor_prompt"),
    ),
    WebhookCase("empty body", "sms_empty_body.txt", 200, {"body": ""}, lambda ref: t("reply.info")),
    WebhookCase(
        "whatsapp button",
        "wa_profile_button.txt",
        200,
        {
            "channel": "whatsapp",
            "profile_name": "Ibu Rina",
            "button_payload": "menu_darurat",
        },
        _opened("q.place"),
    ),
    WebhookCase("missing MessageSid", "missing_message_sid.txt", 400, None),
    WebhookCase("missing From", "missing_from.txt", 400, None),
    WebhookCase("sender is not a number", "bad_sender_alphanumeric.txt", 400, None),
    WebhookCase("longer than Twilio sends", "too_long_body.txt", 400, None),
]


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(InboundMessage))


def _cases_with_automatic_ones():
    for route in ROUTES:
        for case in CASES:
            yield pytest.param(route, case, id=f"{route}-{case.label}")


@pytest.mark.parametrize(("route", "case"), list(_cases_with_automatic_ones()))
def test_table(poster, route, case):
    form = load_form(case.fixture)
    response = poster.post(f"/webhooks/twilio/{route}", form)
    assert response.status_code == case.status, response.data
    if case.stored is None:
        assert _count() == 0
        assert response.is_json
        assert response.json["error"]["code"]
        return
    assert response.mimetype == "application/xml"
    assert response.data == EMPTY_TWIML  # answered at once, nothing interpreted yet
    row = db.session.scalar(select(InboundMessage))
    for field, value in case.stored.items():
        assert getattr(row, field) == value, field
    assert row.status == InboundStatus.RECEIVED
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0
    assert db.session.scalar(select(func.count()).select_from(Outbox)) == 0

    reply = reply_to(form["MessageSid"])  # the worker runs
    db.session.refresh(row)
    assert row.status == InboundStatus.PROCESSED
    case_ref = db.session.scalar(select(Case.reference))
    assert reply == case.reply(case_ref)
    sent = db.session.scalar(select(Outbox).where(Outbox.idempotency_key == f"reply:{row.id}"))
    assert (sent.to, sent.channel, sent.status) == (row.sender, row.channel, "sent")


@pytest.mark.parametrize("route", ROUTES)
def test_bad_signature_stores_nothing(poster, route):
    form = load_form("sms_plain.txt")
    wrong = sign(f"http://localhost/webhooks/twilio/{route}", form, token="not-the-token")
    response = poster.post(f"/webhooks/twilio/{route}", form, signature=wrong)
    assert response.status_code == 403
    assert _count() == 0


@pytest.mark.parametrize("route", ROUTES)
def test_missing_signature_stores_nothing(poster, route):
    response = poster.post(f"/webhooks/twilio/{route}", load_form("sms_plain.txt"), signature="")
    assert response.status_code == 403
    assert _count() == 0


@pytest.mark.parametrize("route", ROUTES)
def test_duplicate_is_stored_once_and_answered_alike(poster, route):
    form = load_form("sms_plain.txt")
    first = poster.post(f"/webhooks/twilio/{route}", form)
    run_worker()
    again = poster.post(f"/webhooks/twilio/{route}", form)
    run_worker()
    assert first.status_code == again.status_code == 200
    assert first.data == again.data == EMPTY_TWIML
    assert _count() == 1
    assert db.session.scalar(select(func.count()).select_from(Outbox)) == 1  # one reply


def test_unknown_channel_is_404(poster):
    assert poster.post("/webhooks/twilio/telegram", load_form("sms_plain.txt")).status_code == 404


def test_body_larger_than_twilio_sends_is_413(poster):
    form = load_form("sms_plain.txt") | {"Padding": "x" * 100_000}
    assert poster.post("/webhooks/twilio/sms", form).status_code == 413
    assert _count() == 0


def test_invalid_utf8_is_answered_not_crashed(client):
    raw = b"MessageSid=SMbad&From=%2B6280800000101&To=%2B12025550100&Body=%FF%FEtolong"
    response = client.post(
        "/webhooks/twilio/sms",
        data=raw,
        headers={"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": "x"},
    )
    assert response.status_code == 403  # unsigned; the point is: no 500


def test_invalid_utf8_signed_is_stored(poster):
    form = load_form("sms_plain.txt") | {"Body": "tolong \udcff"}
    # Werkzeug decodes undecodable bytes with replacement; what is signed is what was decoded.
    form["Body"] = "tolong \ufffd"
    response = poster.post("/webhooks/twilio/sms", form)
    assert response.status_code == 200
    assert db.session.scalar(select(InboundMessage.body)) == "tolong \ufffd"


@pytest.mark.parametrize(
    "where",
    [
        "handle_message",  # interpretation itself
        "triage",  # the reading, made before the transaction (pipeline.read)
    ],
)
def test_interpretation_failure_keeps_message_and_answers(poster, monkeypatch, where):
    import intake.pipeline

    def boom(*_args, **_kwargs):
        raise ValueError("could not understand +6280800000101")

    monkeypatch.setattr(intake.pipeline, where, boom)
    form = load_form("sms_plain.txt")
    response = poster.post("/webhooks/twilio/sms", form)
    assert response.status_code == 200
    assert reply_to(form["MessageSid"]) == t("reply.try_again")  # a helpful word, at once
    row = db.session.scalar(select(InboundMessage))
    assert row.status == InboundStatus.FAILED
    assert row.error == "ValueError"  # the type only: the message could quote the sender
    assert row.next_attempt_at is not None
