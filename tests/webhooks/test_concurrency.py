"""Twenty copies of one webhook at the same moment on four gunicorn workers: stored once."""

from __future__ import annotations

import threading
import urllib.parse
import urllib.request

import pytest
from sqlalchemy import func, select

from core.db import db
from models import InboundMessage
from tests.servers import gunicorn
from tests.signing import load_form, sign

COPIES = 20


def _post(url: str, form: dict[str, str]) -> tuple[int, bytes]:
    request = urllib.request.Request(  # noqa: S310 - loopback test server
        url,
        data=urllib.parse.urlencode(form).encode(),
        headers={"X-Twilio-Signature": sign(url, form)},
    )
    # Generous: the four workers build the gazetteer side by side before they serve, which
    # on a loaded two-core machine takes tens of seconds.
    with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
        return response.status, response.read()


@pytest.mark.slow
@pytest.mark.parametrize("route", ["sms", "whatsapp"])
def test_same_message_sid_from_twenty_threads(app, db_url, route):
    form = load_form("sms_plain.txt")
    barrier = threading.Barrier(COPIES)
    results: list[tuple[int, bytes]] = []
    errors: list[BaseException] = []

    # A generous lock wait: on a loaded machine a copy that times out is spooled and answered
    # neutrally, which is right but is not what this test is about.
    with gunicorn(db_url, workers=4, SIGAP_SQLITE_BUSY_SECONDS="30") as base:
        url = f"{base}/webhooks/twilio/{route}"

        def worker() -> None:
            barrier.wait()
            try:
                results.append(_post(url, form))
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=worker) for _ in range(COPIES)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=150)

    assert errors == []
    assert len(results) == COPIES
    assert {status for status, _ in results} == {200}
    assert len({body for _, body in results}) == 1
    assert b"<Response />" in results[0][1]  # answered at once; the worker replies
    stored = db.session.scalar(select(func.count()).select_from(InboundMessage))
    assert stored == 1
