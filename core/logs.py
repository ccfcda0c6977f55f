"""Log lines as JSON objects (or plain text for a terminal), each with its request id.

What is logged are ids and outcomes: a record's message never carries a phone number or a
message text, and an exception is logged by its type and stack, never its message (which
could quote what someone wrote).
"""

from __future__ import annotations

import json
import logging
import re
import traceback
import uuid
from datetime import UTC, datetime

from flask import Flask, Response, g, has_request_context, request

#: Ids a log call may pass with `extra=`, copied into the JSON object.
ID_FIELDS = ("message_id", "case_id", "outbox_id", "report_id", "job")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


_base_factory = logging.getLogRecordFactory()


def _record_with_request_id(*args: object, **kwargs: object) -> logging.LogRecord:
    """Stamp each record with the id of the request it was logged in (None outside one)."""
    record = _base_factory(*args, **kwargs)
    record.request_id = g.get("request_id") if has_request_context() else None
    return record


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if request_id := getattr(record, "request_id", None):
            entry["request_id"] = request_id
        for field in ID_FIELDS:
            if hasattr(record, field):
                entry[field] = getattr(record, field)
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception"] = record.exc_info[0].__name__
            entry["stack"] = "".join(traceback.format_tb(record.exc_info[2]))
        return json.dumps(entry, default=str)


def handler(fmt: str) -> logging.Handler:
    """A stderr handler in the chosen format ("json" or "plain")."""
    out = logging.StreamHandler()
    if fmt == "plain":
        out.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
        )
    else:
        out.setFormatter(JsonFormatter())
    out.addFilter(_has_request_id)
    return out


def _has_request_id(record: logging.LogRecord) -> bool:
    """Give a record made before the factory was installed an empty request id."""
    if not hasattr(record, "request_id"):
        record.request_id = None
    return True


def init_app(app: Flask) -> None:
    """Give every request an id (the caller's X-Request-ID when sane) and echo it back."""
    logging.setLogRecordFactory(_record_with_request_id)

    @app.before_request
    def _request_id() -> None:
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex

    @app.after_request
    def _echo(response: Response) -> Response:
        if "request_id" in g:
            response.headers["X-Request-ID"] = g.request_id
        return response
