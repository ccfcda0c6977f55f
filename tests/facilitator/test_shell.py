"""The app's files as a browser gets them: headers, versions, manifest, size."""

from __future__ import annotations

import json
import re

from facilitator import shell


def body(client, url: str) -> bytes:
    """Fetch a file and close it (a file response holds its file open until then)."""
    with client.get(url) as response:
        assert response.status_code == 200, url
        return response.get_data()


def test_app_redirects_to_its_scope_and_serves_the_page(client):
    assert client.get("/app").status_code == 308
    assert client.get("/app").headers["Location"].endswith("/app/")
    page = client.get("/app/")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-cache"
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    html = page.get_data(as_text=True)
    assert "<title>SIGAP</title>" in html
    assert f"/app/static/app.js?v={shell.version()}" in html


def test_the_service_worker_is_always_revalidated_and_names_its_versioned_cache(client):
    response = client.get("/app/sw.js")
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["Service-Worker-Allowed"] == "/app"
    script = response.get_data(as_text=True)
    assert f'const VERSION = "{shell.version()}"' in script
    shell_list = json.loads(re.search(r"const SHELL = (\[.*?\]);", script).group(1))
    assert shell_list == shell.shell_urls()
    for url in shell_list:
        body(client, url)


def test_files_of_the_current_version_are_cached_for_good_and_others_revalidated(client):
    with client.get(f"/app/static/app.js?v={shell.version()}") as current:
        assert current.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    with client.get("/app/static/app.js?v=0ld") as stale:
        assert stale.headers["Cache-Control"] == "no-cache"
    assert client.get("/app/static/secret.py").status_code == 404
    assert client.get("/app/static/..%2F__init__.py").status_code == 404


def test_the_manifest_makes_the_app_installable(client):
    with client.get("/app/manifest.webmanifest") as response:
        assert response.mimetype == "application/manifest+json"
        manifest = response.get_json(force=True)
    assert manifest["start_url"] == "/app/"
    assert manifest["display"] == "standalone"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        body(client, icon["src"])


def test_every_text_is_in_both_languages():
    texts = shell.texts()
    assert set(texts["id"]) == set(texts["en"])
    script = (shell.STATIC / "app.js").read_text() + (shell.STATIC / "index.html").read_text()
    used = set(re.findall(r'(?:t\(|data-t=)"([a-z_]+\.[a-z_]+)"', script))
    assert used
    # Keys made in code from a prefix and a value: every value has its text.
    used = {k for k in used if not k.endswith("_")}
    used |= {f"sync.error_{kind}" for kind in ("network", "token", "forbidden", "busy", "server")}
    assert used <= set(texts["id"])


def test_the_whole_app_stays_small(client):
    total = sum(len(body(client, url)) for url in [*shell.shell_urls(), "/app/sw.js"])
    assert total < 200 * 1024
