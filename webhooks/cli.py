"""`worker`: the interpretation worker; `simulate`: send the server a signed webhook."""

from __future__ import annotations

import secrets
import signal
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import click
from flask import Flask
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from core.cli import one_line_errors
from core.db import db
from models import Channel, InboundMessage, InboundStatus, Outbox
from webhooks.twilio import webhook_token
from webhooks.worker import Worker

#: An invented reporter number in +62 808, a block allocated to no operator.
DEMO_SENDER = "+6280800000555"
#: Seconds `simulate` waits for the worker's reply.
REPLY_WAIT_SECONDS = 5.0


@click.command("worker")
@click.option("--until-empty", is_flag=True, help="Interpret what is waiting, then exit.")
@one_line_errors
def worker_command(until_empty: bool) -> None:
    """Interpret stored messages and send their replies, until stopped (Ctrl-C)."""
    worker = Worker.for_app()
    if until_empty:
        click.echo(f"{worker.run_until_empty()} messages interpreted")
        worker.close()
        return
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        # Finish the message at hand, then stop: nothing is left half done.
        signal.signal(signum, lambda *_args: stop.set())
    worker.run(stop)


@click.command("simulate")
@click.argument("kind", type=click.Choice([c.value for c in Channel]))
@click.argument("text")
@click.option("--sender", default=DEMO_SENDER, show_default=True, help="The sending number.")
@click.option("--url", "base", default="http://127.0.0.1:5000", show_default=True)
def simulate_command(kind: str, text: str, sender: str, base: str) -> None:
    """Post a signed inbound message to the server, then print the worker's reply to it."""
    prefix = "whatsapp:" if kind == Channel.WHATSAPP else ""
    form = {
        "MessageSid": "SM" + secrets.token_hex(16),
        "AccountSid": "AC" + "0" * 32,
        "From": prefix + sender,
        "To": prefix + "+6280800000001",
        "Body": text,
        "NumMedia": "0",
    }
    url = f"{base.rstrip('/')}/webhooks/twilio/{kind}"
    signature = RequestValidator(webhook_token()).compute_signature(url, form)
    request = urllib.request.Request(  # noqa: S310 - the operator's own server
        url,
        data=urllib.parse.urlencode(form).encode(),
        headers={"X-Twilio-Signature": signature},
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310
            click.echo(f"webhook answered {response.status}")
    except urllib.error.HTTPError as exc:
        raise click.ClickException(f"{url} answered {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise click.ClickException(
            f"no SIGAP server answers at {base} ({reason}): start it with `make run`, "
            "or give its address with --url"
        ) from None
    reply = wait_for_reply(form["MessageSid"], REPLY_WAIT_SECONDS)
    if reply is None:
        click.echo(f"no reply within {REPLY_WAIT_SECONDS:.0f} s: is the worker running?")
    else:
        click.echo(f"reply: {reply or '(none: this message is not answered)'}")


def wait_for_reply(message_sid: str, timeout: float) -> str | None:
    """The reply the worker queued for a message ("" for none), or None if not yet done."""
    deadline = time.monotonic() + timeout
    while True:
        row = db.session.execute(
            select(InboundMessage.id, InboundMessage.status).where(
                InboundMessage.provider_message_id == message_sid
            )
        ).first()
        if row is not None and row.status != InboundStatus.RECEIVED:
            reply = db.session.scalar(
                select(Outbox.body)
                .where(Outbox.idempotency_key.in_((f"reply:{row.id}", f"reply:{row.id}:failed")))
                .limit(1)
            )
            db.session.commit()
            return reply or ""
        db.session.commit()
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.1)


def init_app(app: Flask) -> None:
    """Register the webhook commands."""
    app.cli.add_command(simulate_command)
    app.cli.add_command(worker_command)
