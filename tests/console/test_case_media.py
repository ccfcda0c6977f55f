"""The case page lists the files people sent and links each stored one to a download served
as the API serves it, under the console's session, to the same people only."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from core.db import db
from models import CaseEvent, MediaStatus
from tests.api.conftest import World
from tests.api.test_case_media import add_media
from tests.media_standin import PHOTO


@pytest.fixture(autouse=True)
def media_dir(app: Flask, tmp_path: Path) -> None:
    app.config["MEDIA_DIR"] = str(tmp_path / "media")


def link(reference: str, media_id: int) -> str:
    return f"/console/cases/{reference}/media/{media_id}"


def test_staff_on_the_case_see_the_files_and_download_a_stored_one(
    as_role: Callable[[str], FlaskClient], people: World
) -> None:
    case = people.cases["a"]
    photo = add_media(case)
    video = add_media(case, None, "video/mp4", MediaStatus.REFUSED)
    video.reason = "type_not_allowed"
    db.session.commit()
    staff = as_role("staff_a")
    page = staff.get(f"/console/cases/{case.reference}").get_data(as_text=True)
    assert link(case.reference, photo.id) in page
    assert link(case.reference, video.id) not in page  # refused: listed, nothing to download
    assert "video/mp4" in page
    assert "jenis berkas tidak diterima" in page
    response = staff.get(link(case.reference, photo.id))
    assert response.status_code == 200
    assert response.data == PHOTO
    assert response.mimetype == "image/jpeg"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    db.session.expire_all()
    reads = db.session.scalars(select(CaseEvent.detail).where(CaseEvent.kind == "read")).all()
    assert {"media_id": photo.id} in [json.loads(d) for d in reads if d]


@pytest.mark.parametrize(("role", "status"), [("admin", 403), ("staff_b", 404)])
def test_others_get_no_link_and_no_file(
    as_role: Callable[[str], FlaskClient], people: World, role: str, status: int
) -> None:
    case = people.cases["a"]
    photo = add_media(case)
    client = as_role(role)
    page = client.get(f"/console/cases/{case.reference}").get_data(as_text=True)
    assert link(case.reference, photo.id) not in page
    response = client.get(link(case.reference, photo.id))
    assert response.status_code == status
    assert PHOTO not in response.data


def test_signed_out_is_sent_to_sign_in(
    as_role: Callable[[str], FlaskClient], people: World
) -> None:
    photo = add_media(people.cases["a"])
    response = as_role("none").get(link(people.cases["a"].reference, photo.id))
    assert response.status_code == 302
    assert "/console/login" in response.headers["Location"]


def test_another_cases_file_is_not_found(
    as_role: Callable[[str], FlaskClient], people: World
) -> None:
    theirs = add_media(people.cases["b"])
    response = as_role("coordinator").get(link(people.cases["a"].reference, theirs.id))
    assert response.status_code == 404
    assert PHOTO not in response.data
