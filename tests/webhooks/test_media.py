"""Media end to end: announced by a webhook, recorded by the worker, fetched by the job from
the provider's stand-in, stored encrypted, listed on the case; another host is refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import select

from cases import seed_default_rules
from core import clock
from core.db import db
from core.demo import seed_demo
from models import Case, MediaFile, MediaStatus
from tests.media_standin import CLOUD_MEDIA_ID, PHOTO, TWILIO_MEDIA, media_standin
from tests.signing import load_form, run_worker
from tests.whatsapp_cloud import TEST_APP_SECRET, first_message, load_delivery, post_delivery
from webhooks import media

T0 = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
DARURAT = "Tolong!! ibu di desa Kotarindau sedang dipukuli suaminya pakai kayu"


@pytest.fixture
def media_app(app: Flask, tmp_path) -> Flask:
    seed_demo(db.session)
    seed_default_rules(db.session)
    db.session.commit()
    clock.freeze(T0)
    app.config.update(MEDIA_DIR=str(tmp_path / "media"), WHATSAPP_CLOUD_APP_SECRET=TEST_APP_SECRET)
    return app


def media_rows() -> list[MediaFile]:
    db.session.expire_all()
    return list(db.session.scalars(select(MediaFile).order_by(MediaFile.id)))


def assert_stored_encrypted(row: MediaFile) -> None:
    assert (row.status, row.content_type, row.size) == (
        MediaStatus.STORED,
        "image/jpeg",
        len(PHOTO),
    )
    on_disk = (media.directory() / row.path).read_bytes()
    assert on_disk != PHOTO  # the bytes on disk are not the image
    assert PHOTO[:16] not in on_disk
    assert media.read(row) == PHOTO


def test_a_twilio_mms_is_fetched_stored_encrypted_and_listed_on_its_case(
    media_app, poster, tmp_path
) -> None:
    form = load_form("mms_media_only.txt")
    form.update(Body=DARURAT, MediaUrl1="https://files.example.net/x.jpg")
    assert poster.post("/webhooks/twilio/sms", form).status_code == 200
    assert media_rows() == []  # the webhook fetches nothing and records nothing
    run_worker()
    case = db.session.scalars(select(Case)).one()
    photo, elsewhere = media_rows()
    assert (photo.status, photo.case_id) == (MediaStatus.PENDING, case.id)
    assert (elsewhere.status, elsewhere.reason) == (MediaStatus.REFUSED, "untrusted_host")
    with media_standin() as standin:
        media_app.config.update(
            TWILIO_ACCOUNT_SID="AC0000000000000000000000000000c0de",
            TWILIO_API_BASE_URL=standin.base_url,
        )
        assert media.fetch_media(clock.now()) == "1 media due, 1 stored"
    assert standin.requests[0][0] == TWILIO_MEDIA
    assert not any("x.jpg" in path for path, _ in standin.requests)
    photo, elsewhere = media_rows()
    assert_stored_encrypted(photo)
    assert [m.id for m in media.on_case(db.session, case.id)] == [photo.id, elsewhere.id]


def test_a_whatsapp_cloud_image_joins_the_senders_open_case(media_app, client, tmp_path) -> None:
    text = load_delivery("text.json")
    first_message(text)["text"] = {"body": DARURAT}
    assert post_delivery(client, text).status_code == 200
    assert post_delivery(client, load_delivery("image.json")).status_code == 200
    run_worker()
    case = db.session.scalars(select(Case)).one()
    (photo,) = media_rows()
    assert photo.case_id == case.id
    assert photo.url.endswith(f"/{CLOUD_MEDIA_ID}")
    with media_standin() as standin:
        media_app.config.update(
            WHATSAPP_CLOUD_ACCESS_TOKEN="token", WHATSAPP_CLOUD_API_BASE_URL=standin.base_url
        )
        assert media.fetch_media(clock.now()) == "1 media due, 1 stored"
    assert {auth for _, auth in standin.requests} == {"Bearer token"}
    (photo,) = media_rows()
    assert_stored_encrypted(photo)
    assert [m.id for m in media.on_case(db.session, case.id)] == [photo.id]


def test_a_photo_alone_is_kept_and_joins_the_case_its_sender_opens(media_app, poster) -> None:
    form = load_form("mms_media_only.txt")
    form.update(NumMedia="1")
    poster.post("/webhooks/twilio/sms", form)
    run_worker()
    (photo,) = media_rows()
    assert (photo.status, photo.case_id) == (MediaStatus.PENDING, None)
    story = {**form, "MessageSid": "SM" + "7" * 32, "SmsSid": "SM" + "7" * 32, "Body": DARURAT}
    story.update(NumMedia="0")
    poster.post("/webhooks/twilio/sms", story)
    run_worker()
    case = db.session.scalars(select(Case)).one()
    assert media.attach_waiting(db.session, clock.now()) == 1
    db.session.commit()
    assert [m.id for m in media.on_case(db.session, case.id)] == [photo.id]


def test_erasing_the_case_deletes_its_media_files(media_app, client) -> None:
    from models import Account, Role
    from security.erasure import erase_case

    text = load_delivery("text.json")
    first_message(text)["text"] = {"body": DARURAT}
    post_delivery(client, text)
    post_delivery(client, load_delivery("image.json"))
    run_worker()
    with media_standin() as standin:
        media_app.config.update(
            WHATSAPP_CLOUD_ACCESS_TOKEN="token", WHATSAPP_CLOUD_API_BASE_URL=standin.base_url
        )
        media.fetch_media(clock.now())
    (photo,) = media_rows()
    path = media.directory() / photo.path
    assert path.exists()
    admin = Account(name="Admin", role=Role.ADMIN, phone="+6280800000900", is_active=True)
    db.session.add(admin)
    case = db.session.scalars(select(Case)).one()
    erase_case(db.session, case, admin, "permintaan korban", clock.now())
    db.session.commit()
    assert media_rows() == []
    assert not path.exists()


def test_a_photo_inside_a_dialog_repeats_its_question_without_counting_a_wrong_answer(
    media_app, client
) -> None:
    from core.i18n import t
    from models import Dialog
    from tests.signing import reply_to

    text = load_delivery("text.json")
    first_message(text)["text"] = {"body": "suami saya memukul saya"}
    post_delivery(client, text)
    asked = reply_to(first_message(text)["id"])
    assert asked == t("q.place")
    image = load_delivery("image.json")
    first_message(image)["image"].pop("caption")
    post_delivery(client, image)
    assert reply_to(first_message(image)["id"]) == asked
    dialog = db.session.scalars(select(Dialog)).one()
    assert '"retries": 0' in dialog.state
    (photo,) = media_rows()
    assert photo.status == MediaStatus.PENDING
