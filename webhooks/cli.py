"""`simulate`: send the running server a signed webhook, as Twilio would."""

from __future__ import annotations

import secrets
import urllib.error
import urllib.parse
import urllib.request

import click
from flask import Flask
from twilio.request_validator import RequestValidator

from webhooks.twilio import webhook_token

#: An invented reporter number in +62 808, a block allocated to no operator.
DEMO_SENDER = "+6280800000555"


@click.command("simulate")
@click.argument("kind", type=click.Choice(["sms", "whatsapp"]))
@click.argument("text")
@click.option("--sender", default=DEMO_SENDER, show_default=True, help="The sending number.")
@click.option("--url", "base", default="http://127.0.0.1:5000", show_default=True)
def simulate_command(kind: str, text: str, sender: str, base: str) -> None:
    """Post a signed inbound message to the server and print its TwiML answer."""
    prefix = "whatsapp:" if kind == "whatsapp" else ""
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
            click.echo(f"{response.status} {response.read().decode()}")
    except urllib.error.HTTPError as exc:
        raise click.ClickException(f"{url} answered {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise click.ClickException(
            f"no SIGAP server answers at {base} ({reason}): start it with `make run`, "
            "or give its address with --url"
        ) from None


def init_app(app: Flask) -> None:
    """Register the webhook commands."""
    app.cli.add_command(simulate_command)
