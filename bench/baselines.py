"""Baseline apps for the intake benchmark, served by the same gunicorn settings as SIGAP.

(a) ``bare``: Flask answering the same TwiML, the limit of the stack.
(b) ``minimal``: the same plus Twilio's signature check and one committed SQLite insert,
the least any correct intake must do. Select with BASELINE=bare|minimal.
"""

from __future__ import annotations

import os
import sqlite3

from flask import Flask, Response, abort, request
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

TWIML = str(MessagingResponse().message("Pesan Anda sudah kami terima. Terima kasih."))


def create_app() -> Flask:
    """Build the baseline app chosen by BASELINE."""
    kind = os.environ.get("BASELINE", "bare")
    app = Flask("baseline")
    validator = RequestValidator(os.environ.get("TWILIO_AUTH_TOKEN", "bench-token"))
    db_path = os.environ.get("BASELINE_DB", "/tmp/sigap-baseline.db")
    local = {}

    def connection() -> sqlite3.Connection:
        if "conn" not in local or local.get("pid") != os.getpid():
            conn = sqlite3.connect(db_path, isolation_level=None, timeout=5)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")  # the same durability as SIGAP
            conn.execute(
                "CREATE TABLE IF NOT EXISTS msg"
                " (id INTEGER PRIMARY KEY, sid TEXT UNIQUE, body TEXT)"
            )
            local.update(conn=conn, pid=os.getpid())
        return local["conn"]

    @app.post("/webhooks/twilio/<kind_>")
    def webhook(kind_: str) -> Response:
        if kind == "minimal":
            form = request.form.to_dict()
            if not validator.validate(
                request.url, form, request.headers.get("X-Twilio-Signature", "")
            ):
                abort(403)
            conn = connection()
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(
                "INSERT OR IGNORE INTO msg (sid, body) VALUES (?, ?)",
                (form.get("MessageSid"), form.get("Body")),
            )
            conn.execute("COMMIT")
        return Response(TWIML, mimetype="application/xml")

    return app


app = create_app()
