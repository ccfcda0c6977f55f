"""Pages stay light enough for a phone on a slow connection, and speak both languages."""

from __future__ import annotations

import pytest

from console import i18n

LIMIT = 100 * 1024
PAGES = {
    "staff_a": ["/console/", "/console/cases/{a}", "/console/cases/new", "/console/export"],
    "coordinator": [
        "/console/",
        "/console/dashboard",
        "/console/routing",
        "/console/rosters",
        "/console/rosters/DP3A-7210",
        "/console/accounts",
        "/console/cases/{a}",
    ],
}


@pytest.mark.parametrize("role", list(PAGES))
def test_every_page_with_its_style_and_script_is_under_100_kb(as_role, people, role):
    client = as_role(role)
    assets = 0
    for name in ("console.css", "console.js"):
        with client.get(f"/console/static/{name}") as response:
            assets += len(response.data)
    for path in PAGES[role]:
        response = client.get(path.format(a=people.cases["a"].reference))
        assert response.status_code == 200, path
        assert len(response.data) + assets < LIMIT, path


def test_every_console_key_has_indonesian_and_english():
    indonesian, english = i18n.catalogue("id"), i18n.catalogue("en")
    assert len(indonesian) > 200
    assert set(indonesian) == set(english)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_pages_show_no_raw_keys(as_role, people, lang):
    client = as_role("coordinator")
    for path in PAGES["coordinator"]:
        page = client.get(f"{path.format(a=people.cases['a'].reference)}?lang={lang}")
        text = page.get_data(as_text=True)
        assert "console." not in text.replace("console.css", "").replace("console.js", ""), path
