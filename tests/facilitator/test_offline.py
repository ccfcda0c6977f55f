"""The facilitator app on a real browser: offline first, sent once, locked by the PIN."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import BrowserType, Page, expect

from core import clock
from tests.facilitator.conftest import (
    Facilitator,
    acknowledge_by_an_agency,
    count_stored,
    new_token,
    revoke_all,
    stored,
)
from tests.facilitator.phone import PIN, SLOW, Phone

#: Invented accounts of what happened.
TEXTS = (
    "Ibu rumah tangga dipukul suaminya semalam, uji satu",
    "Anak tetangga tidak sekolah dan dikurung, uji dua",
    "Remaja dijanjikan kerja di luar negeri oleh perekrut, uji tiga",
)


#: Counts every way a page could show or ask to show a notification.
WATCH_NOTIFICATIONS = """
window.notificationCalls = 0;
const count = () => { window.notificationCalls += 1; };
window.Notification = function () { count(); };
window.Notification.requestPermission = async () => { count(); return "denied"; };
ServiceWorkerRegistration.prototype.showNotification = async () => { count(); };
"""


def compose_three(phone: Phone) -> None:
    phone.compose(TEXTS[0])
    phone.compose(TEXTS[1], category="kekerasan_anak", victim="anak", priority="darurat")
    phone.compose(TEXTS[2], category="tppo", victim="perempuan", priority="biasa", contact="no")


def test_offline_from_the_start_reports_survive_a_reload_and_a_restart(
    browser_type: BrowserType,
    browser_type_launch_args: dict,
    live_server: str,
    facilitator: Facilitator,
    tmp_path: Path,
) -> None:
    profile = tmp_path / "profile"
    context = browser_type.launch_persistent_context(profile, **browser_type_launch_args)
    phone = Phone(context.pages[0], live_server)
    phone.pair(facilitator.token)

    context.set_offline(True)
    phone.page.reload()
    phone.wait_ready()
    phone.unlock()
    expect(phone.page.locator("#net")).to_have_text("Tanpa sinyal")
    compose_three(phone)
    expect(phone.page.locator("#queue")).to_have_text("Belum terkirim: 3")

    phone.page.reload()
    phone.wait_ready()
    phone.unlock()
    expect(phone.reports).to_have_count(3)
    context.close()

    context = browser_type.launch_persistent_context(
        profile, offline=True, **browser_type_launch_args
    )
    try:
        phone = Phone(context.pages[0], live_server)
        phone.open()
        phone.unlock()
        expect(phone.reports).to_have_count(3)
        expect(phone.page.locator("#reports li[data-state=queued]")).to_have_count(3)
        assert count_stored(facilitator) == 0
        phone.page.goto(f"{live_server}/app")  # the address without its slash opens too
        phone.wait_ready()
        expect(phone.page.locator("#lock")).to_be_visible()
    finally:
        context.close()


def test_back_online_each_report_is_stored_once_with_its_reference_and_status(
    page: Page, live_server: str, facilitator: Facilitator
) -> None:
    page.add_init_script(WATCH_NOTIFICATIONS)
    phone = Phone(page, live_server)
    phone.pair(facilitator.token)
    page.context.set_offline(True)
    compose_three(phone)
    assert page.title() == "SIGAP"

    page.context.set_offline(False)  # the online event sends the queue
    expect(page.locator("#reports li[data-state=sent]")).to_have_count(3, timeout=SLOW)
    reports = stored(facilitator)
    assert sorted(r.text for r in reports) == sorted(TEXTS)
    for report in reports:
        item = page.locator("#reports li", has_text=report.reference)
        expect(item).to_contain_text("Diterima")
        expect(item).to_contain_text("baru")
        # The phone's clock, with its offset: WITA, not mistaken for UTC.
        assert abs(report.captured_at - report.received_at) < timedelta(minutes=5)
    by_text = {r.text: r for r in reports}
    assert by_text[TEXTS[2]].may_contact is False
    assert by_text[TEXTS[1]].priority == "darurat"

    # Later an agency acknowledges one case: its new status comes back with the changes.
    acknowledge_by_an_agency(by_text[TEXTS[0]].reference)
    page.click("#sync-now")
    expect(page.locator("#sync-status")).to_contain_text("Baru diterima: 0", timeout=SLOW)
    assert count_stored(facilitator) == 3
    acknowledged = page.locator("#reports li", has_text=by_text[TEXTS[0]].reference)
    expect(acknowledged).to_contain_text("diterima petugas")
    assert page.title() == "SIGAP"
    assert page.evaluate("window.notificationCalls") == 0

    # What the phone still holds of a sent report: its reference and status, not its text.
    opened = phone.open_records()
    assert opened["iterations"] >= 600_000
    kept = [r for r in opened["records"] if "client_uuid" in r]
    assert len(kept) == 3
    for record in kept:
        assert record["state"] == "sent"
        assert record["reference"]
        assert record["status"] in ("baru", "diterima")
        assert not {"text", "victim", "region_code", "contact"} & set(record)


class DropFirstBatch:
    """Cut the connection of the first sync batch, before or after the server stores it."""

    def __init__(self, app: Flask, when: str) -> None:
        self.wsgi, self.when, self.dropped = app.wsgi_app, when, 0
        app.wsgi_app = self  # type: ignore[method-assign]

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        is_batch = environ["PATH_INFO"] == "/api/v1/sync/reports"
        if not is_batch or environ["REQUEST_METHOD"] != "POST" or self.dropped:
            return self.wsgi(environ, start_response)
        self.dropped += 1
        if self.when == "after":
            answer = self.wsgi(environ, lambda *args: None)  # stored and committed
            b"".join(answer)
            getattr(answer, "close", lambda: None)()
        environ["werkzeug.socket"].shutdown(socket.SHUT_RDWR)
        start_response("200 OK", [("Content-Length", "100")])
        return []


@pytest.mark.parametrize("when", ["before", "after"])
def test_a_connection_cut_mid_batch_loses_nothing_and_stores_nothing_twice(
    page: Page, live_server: str, facilitator: Facilitator, app: Flask, when: str
) -> None:
    phone = Phone(page, live_server)
    phone.pair(facilitator.token)
    page.context.set_offline(True)
    compose_three(phone)
    cut = DropFirstBatch(app, when)

    page.context.set_offline(False)
    expect(page.locator("#sync-status")).to_contain_text("Sambungan terputus", timeout=SLOW)
    assert cut.dropped == 1
    expect(page.locator("#reports li[data-state=queued]")).to_have_count(3)
    assert count_stored(facilitator) == (3 if when == "after" else 0)

    page.click("#sync-now")
    expect(page.locator("#reports li[data-state=sent]")).to_have_count(3, timeout=SLOW)
    outcome = "Sudah diterima sebelumnya" if when == "after" else "Diterima"
    for item in page.locator("#reports li").all():
        expect(item).to_contain_text(outcome)
    reports = stored(facilitator)
    assert sorted(r.text for r in reports) == sorted(TEXTS)
    assert len({r.client_uuid for r in reports}) == 3


def test_storage_holds_nothing_readable_and_five_wrong_pins_erase_it(
    page: Page, live_server: str, facilitator: Facilitator
) -> None:
    phone = Phone(page, live_server)
    phone.pair(facilitator.token)
    page.context.set_offline(True)
    compose_three(phone)
    secrets = [*TEXTS, "Sidera", "Sigi Biromaru", facilitator.token]

    dump = json.dumps(phone.storage(), ensure_ascii=False)
    assert len(phone.storage()["idb"]["sigap/records"]) == 3
    for secret in secrets:
        assert secret not in dump, secret

    page.click("#lock-now")
    for tries_left in (4, 3, 2, 1):
        phone.page.fill("#lock-pin", "000000")
        phone.page.click("#lock-submit")
        warning = page.locator("#lock-warning")
        expect(warning).to_contain_text(f"Sisa {tries_left} kali coba", timeout=SLOW)
        expect(warning).to_contain_text("termasuk laporan yang belum terkirim")
        expect(page.locator("#home")).to_be_hidden()
        shown = page.inner_text("body")
        assert not any(secret in shown for secret in secrets)

    phone.page.fill("#lock-pin", "000000")
    phone.page.click("#lock-submit")
    expect(page.locator("#pair")).to_be_visible(timeout=SLOW)
    expect(page.locator("#notice")).to_contain_text("sudah dihapus")
    left = phone.storage()
    assert not any(left["idb"].values())
    dump = json.dumps(left, ensure_ascii=False)
    for secret in secrets:
        assert secret not in dump, secret


def test_the_right_pin_after_a_wrong_one_opens_and_resets_the_count(
    page: Page, live_server: str, facilitator: Facilitator
) -> None:
    phone = Phone(page, live_server)
    phone.pair(facilitator.token)
    page.context.set_offline(True)
    phone.compose(TEXTS[0])
    page.click("#lock-now")
    phone.unlock("135790")
    expect(page.locator("#lock-warning")).to_contain_text("Sisa 4 kali coba")
    phone.unlock(PIN)
    expect(phone.reports).to_have_count(1)
    page.click("#lock-now")
    expect(page.locator("#lock-warning")).to_have_text("")


def test_idle_for_five_minutes_locks_and_keeps_the_half_written_report(
    page: Page, live_server: str, facilitator: Facilitator
) -> None:
    page.clock.install()
    phone = Phone(page, live_server)
    phone.pair(facilitator.token)
    page.fill("#f-text", TEXTS[0])
    page.clock.fast_forward("04:00")
    expect(page.locator("#home")).to_be_visible()
    page.clock.fast_forward("01:30")
    expect(page.locator("#lock")).to_be_visible()
    assert TEXTS[0] not in json.dumps(phone.storage(), ensure_ascii=False)
    assert page.input_value("#f-text") == ""
    phone.unlock()
    expect(page.locator("#f-text")).to_have_value(TEXTS[0])


def test_the_shell_comes_from_the_service_worker_cache_without_the_network(
    page: Page, live_server: str, app: Flask
) -> None:
    phone = Phone(page, live_server)
    phone.open()
    page.wait_for_selector("html[data-offline=ready]", state="attached")
    asked: list[str] = []
    wsgi = app.wsgi_app

    def counting(environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        if environ["PATH_INFO"] != "/app/sw.js":  # the browser's own update check
            asked.append(environ["PATH_INFO"])
        return wsgi(environ, start_response)

    app.wsgi_app = counting  # type: ignore[method-assign]
    responses = []
    page.on("response", lambda response: responses.append(response))
    page.reload()
    phone.wait_ready()
    assert asked == []
    shell = [r for r in responses if "/app/" in r.url]
    assert len(shell) >= 4
    assert all(r.from_service_worker for r in shell)
    assert clock.now()  # the clock was never frozen: real time throughout


def test_a_rejected_report_shows_why_and_goes_once_fixed(
    page: Page, live_server: str, facilitator: Facilitator
) -> None:
    # A phone whose clock was reset to a year no report comes from.
    page.clock.install(time=datetime(2101, 1, 1, 9, 0, tzinfo=UTC))
    phone = Phone(page, live_server)
    phone.pair(facilitator.token)
    phone.compose(TEXTS[0])
    rejected = page.locator("#reports li[data-state=rejected]")
    expect(rejected).to_contain_text("Ditolak: Waktu: Not a plausible time.", timeout=SLOW)
    assert count_stored(facilitator) == 0

    page.clock.set_system_time(datetime.now(UTC))
    rejected.get_by_role("button", name="Perbaiki").click()
    expect(page.locator("#f-text")).to_have_value(TEXTS[0])
    page.click("#compose-save")
    expect(page.locator("#reports li[data-state=sent]")).to_have_count(1, timeout=SLOW)
    [report] = stored(facilitator)
    assert report.text == TEXTS[0]


def test_a_revoked_code_keeps_the_reports_until_a_new_one_is_entered(
    page: Page, live_server: str, facilitator: Facilitator
) -> None:
    phone = Phone(page, live_server)
    phone.pair(facilitator.token)
    page.context.set_offline(True)
    phone.compose(TEXTS[0])
    revoke_all(facilitator)

    page.context.set_offline(False)
    expect(page.locator("#sync-status")).to_contain_text("tidak berlaku lagi", timeout=SLOW)
    expect(page.locator("#reports li[data-state=queued]")).to_have_count(1)

    page.click("#token-box summary")
    page.fill("#token-new", new_token(facilitator))
    page.click("#token-submit")
    expect(page.locator("#reports li[data-state=sent]")).to_have_count(1, timeout=SLOW)
    assert count_stored(facilitator) == 1
