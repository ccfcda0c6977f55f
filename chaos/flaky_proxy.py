"""An HTTP proxy on 127.0.0.1 that fails for a while, then passes requests through.

    python chaos/flaky_proxy.py PORT UPSTREAM LOG --fail-for SECONDS [--seed S]

For the first SECONDS after the first request, each request gets one fault, drawn at
random: Twilio's 500, Twilio's 429, the connection closed without an answer, or (at most
--max-hangs times) no answer until the client gives up. A faulted request never reaches
UPSTREAM. After that every request is forwarded. Each request is one JSON line in LOG: the
fault or the upstream's status, and for a message sent its To and Body, so a test can count
what reached the upstream per message.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

#: Faults and their weights while failing.
FAULTS = {"500": 45, "429": 35, "reset": 14, "hang": 6}
_ERRORS = {
    "500": (500, {"code": 20500, "message": "Internal Server Error", "status": 500}),
    "429": (429, {"code": 20429, "message": "Too Many Requests", "status": 429}),
}


class Proxy:
    """The fault schedule and the log, shared by the handler threads."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.upstream = urlsplit(args.upstream)
        self.fail_for = args.fail_for
        self.hangs_left = args.max_hangs
        self.hang_seconds = args.hang_seconds
        self.rng = random.Random(args.seed)
        self.lock = threading.Lock()
        self.first: float | None = None
        self.log = open(args.log, "a", encoding="utf-8")  # noqa: SIM115 - open for the server's life

    def fault(self) -> str | None:
        """Draw this request's fault, None once the failing period is over."""
        with self.lock:
            now = time.monotonic()
            self.first = self.first if self.first is not None else now
            if now - self.first >= self.fail_for:
                return None
            names = [n for n in FAULTS if n != "hang" or self.hangs_left > 0]
            name = self.rng.choices(names, [FAULTS[n] for n in names])[0]
            if name == "hang":
                self.hangs_left -= 1
            return name

    def record(self, entry: dict) -> None:
        with self.lock:
            self.log.write(json.dumps(entry) + "\n")
            self.log.flush()


class Handler(BaseHTTPRequestHandler):
    proxy: Proxy

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the proxy's own log is the record."""

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        entry = {"t": time.time(), "method": self.command, "path": urlsplit(self.path).path}
        if self.command == "POST":
            entry.update(to=form.get("To"), body=form.get("Body"))
        fault = self.proxy.fault()
        entry["fault"] = fault
        if fault in _ERRORS:
            status, payload = _ERRORS[fault]
            self._answer(status, json.dumps(payload).encode(), "application/json")
        elif fault in ("reset", "hang"):
            if fault == "hang":
                time.sleep(self.proxy.hang_seconds)  # longer than the client waits
            self.close_connection = True
        else:
            status, data, kind = self._forward(body)
            entry["status"] = status
            self._answer(status, data, kind)
        self.proxy.record(entry)

    def _forward(self, body: bytes) -> tuple[int, bytes, str]:
        up = self.proxy.upstream
        conn = http.client.HTTPConnection(up.hostname, up.port, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        try:
            conn.request(self.command, self.path, body or None, headers)
            answer = conn.getresponse()
            return answer.status, answer.read(), answer.getheader("Content-Type") or ""
        finally:
            conn.close()

    def _answer(self, status: int, data: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    do_GET = _handle
    do_POST = _handle


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("port", type=int)
    parser.add_argument("upstream")
    parser.add_argument("log")
    parser.add_argument("--fail-for", type=float, required=True)
    parser.add_argument("--seed", default="flaky")
    parser.add_argument("--max-hangs", type=int, default=2)
    parser.add_argument("--hang-seconds", type=float, default=12.0)
    args = parser.parse_args()
    Handler.proxy = Proxy(args)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
