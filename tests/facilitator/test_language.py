"""The app speaks Indonesian first, English on request, and remembers the choice."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.facilitator.phone import Phone


def test_indonesian_first_english_on_request_kept_after_a_reload(
    page: Page, live_server: str
) -> None:
    phone = Phone(page, live_server)
    phone.open()
    heading = page.locator("#pair h1")
    expect(heading).to_have_text("Hubungkan ponsel ini")
    page.click("#lang")
    expect(heading).to_have_text("Connect this phone")
    assert page.get_attribute("html", "lang") == "en"
    page.reload()
    phone.wait_ready()
    expect(heading).to_have_text("Connect this phone")
    page.click("#lang")
    expect(heading).to_have_text("Hubungkan ponsel ini")
