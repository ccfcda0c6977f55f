"""Pairing refuses what would not work, saying why, and stores nothing until it does."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.facilitator.conftest import Facilitator
from tests.facilitator.phone import PIN, SLOW, Phone


def attempt(page: Page, token: str, pin: str = PIN, again: str = PIN) -> None:
    page.fill("#pair-token", token)
    page.fill("#pair-pin", pin)
    page.fill("#pair-pin2", again)
    page.click("#pair-submit")


def test_pairing_says_what_is_wrong_and_stores_nothing_until_it_works(
    page: Page, live_server: str, facilitator: Facilitator
) -> None:
    phone = Phone(page, live_server)
    phone.open()
    notice = page.locator("#notice")

    attempt(page, facilitator.token, pin="1234", again="1234")
    expect(notice).to_have_text("PIN harus 6 sampai 12 angka.")
    attempt(page, facilitator.token, again="246811")
    expect(notice).to_have_text("Kedua PIN tidak sama.")
    attempt(page, "sigap_not-a-token-anyone-was-given")
    expect(notice).to_contain_text("Kode tidak berlaku", timeout=SLOW)
    page.context.set_offline(True)
    attempt(page, facilitator.token)
    expect(notice).to_contain_text("Tidak ada sinyal")
    assert not any(phone.storage()["idb"].values())

    page.context.set_offline(False)
    attempt(page, facilitator.token)
    expect(page.locator("#home")).to_be_visible(timeout=SLOW)
    expect(page.locator("#area")).to_have_text("Wilayah: Sigi Biromaru")
    assert page.input_value("#pair-token") == ""
