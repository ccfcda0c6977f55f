"""A facilitator's phone, driven through Playwright: pair, unlock, write, look inside storage."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page, expect

from tests.facilitator.conftest import SIDERA

PIN = "246810"
#: Key derivation runs 600,000 rounds; a busy test machine may need a few seconds.
SLOW = 20_000

HERE = Path(__file__).resolve().parent
#: Everything the page's origin keeps, bytes shown as latin-1 text (plain UTF-8 would show).
DUMP_STORAGE = (HERE / "dump-storage.js").read_text()
#: Every record opened with the PIN, as the app does (PBKDF2-SHA256, AES-GCM, id as AAD).
OPEN_RECORDS = (HERE / "open-records.js").read_text()


class Phone:
    """One page of the app at a live server."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.page, self.base_url = page, base_url

    @property
    def reports(self) -> Locator:
        return self.page.locator("#reports li")

    def open(self) -> None:
        self.page.goto(f"{self.base_url}/app/")
        self.wait_ready()

    def wait_ready(self) -> None:
        self.page.wait_for_selector("html[data-ready='1']", state="attached")

    def pair(self, token: str, pin: str = PIN) -> None:
        """Pair on the first visit, and wait until the app would open with no network."""
        self.open()
        self.page.fill("#pair-token", token)
        self.page.fill("#pair-pin", pin)
        self.page.fill("#pair-pin2", pin)
        self.page.click("#pair-submit")
        expect(self.page.locator("#home")).to_be_visible(timeout=SLOW)
        self.page.wait_for_selector("html[data-offline=ready]", state="attached")

    def unlock(self, pin: str = PIN) -> None:
        expect(self.page.locator("#lock")).to_be_visible()
        self.page.fill("#lock-pin", pin)
        self.page.click("#lock-submit")
        expect(self.page.locator("#lock-submit")).to_be_enabled(timeout=SLOW)

    def compose(self, text: str, village: str = SIDERA, **choices: str) -> None:
        before = self.reports.count()
        self.page.select_option("#f-category", choices.get("category", "kdrt"))
        self.page.select_option("#f-victim", choices.get("victim", "perempuan"))
        self.page.select_option("#f-priority", choices.get("priority", "tinggi"))
        self.page.select_option("#f-village", village)
        self.page.fill("#f-text", text)
        self.page.select_option("#f-contact", choices.get("contact", "yes"))
        self.page.click("#compose-save")
        expect(self.reports).to_have_count(before + 1)

    def storage(self) -> dict[str, Any]:
        return self.page.evaluate(DUMP_STORAGE)

    def open_records(self, pin: str = PIN) -> dict[str, Any]:
        return self.page.evaluate(OPEN_RECORDS, pin)
