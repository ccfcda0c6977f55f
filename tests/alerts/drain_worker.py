"""One drain worker process for the multi-process outbox test: URL, name, output file."""

from __future__ import annotations

import sys
import uuid
from datetime import datetime

from channels import Outgoing, SendOutcome, SendResult
from core import clock
from core.app import create_app
from tests.conftest import test_config


class FileProvider:
    """Accept every message and append its text to a file, one line each."""

    name = "file"

    def __init__(self, path: str) -> None:
        self.out = open(path, "a", encoding="utf-8")  # noqa: SIM115 - closed by main

    def send(self, msg: Outgoing) -> SendResult:
        self.out.write(msg.body + "\n")
        self.out.flush()
        return SendResult(SendOutcome.SENT, f"SM{uuid.uuid4().hex}")

    def find_sent(self, msg: Outgoing, since: datetime) -> str | None:
        return None


def main(url: str, name: str, path: str) -> None:
    """Drain until two drains in a row find nothing."""
    from alerts.outbox import drain

    app = create_app(test_config(url))
    provider = FileProvider(path)
    idle = 0
    with app.app_context():
        while idle < 2:
            idle = 0 if drain(clock.now(), provider, name, limit=20).claimed else idle + 1
    provider.out.close()


if __name__ == "__main__":
    main(*sys.argv[1:4])
