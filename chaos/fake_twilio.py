"""A small stand-in for Twilio's Messages API on 127.0.0.1 that remembers what it accepted.

    python chaos/fake_twilio.py PORT LOG [--drop-answer FRACTION] [--seed SEED]

POST .../Messages.json accepts a message with a new sid and appends one JSON line to LOG
(sid, To, Body) before answering; GET .../Messages.json lists what it accepted for a To,
newest first, as Twilio does. The app's outbox looks a message up this way before sending
again after an attempt whose outcome it never learnt, so unlike a stateless spec mock this
one can say "already sent". With --drop-answer, that fraction of accepted messages gets no
answer at all (the connection closes), the fault that makes the outcome unknown, until the
process gets SIGUSR1.
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import threading
import uuid
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit


class Store:
    """Accepted messages, in memory and in the log."""

    def __init__(self, log_path: str, drop: float, seed: str) -> None:
        self.lock = threading.Lock()
        self.messages: list[dict[str, str]] = []
        self.log = open(log_path, "a", encoding="utf-8")  # noqa: SIM115 - open for the server's life
        self.drop = drop
        self.rng = random.Random(seed)

    def accept(self, account: str, form: dict[str, str]) -> tuple[dict[str, str], bool]:
        """Record a message; return it and whether its answer is to be dropped."""
        now = datetime.now(UTC)
        message = {
            "sid": "SM" + uuid.uuid4().hex,
            "account_sid": account,
            "to": form.get("To", ""),
            "from": form.get("From") or form.get("MessagingServiceSid", ""),
            "body": form.get("Body", ""),
            "status": "queued",
            "direction": "outbound-api",
            "date_created": format_datetime(now, usegmt=True),
            "date_updated": format_datetime(now, usegmt=True),
            "date_sent": None,
            "num_segments": "1",
            "api_version": "2010-04-01",
            "uri": f"/2010-04-01/Accounts/{account}/Messages/{{sid}}.json",
        }
        message["uri"] = message["uri"].replace("{sid}", message["sid"])
        with self.lock:
            self.messages.append(message)
            dropped = self.rng.random() < self.drop
            line = {"sid": message["sid"], "to": message["to"], "body": message["body"]}
            self.log.write(json.dumps({**line, "answer_dropped": dropped}) + "\n")
            self.log.flush()
        return message, dropped

    def listed(self, to: str, limit: int, page: int = 0) -> tuple[list[dict[str, str]], bool]:
        """One page of the messages to `to`, newest first, and whether more follow."""
        with self.lock:
            found = [m for m in self.messages if not to or m["to"] == to]
        newest_first = list(reversed(found))
        start = page * limit
        return newest_first[start : start + limit], len(newest_first) > start + limit


class Handler(BaseHTTPRequestHandler):
    store: Store
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the store's log is the record."""

    def _account(self) -> str | None:
        parts = urlsplit(self.path).path.split("/")
        # /2010-04-01/Accounts/{sid}/Messages.json
        if len(parts) == 5 and parts[2] == "Accounts" and parts[4] == "Messages.json":
            return parts[3]
        return None

    def _send(self, status: int, payload: dict) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        account = self._account()
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        if account is None:
            self._send(404, {"code": 20404, "message": "not found", "status": 404})
            return
        message, dropped = self.store.accept(account, form)
        if dropped:
            self.close_connection = True
            self.connection.close()  # accepted, but the answer never arrives
            return
        self._send(201, message)

    def do_GET(self) -> None:
        account = self._account()
        if account is None:
            self._send(404, {"code": 20404, "message": "not found", "status": 404})
            return
        query = parse_qs(urlsplit(self.path).query)
        size = int(query.get("PageSize", ["50"])[0])
        page = int(query.get("Page", ["0"])[0])
        to = query.get("To", [""])[0]
        found, more = self.store.listed(to, size, page)
        uri = urlsplit(self.path).path
        # Pages as Twilio gives them: the client follows next_page_uri as it stands.
        following = f"{uri}?{urlencode({'To': to, 'PageSize': size, 'Page': page + 1})}"
        self._send(
            200,
            {
                "messages": found,
                "page": page,
                "page_size": size,
                "first_page_uri": uri,
                "next_page_uri": following if more else None,
                "previous_page_uri": None,
                "uri": uri,
                "start": 0,
                "end": max(0, len(found) - 1),
            },
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("port", type=int)
    parser.add_argument("log")
    parser.add_argument("--drop-answer", type=float, default=0.0)
    parser.add_argument("--seed", default="fake-twilio")
    args = parser.parse_args()
    Handler.store = Store(args.log, args.drop_answer, args.seed)

    def stop_dropping(_signum: int, _frame: object) -> None:
        Handler.store.drop = 0.0
        print(f"answers no longer dropped after {len(Handler.store.messages)}", flush=True)

    signal.signal(signal.SIGUSR1, stop_dropping)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
