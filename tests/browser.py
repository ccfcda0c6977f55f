"""Real-browser fixtures: Playwright driving Debian's Chromium, the app served on loopback.

Playwright cannot download browsers here; `scripts/install-browser` installs Debian's
chromium-headless-shell, which these fixtures point Playwright at.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from werkzeug.serving import make_server

CANDIDATES = (
    os.environ.get("CHROMIUM_PATH"),
    "/usr/lib/chromium/chromium-headless-shell",
    "/usr/lib/chromium/chromium",
)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """Launch Debian's Chromium binary instead of a Playwright download."""
    exe = next((p for p in CANDIDATES if p and os.access(p, os.X_OK)), None)
    if exe is None:
        pytest.fail("no Chromium: run scripts/install-browser (see README, Developing)")
    return {**browser_type_launch_args, "executable_path": exe}


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """Serve the test app on a free loopback port from a thread; yield its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()
