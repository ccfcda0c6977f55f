"""Measure how fast the facilitator app opens on a "slow 3G" phone, first and later visits.

Run alone: .venv/bin/python bench/app_shell.py [--visits N]

The network is throttled as Chrome DevTools' "Slow 3G" preset does (2 s round trip,
50 kB/s each way) through CDP Network.emulateNetworkConditions. The figure is the time from
the start of the navigation to the app's `sigap-ready` mark (page shown, texts applied,
storage read). After the first visit the service worker serves the shell from its cache,
so later visits do not wait on the network at all. Target: under 1 s after the first visit.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Page, sync_playwright  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from bench.common import DATA_KEY, write_result  # noqa: E402  (the root is on the path above)
from core.app import create_app  # noqa: E402

#: Chrome DevTools' "Slow 3G": 400 ms × 5 latency, 500 kbit/s × 0.8 each way.
SLOW_3G = {
    "offline": False,
    "latency": 2000,
    "downloadThroughput": 500 * 1000 / 8 * 0.8,
    "uploadThroughput": 500 * 1000 / 8 * 0.8,
}
TARGET_MS = 1000.0
CANDIDATES = (
    os.environ.get("CHROMIUM_PATH"),
    "/usr/lib/chromium/chromium-headless-shell",
    "/usr/lib/chromium/chromium",
)


def ready_ms(page: Page) -> float:
    """Wait for the app's ready mark; return its time since the navigation started."""
    page.wait_for_selector("html[data-ready='1']", state="attached", timeout=120_000)
    return page.evaluate("performance.getEntriesByName('sigap-ready')[0].startTime")


def measure(base_url: str, visits: int) -> dict[str, float | int]:
    exe = next((p for p in CANDIDATES if p and os.access(p, os.X_OK)), None)
    if exe is None:
        raise SystemExit("no Chromium: run scripts/install-browser")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe)
        page = browser.new_context().new_page()
        cdp = page.context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", SLOW_3G)
        page.goto(f"{base_url}/app/", wait_until="commit", timeout=120_000)
        first = ready_ms(page)
        page.wait_for_selector("html[data-offline=ready]", state="attached", timeout=120_000)
        later = []
        for _ in range(visits):
            page.reload(wait_until="commit")
            later.append(ready_ms(page))
        # For comparison: later visits with only the HTTP cache, no service worker.
        page = browser.new_context(service_workers="block").new_page()
        cdp = page.context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", SLOW_3G)
        page.goto(f"{base_url}/app/", wait_until="commit", timeout=120_000)
        ready_ms(page)
        without = []
        for _ in range(3):
            page.reload(wait_until="commit", timeout=120_000)
            without.append(ready_ms(page))
        browser.close()
    return {
        "first_visit_ms": round(first, 1),
        "later_median_ms": round(statistics.median(later), 1),
        "later_max_ms": round(max(later), 1),
        "visits": visits,
        "http_cache_only_median_ms": round(statistics.median(without), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--visits", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "DATABASE_URL": f"sqlite:///{tmp}/bench.db",
                "SECRET_KEY": "bench-secret",
                "SIGAP_DATA_KEY": DATA_KEY,
            }
        )
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            figures = measure(f"http://127.0.0.1:{server.server_port}", args.visits)
        finally:
            server.shutdown()
            server.server_close()
    figures["target_ms"] = TARGET_MS
    figures["met"] = figures["later_max_ms"] < TARGET_MS
    print(f"app shell on slow 3G: first visit {figures['first_visit_ms']:.0f} ms (network)")
    print(
        f"app shell on slow 3G: later visits median {figures['later_median_ms']:.0f} ms,"
        f" worst {figures['later_max_ms']:.0f} ms of {args.visits}"
        f" (target < {TARGET_MS:.0f} ms: {'met' if figures['met'] else 'NOT met'})"
    )
    print(
        "app shell on slow 3G: later visits with the HTTP cache only (no service worker)"
        f" median {figures['http_cache_only_median_ms']:.0f} ms"
    )
    write_result("app_shell", figures)


if __name__ == "__main__":
    main()
