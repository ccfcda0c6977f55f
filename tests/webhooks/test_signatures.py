"""Signatures are checked against the URL Twilio called, including behind a TLS proxy."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.db import db
from models import InboundMessage
from tests.signing import Poster, load_form, sign

PATH = "/webhooks/twilio/sms"
PUBLIC = "https://sigap.example.org"


def _stored() -> int:
    return db.session.scalar(select(func.count()).select_from(InboundMessage))


@pytest.fixture
def proxied(make_app):
    """An app behind a TLS-terminating proxy: Twilio calls https, the app sees http."""
    app = make_app(PUBLIC_BASE_URL=PUBLIC)
    with app.app_context():
        yield Poster(app.test_client())


def test_missing_header(poster):
    assert poster.post(PATH, load_form("sms_plain.txt"), signature="").status_code == 403
    assert _stored() == 0


def test_wrong_token(poster):
    form = load_form("sms_plain.txt")
    bad = sign(f"http://localhost{PATH}", form, token="another-accounts-token")
    assert poster.post(PATH, form, signature=bad).status_code == 403


def test_one_parameter_changed(poster):
    form = load_form("sms_plain.txt")
    signature = sign(f"http://localhost{PATH}", form)
    tampered = form | {"Body": form["Body"] + "!"}
    assert poster.post(PATH, tampered, signature=signature).status_code == 403
    assert _stored() == 0


def test_extra_parameter_twilio_added_is_fine(poster):
    """Twilio adds fields over time; they are signed like the rest."""
    form = load_form("sms_plain.txt") | {"MessagingServiceSid": "MG" + "0" * 32}
    assert poster.post(PATH, form).status_code == 200


def test_https_public_url_behind_http_proxy(proxied):
    form = load_form("sms_plain.txt")
    response = proxied.post(PATH, form, signed_url=f"{PUBLIC}{PATH}")
    assert response.status_code == 200


def test_https_signature_without_public_base_url_is_refused(poster):
    """Why PUBLIC_BASE_URL exists: the app alone sees http and cannot match."""
    form = load_form("sms_plain.txt")
    assert poster.post(PATH, form, signed_url=f"{PUBLIC}{PATH}").status_code == 403


def test_url_with_default_port(proxied):
    form = load_form("sms_plain.txt")
    response = proxied.post(PATH, form, signed_url=f"https://sigap.example.org:443{PATH}")
    assert response.status_code == 200


def test_query_string_is_part_of_the_signed_url(proxied):
    form = load_form("sms_plain.txt")
    path = f"{PATH}?site=sigi"
    signature = sign(f"{PUBLIC}{path}", form)
    assert (
        proxied.client.post(path, data=form, headers={"X-Twilio-Signature": signature}).status_code
        == 200
    )


@pytest.mark.parametrize("route", ["sms", "whatsapp", "status"])
def test_signed_multipart_body_is_refused_with_415(client, route):
    """Twilio posts urlencoded forms only: a signed multipart body is refused, nothing stored."""
    path = f"/webhooks/twilio/{route}"
    form = load_form("sms_plain.txt")
    signature = sign(f"http://localhost{path}", form)
    before = _stored()
    answer = client.post(
        path,
        data=form,
        content_type="multipart/form-data",
        headers={"X-Twilio-Signature": signature},
    )
    assert answer.status_code == 415
    assert answer.get_json()["error"]["code"] == "unsupported_media_type"
    assert _stored() == before


def test_unsigned_multipart_body_is_refused_as_unsigned(client):
    answer = client.post(PATH, data=load_form("sms_plain.txt"), content_type="multipart/form-data")
    assert answer.status_code == 403
