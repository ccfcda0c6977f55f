"""The browser fixtures work: Debian's Chromium loads a page the test app serves."""

from __future__ import annotations

import json

from playwright.sync_api import Page


def test_chromium_reads_a_page_from_the_live_server(page: Page, live_server: str) -> None:
    response = page.goto(f"{live_server}/healthz")
    assert response is not None
    assert response.status == 200
    assert json.loads(page.inner_text("body")) == {"status": "ok"}
