"""The WhatsApp Cloud API webhook: Meta's verification challenge, messages and statuses."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, current_app, request
from sqlalchemy.exc import DBAPIError

from channels import ChannelError
from channels import whatsapp_cloud as cloud
from core import clock
from core.db import db
from webhooks.inbound import receive

log = logging.getLogger(__name__)
bp = Blueprint("whatsapp_cloud_webhooks", __name__, url_prefix="/webhooks/whatsapp-cloud")

#: Meta batches at most a few messages and statuses in one delivery.
MAX_WEBHOOK_BYTES = 256 * 1024


@bp.before_request
def _limit_body() -> None:
    """Refuse, with 413, bodies larger than Meta ever sends."""
    request.max_content_length = MAX_WEBHOOK_BYTES


@bp.get("")
def challenge() -> Response:
    """Answer Meta's subscription check with its challenge when the verify token matches."""
    answer = cloud.verify_challenge(
        current_app.config.get("WHATSAPP_CLOUD_VERIFY_TOKEN"), request.args
    )
    if answer is None:
        abort(403)
    return Response(answer, mimetype="text/plain")


@bp.post("")
def deliveries() -> Response | tuple[dict, int]:
    """Store each message and apply each status of a signed delivery; answer at once."""
    from alerts.outbox import apply_status

    body = request.get_data(cache=True)
    secret = current_app.config.get("WHATSAPP_CLOUD_APP_SECRET")
    if not cloud.verify_signature(secret, body, request.headers.get("X-Hub-Signature-256")):
        log.warning("webhook %s refused: bad or missing signature", request.path)
        abort(403)
    try:
        delivery = cloud.parse(body)
    except ChannelError as exc:
        return {"error": {"code": exc.code, "message": exc.message}}, 400
    try:
        for msg in delivery.messages:
            receive(db.session, msg)  # each stored and committed on its own, once
        now = clock.now()
        for update in delivery.statuses:
            apply_status(db.session, update, now)
        db.session.commit()
    except DBAPIError as exc:
        # Meta retries a delivery that was not answered 200; stored messages stay once.
        db.session.rollback()
        log.warning("whatsapp cloud delivery not stored: %s", type(exc).__name__)
        return {"error": {"code": "unavailable", "message": "try again later"}}, 503
    return Response(status=200)
