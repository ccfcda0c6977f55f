"""The SMS Gateway for Android webhook: received SMS and MMS, delivery reports, heartbeats."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, current_app, request
from sqlalchemy.exc import DBAPIError

from channels import ChannelError
from channels import smsgate as gate
from channels.media import MAX_BYTES
from core import clock
from core.db import db
from webhooks import gateway, mms

log = logging.getLogger(__name__)
bp = Blueprint("smsgate_webhooks", __name__, url_prefix="/webhooks/smsgate")

#: A downloaded MMS carries its attachments in base64: one at the media cap, and the rest
#: of the event. (SMS events are well under a kilobyte.)
MAX_WEBHOOK_BYTES = MAX_BYTES * 4 // 3 + 64 * 1024


@bp.before_request
def _limit_body() -> None:
    """Refuse, with 413, bodies larger than the app ever sends."""
    request.max_content_length = MAX_WEBHOOK_BYTES


def _verified_body() -> bytes:
    """The raw body of a delivery the phone signed, fresh; 403 for anything else."""
    body = request.get_data(cache=True)
    if not gate.verify_signature(
        current_app.config.get("SMSGATE_SIGNING_KEY"),
        body,
        request.headers.get("X-Timestamp"),
        request.headers.get("X-Signature"),
        clock.now(),
    ):
        log.warning("webhook %s refused: bad, stale or missing signature", request.path)
        abort(403)
    return body


@bp.post("")
def event() -> Response | tuple[dict, int]:
    """Store a received SMS or MMS or apply a delivery report, and answer at once."""
    from alerts.outbox import apply_status

    body = _verified_body()
    try:
        evt = gate.parse_event(body)
        msg = gate.inbound_message(evt) if evt.kind == gate.RECEIVED else None
        update = gate.status_update(evt) if evt.kind in gate.STATUS_MAP else None
        half = gate.mms_event(evt) if evt.kind in gate.MMS_EVENTS else None
    except ChannelError as exc:
        return {"error": {"code": exc.code, "message": exc.message}}, 400
    now = clock.now()
    try:
        gateway.heard_from(db.session, gate.PROVIDER, evt.device_id, now)
        if update is not None:
            apply_status(db.session, update, now)
        db.session.commit()
        if half is not None and not mms.store(db.session, half, now):
            log.info("smsgate event %s duplicate", evt.id)
        if msg is not None:
            received_at = gate.parse_time(evt.payload.get("receivedAt"))
            key = gate.content_key(msg.sender, msg.text, received_at)
            if not gateway.store_received(db.session, msg, key, now):
                log.info("smsgate event %s duplicate", evt.id)
    except (DBAPIError, OSError) as exc:
        # The phone retries a delivery that failed, and the catch-up job reads its inbox.
        db.session.rollback()
        log.warning("smsgate event %s not stored: %s", evt.id, type(exc).__name__)
        return {"error": {"code": "unavailable", "message": "try again later"}}, 503
    return Response(status=204)
