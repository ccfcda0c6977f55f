"""The Twilio webhooks: inbound SMS and WhatsApp, and status callbacks."""

from __future__ import annotations

import hashlib
import hmac
import logging

from flask import Blueprint, Response, abort, current_app, request
from sqlalchemy.exc import DBAPIError

from channels import CHANNELS, ChannelError
from channels.twilio import twiml_reply, verify_signature
from core import clock
from core.db import db
from models.vocab import Channel
from webhooks import spool
from webhooks.inbound import receive

log = logging.getLogger(__name__)
bp = Blueprint("twilio_webhooks", __name__, url_prefix="/webhooks/twilio")


#: Twilio's largest webhook (1,600 characters and ten media URLs) is a few kilobytes.
MAX_WEBHOOK_BYTES = 64 * 1024
#: The only body Twilio's webhooks ever carry.
#: https://www.twilio.com/docs/usage/webhooks/webhooks-overview
FORM_TYPE = "application/x-www-form-urlencoded"
#: The answer to every inbound message (the reply follows through the outbox), built once.
EMPTY_TWIML = twiml_reply(None)


@bp.before_request
def _limit_body() -> None:
    """Refuse, with 413, bodies larger than Twilio ever sends."""
    request.max_content_length = MAX_WEBHOOK_BYTES


def webhook_token() -> str:
    """The token Twilio signs with; without credentials, one derived for local simulation."""
    token = current_app.config.get("TWILIO_AUTH_TOKEN")
    if token:
        return token
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, b"sigap/console-webhook", hashlib.sha256).hexdigest()


def signed_url() -> str:
    """The URL Twilio called: PUBLIC_BASE_URL behind a proxy, else the request's own."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        return base.rstrip("/") + request.full_path.rstrip("?")
    return request.url


def _verified_form() -> dict[str, str]:
    """The form fields of a request Twilio signed; 403 for anything else."""
    form = request.form.to_dict()
    if not verify_signature(
        webhook_token(), signed_url(), form, request.headers.get("X-Twilio-Signature")
    ):
        log.warning("webhook %s refused: bad or missing signature", request.path)
        abort(403)
    if request.mimetype != FORM_TYPE:
        # Checked after the signature, so an unsigned caller learns nothing of what we accept.
        log.warning("webhook %s refused: body is not a urlencoded form", request.path)
        abort(415, description=f"Twilio webhooks are {FORM_TYPE} forms.")
    return form


def _bad_request(exc: ChannelError) -> tuple[dict, int]:
    return {"error": {"code": exc.code, "message": exc.message}}, 400


@bp.post("/<any(sms, whatsapp):kind>")
def inbound(kind: str) -> Response | tuple[dict, int]:
    """Store the message and answer an empty TwiML at once; spool it if the database is down.

    The worker interprets it; the reply goes out through the outbox.
    """
    form = _verified_form()
    try:
        msg = CHANNELS[kind].parse_inbound(form)
    except ChannelError as exc:
        return _bad_request(exc)
    try:
        receive(db.session, msg)
    except DBAPIError as exc:
        db.session.rollback()
        spool.write(spool.directory(), kind, form, clock.now())
        log.warning(
            "inbound sid=%s spooled: database error %s", msg.provider_message_id, type(exc).__name__
        )
    return Response(EMPTY_TWIML, mimetype="application/xml")


@bp.post("/status")
def status() -> Response | tuple[dict, int]:
    """Move an outbound message along its delivery states."""
    from alerts.outbox import apply_status

    form = _verified_form()
    try:
        update = CHANNELS[Channel.SMS].parse_status(form)
    except ChannelError as exc:
        return _bad_request(exc)
    apply_status(db.session, update, clock.now())
    db.session.commit()
    return Response(status=204)
