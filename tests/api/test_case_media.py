"""GET /api/v1/cases/<reference>/media/<id>: one file of a case, decrypted, for those who may
read what people sent; every read audited; everything else refused as the API refuses."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from core import clock, media_store
from core.crypto import Keyring
from core.db import db
from models import Case, CaseEvent, MediaFile, MediaStatus
from tests.api.conftest import World
from tests.media_standin import PHOTO

OTHER_KEY = "b3RoZXIga2V5OyBuZXZlciB1c2VkIGZvciBTSUdBUCE="


@pytest.fixture(autouse=True)
def media_dir(app: Flask, tmp_path: Path) -> Path:
    app.config["MEDIA_DIR"] = str(tmp_path / "media")
    return tmp_path / "media"


def add_media(
    case: Case,
    content: bytes | None = PHOTO,
    content_type: str = "image/jpeg",
    status: MediaStatus = MediaStatus.STORED,
) -> MediaFile:
    row = MediaFile(
        case_id=case.id,
        provider="smsgate",
        url="smsgate:mms/test/1",
        content_type=content_type,
        status=status,
        path=media_store.store(content) if content is not None else None,
        size=len(content) if content is not None else None,
        created_at=clock.now(),
    )
    db.session.add(row)
    db.session.commit()
    return row


def path(case: Case, media_id: int) -> str:
    return f"/api/v1/cases/{case.reference}/media/{media_id}"


def media_reads(case: Case) -> list[dict[str, Any]]:
    db.session.expire_all()
    events = db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == "read")
    )
    return [json.loads(e.detail) for e in events if e.detail]


def test_staff_on_the_case_download_the_file_decrypted_and_the_read_is_audited(
    world: World, call: Callable[..., Any]
) -> None:
    case = world.cases["a"]
    photo = add_media(case)
    response = call("staff_a", "get", path(case, photo.id))
    assert response.status_code == 200
    assert response.data == PHOTO
    assert response.mimetype == "image/jpeg"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="{case.reference}-{photo.id}.jpg"'
    )
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert media_reads(case) == [{"media_id": photo.id}]
    reader = db.session.scalars(select(CaseEvent).where(CaseEvent.kind == "read")).one()
    assert reader.actor_account_id == world.accounts["staff_a"].id


def test_coordinators_download_too(world: World, call: Callable[..., Any]) -> None:
    photo = add_media(world.cases["a"], b"%PDF-1.4 test", "application/pdf")
    response = call("coordinator", "get", path(world.cases["a"], photo.id))
    assert (response.status_code, response.data, response.mimetype) == (
        200,
        b"%PDF-1.4 test",
        "application/pdf",
    )


@pytest.mark.parametrize(
    ("role", "status", "code"),
    [
        ("staff_b", 404, "not_found"),  # another agency's case: as if it did not exist
        ("admin", 403, "forbidden"),  # sees the case, never what people sent
        ("facilitator", 403, "forbidden"),  # filed a report on it; the files are not theirs
        ("other_facilitator", 404, "not_found"),
        ("none", 401, None),
    ],
)
def test_callers_who_may_not_read_what_people_sent_are_refused(
    world: World, call: Callable[..., Any], role: str, status: int, code: str | None
) -> None:
    photo = add_media(world.cases["a"])
    response = call(role, "get", path(world.cases["a"], photo.id))
    assert response.status_code == status
    assert PHOTO not in response.data
    if code:
        assert response.get_json()["error"]["code"] == code
    assert media_reads(world.cases["a"]) == []


def test_another_cases_file_is_not_found_through_this_case(
    world: World, call: Callable[..., Any]
) -> None:
    theirs = add_media(world.cases["b"])
    response = call("coordinator", "get", path(world.cases["a"], theirs.id))
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("status", [MediaStatus.PENDING, MediaStatus.REFUSED, MediaStatus.FAILED])
def test_a_file_never_stored_is_not_found(
    world: World, call: Callable[..., Any], status: MediaStatus
) -> None:
    row = add_media(world.cases["a"], None, status=status)
    assert call("staff_a", "get", path(world.cases["a"], row.id)).status_code == 404


def test_an_erased_or_missing_file_is_not_found(world: World, call: Callable[..., Any]) -> None:
    from security.erasure import erase_case

    case = world.cases["a"]
    erased, missing = add_media(case), add_media(case)
    (Path(media_store.directory()) / missing.path).unlink()
    assert call("staff_a", "get", path(case, missing.id)).status_code == 404
    assert call("staff_a", "get", path(case, erased.id)).status_code == 200
    erase_case(db.session, case, world.accounts["admin"], "permintaan korban", clock.now())
    db.session.commit()
    assert call("staff_a", "get", path(case, erased.id)).status_code == 404
    assert call("staff_a", "get", path(case, 999999)).status_code == 404


def test_a_file_no_configured_key_opens_is_a_clear_503(
    world: World, call: Callable[..., Any]
) -> None:
    row = add_media(world.cases["a"])
    (Path(media_store.directory()) / row.path).write_bytes(Keyring(OTHER_KEY).encrypt_bytes(PHOTO))
    response = call("staff_a", "get", path(world.cases["a"], row.id))
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "unavailable"
