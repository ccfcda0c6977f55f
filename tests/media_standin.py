"""A stand-in for the providers' media hosts on 127.0.0.1: Twilio's redirect to its CDN, and
the Cloud API's media id answering with a lookaside URL. It records every request."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

#: The bytes of a tiny JPEG-like file (a JPEG start marker and invented content).
PHOTO = b"\xff\xd8\xff\xe0" + b"sigap test photo " * 64 + b"\xff\xd9"
TWILIO_MEDIA = (
    "/2010-04-01/Accounts/AC0000000000000000000000000000c0de/Messages/"
    "MM1a2b3c4d5e6f708192a3b4c5d6e7f804/Media/ME1a2b3c4d5e6f708192a3b4c5d6e7f901"
)
CDN_PATH = "/AC0000000000000000000000000000c0de/photo-901"
CLOUD_MEDIA_ID = "1000000000000101"
LOOKASIDE_PATH = f"/whatsapp_business/attachments/?mid={CLOUD_MEDIA_ID}"


@dataclass
class StandIn:
    base_url: str
    requests: list[tuple[str, str]] = field(default_factory=list)  # (path, authorization)


@contextmanager
def media_standin() -> Iterator[StandIn]:
    """Serve the stand-in on a free loopback port for the duration of the block."""
    seen: list[tuple[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            seen.append((self.path, self.headers.get("Authorization", "")))
            if self.path == TWILIO_MEDIA:
                self._answer(307, b"", {"Location": f"https://media.twiliocdn.com{CDN_PATH}"})
            elif self.path == CDN_PATH or self.path == LOOKASIDE_PATH:
                self._answer(200, PHOTO, {"Content-Type": "image/jpeg"})
            elif self.path == f"/v21.0/{CLOUD_MEDIA_ID}":
                body = {
                    "url": f"https://lookaside.fbsbx.com{LOOKASIDE_PATH}",
                    "mime_type": "image/jpeg",
                    "id": CLOUD_MEDIA_ID,
                    "messaging_product": "whatsapp",
                }
                self._answer(200, json.dumps(body).encode(), {"Content-Type": "application/json"})
            elif self.path == "/elsewhere":
                self._answer(302, b"", {"Location": "https://files.example.net/x.jpg"})
            else:
                self._answer(404, b"", {})

        def _answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield StandIn(f"http://127.0.0.1:{server.server_address[1]}", seen)
    finally:
        server.shutdown()
        server.server_close()
