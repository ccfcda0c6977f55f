"""MMS through the gateway phone: content stored with its message, a notice alone still
answered, and one MMS one message whatever order its two events come in."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from cases import seed_default_rules
from core import clock
from core.db import db
from core.demo import seed_demo
from core.i18n import t
from models import Case, InboundMessage, MediaFile, MediaStatus, MmsArrival, Outbox, Purpose
from tests.media_standin import PHOTO
from tests.signing import run_worker
from tests.smsgate import TEST_SIGNING_KEY, load_event, post_event
from webhooks import media, mms

T0 = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
SENDER = "+6280800000201"
STORY = "tolong tetangga sy di desa Sidera dipukuli suaminya sekarang"


@pytest.fixture
def mms_app(app: Flask, tmp_path: Any) -> Flask:
    seed_demo(db.session)
    seed_default_rules(db.session)
    db.session.commit()
    clock.freeze(T0)
    app.config.update(SMSGATE_SIGNING_KEY=TEST_SIGNING_KEY, MEDIA_DIR=str(tmp_path / "media"))
    return app


def content(event_id: str = "Hd3Kq8sWm1Pz6xLc2nVbR", **payload: Any) -> dict[str, Any]:
    return load_event("mms_downloaded.json", id=event_id, payload=payload)


def notice(event_id: str = "Wc5Jt2mNq8Rz1vXb4kLpD", **payload: Any) -> dict[str, Any]:
    return load_event("mms_received.json", id=event_id, payload=payload)


def part(content_type: str, data: bytes | None, part_id: int = 3001) -> dict[str, Any]:
    encoded = base64.b64encode(data).decode() if data is not None else None
    return {"partId": part_id, "contentType": content_type, "name": None, "data": encoded}


def messages() -> list[InboundMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(InboundMessage).order_by(InboundMessage.id)))


def media_rows() -> list[MediaFile]:
    db.session.expire_all()
    return list(db.session.scalars(select(MediaFile).order_by(MediaFile.id)))


def replies() -> list[str]:
    query = select(Outbox.body).where(Outbox.purpose == Purpose.REPLY).order_by(Outbox.id)
    return list(db.session.scalars(query))


def files() -> list[str]:
    folder = media.directory()
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def later(minutes: int) -> datetime:
    clock.freeze(T0 + timedelta(minutes=minutes))
    return clock.now()


def test_downloaded_mms_is_stored_encrypted_with_its_message_and_joins_its_case(
    mms_app: Flask, client: FlaskClient
) -> None:
    assert post_event(client, content()).status_code == 204
    (row,) = messages()
    assert (row.provider, row.channel, row.sender, row.body) == ("smsgate", "sms", SENDER, STORY)
    assert len(files()) == 1  # stored before the answer: nothing is fetched later
    run_worker()
    case = db.session.scalars(select(Case)).one()
    (photo,) = media_rows()
    assert (photo.status, photo.case_id, photo.size) == (MediaStatus.STORED, case.id, len(PHOTO))
    assert (photo.content_type, photo.inbound_message_id) == ("image/jpeg", row.id)
    on_disk = (media.directory() / photo.path).read_bytes()
    assert PHOTO[:16] not in on_disk
    assert media.read(photo) == PHOTO
    assert case.reference in replies()[0]


def test_a_resent_downloaded_mms_is_stored_once(mms_app: Flask, client: FlaskClient) -> None:
    event = content()
    assert [post_event(client, event).status_code for _ in range(3)] == [204] * 3
    assert len(messages()) == 1
    assert len(files()) == 1  # the resends' copies are removed


def test_attachments_not_kept_are_recorded_not_dropped(
    mms_app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("channels.media.MAX_BYTES", 1024)
    parts = [
        part("video/mp4", b"\x00\x00\x00\x18ftypmp42" * 4, 1),
        part("image/jpeg", b"\xff\xd8" + b"x" * 2000, 2),
        part("audio/amr", None, 3),
        part("image/png", b"\x89PNG small", 4),
    ]
    assert post_event(client, content(attachments=parts)).status_code == 204
    run_worker()
    rows = media_rows()
    assert [(m.status, m.reason) for m in rows] == [
        (MediaStatus.REFUSED, "type_not_allowed"),
        (MediaStatus.REFUSED, "too_large"),
        (MediaStatus.FAILED, "no_content"),
        (MediaStatus.STORED, None),
    ]
    assert [m.path for m in rows[:3]] == [None, None, None]
    assert files() == [rows[3].path]
    case = db.session.scalars(select(Case)).one()
    assert {m.case_id for m in rows} == {case.id}


def test_a_photo_alone_asks_what_happened_and_where(mms_app: Flask, client: FlaskClient) -> None:
    post_event(client, content(body=None))
    run_worker()
    assert replies() == [t("reply.lapor_prompt")]
    (photo,) = media_rows()
    assert (photo.status, photo.case_id) == (MediaStatus.STORED, None)


def test_notice_then_content_is_one_message_and_one_reply(
    mms_app: Flask, client: FlaskClient
) -> None:
    assert post_event(client, notice()).status_code == 204
    assert messages() == []  # waiting for the content
    later(2)
    assert post_event(client, content()).status_code == 204
    run_worker()
    later(30)
    assert mms.answer_waiting(clock.now()).endswith("0 answered without content")
    run_worker()
    assert [m.body for m in messages()] == [STORY]
    assert len(replies()) == 1


def test_content_then_notice_is_one_message(mms_app: Flask, client: FlaskClient) -> None:
    post_event(client, content())
    later(1)
    assert post_event(client, notice()).status_code == 204
    later(30)
    mms.answer_waiting(clock.now())
    run_worker()
    assert len(messages()) == 1
    assert len(replies()) == 1


def test_a_notice_whose_content_never_comes_is_answered_and_listed(
    mms_app: Flask, client: FlaskClient
) -> None:
    event = notice()
    assert [post_event(client, event).status_code for _ in range(2)] == [204, 204]
    later(9)
    mms.answer_waiting(clock.now())
    assert messages() == []
    later(10)
    assert mms.answer_waiting(clock.now()) == "1 MMS notices due, 1 answered without content"
    (row,) = messages()
    assert (row.sender, row.body, row.provider_message_id) == (SENDER, "", event["id"])
    run_worker()
    assert replies() == [t("reply.lapor_prompt")]  # as a photo alone is answered
    (placeholder,) = media_rows()
    assert (placeholder.status, placeholder.reason) == (MediaStatus.FAILED, "not_downloaded")
    # The sender's story then opens a case, and the MMS that never came is listed on it.
    later(12)
    post_event(
        client,
        load_event("sms_received.json", id="Ps8Lw3Xc5Vb1Nq7Zk2Rm4", payload={"message": STORY}),
    )
    run_worker()
    case = db.session.scalars(select(Case)).one()
    media.attach_waiting(db.session, clock.now())
    db.session.commit()
    assert [m.id for m in media.on_case(db.session, case.id)] == [placeholder.id]
    assert mms.answer_waiting(clock.now()).startswith("0 MMS notices due")


def test_content_after_its_notice_stopped_waiting_is_still_kept(
    mms_app: Flask, client: FlaskClient
) -> None:
    post_event(client, notice())
    later(11)
    mms.answer_waiting(clock.now())
    post_event(client, content())
    run_worker()
    assert [m.body for m in messages()] == ["", STORY]
    assert [m.status for m in media_rows()] == [MediaStatus.FAILED, MediaStatus.STORED]


def test_two_mms_from_one_sender_pair_one_to_one(mms_app: Flask, client: FlaskClient) -> None:
    post_event(client, notice("N1aaaaaaaaaaaaaaaaaaaa"))
    post_event(client, notice("N2aaaaaaaaaaaaaaaaaaaa"))
    later(1)
    post_event(client, content("C1aaaaaaaaaaaaaaaaaaaa"))
    later(20)
    assert mms.answer_waiting(clock.now()).endswith("1 answered without content")
    assert len(messages()) == 2  # one MMS came whole, the other never did


def test_another_senders_content_does_not_answer_a_notice(
    mms_app: Flask, client: FlaskClient
) -> None:
    post_event(client, notice())
    post_event(client, content(phoneNumber="+447700900123", sender="+447700900123"))
    later(11)
    assert mms.answer_waiting(clock.now()).endswith("1 answered without content")
    assert sorted(m.sender for m in messages()) == sorted([SENDER, "+447700900123"])


def test_old_halves_are_forgotten(mms_app: Flask, client: FlaskClient) -> None:
    post_event(client, notice())
    post_event(client, content())
    later(3 * 24 * 60 + 1)
    mms.answer_waiting(clock.now())
    assert db.session.scalars(select(MmsArrival)).all() == []


@pytest.mark.parametrize(
    ("event", "code"),
    [
        (load_event("mms_received.json", payload={"phoneNumber": ""}), "missing_field"),
        (load_event("mms_downloaded.json", payload={"attachments": None}), "missing_field"),
        (load_event("mms_downloaded.json", payload={"attachments": ["x"]}), "missing_field"),
    ],
    ids=["notice without sender", "content without attachments", "attachment not an object"],
)
def test_unusable_mms_events_get_a_clear_400(
    mms_app: Flask, client: FlaskClient, event: dict[str, Any], code: str
) -> None:
    response = post_event(client, event)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == code
    assert messages() == []
    assert files() == []
