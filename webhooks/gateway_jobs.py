"""Jobs for SMS gateway phones: tell admins when one goes silent; fetch what never arrived."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from apscheduler.triggers.interval import IntervalTrigger
from flask import current_app
from sqlalchemy import delete, select

from alerts.outbox import notify_admins
from channels import ChannelError, InboundMessage, make_provider
from channels import smsgate as gate
from channels.router import Router
from channels.smsgate_send import SmsGateProvider
from core.db import db
from core.jobs import Job, register
from models import Channel, GatewayHeartbeat, GatewayReceipt
from webhooks.gateway import store_received

log = logging.getLogger(__name__)
#: A gateway not heard from this long is off, out of credit or out of signal.
SILENT_AFTER = timedelta(minutes=15)
#: How far back the catch-up reads the phone's inbox: the longest outage it repairs.
CATCH_UP_WINDOW = timedelta(hours=24)
#: Interval triggers count from a fixed origin, so every process agrees on the moments.
_ORIGIN = datetime(2024, 1, 1, tzinfo=UTC)


def check_gateways(now: datetime) -> str:
    """Tell admins about each gateway silent for 15 minutes, once until it is heard again."""
    silent = db.session.scalars(
        select(GatewayHeartbeat).where(
            GatewayHeartbeat.last_seen_at < now - SILENT_AFTER,
            GatewayHeartbeat.silent_alerted_at.is_(None),
        )
    ).all()
    for row in silent:
        minutes = int((now - row.last_seen_at).total_seconds() // 60)
        notify_admins(db.session, "alert.admin.gateway_silent", now, minutes=minutes)
        row.silent_alerted_at = now
        log.warning("gateway %s silent for %d minutes", row.id, minutes)
    db.session.commit()
    return f"{len(silent)} gateways newly silent"


def _smsgate() -> SmsGateProvider | None:
    provider = make_provider(current_app.config)
    sender = provider.for_channel(Channel.SMS) if isinstance(provider, Router) else provider
    return sender if isinstance(sender, SmsGateProvider) else None


def catch_up_smsgate(now: datetime) -> str:
    """Store the SMS in the phone's inbox that never reached the webhook, each once."""
    provider = _smsgate()
    if provider is None:
        return "smsgate not configured"
    stored = seen = 0
    try:
        for item in provider.inbox(now - CATCH_UP_WINDOW, now):
            seen += 1
            msg = InboundMessage(
                provider=gate.PROVIDER,
                channel=Channel.SMS,
                provider_message_id=f"inbox:{item.id}",
                sender=item.sender,
                recipient="",
                text=item.text,
            )
            key = gate.content_key(item.sender, item.text, item.received_at)
            stored += store_received(db.session, msg, key, now)
    except ChannelError as exc:
        db.session.rollback()
        return f"inbox not read ({exc.code}); {stored} stored"
    finally:
        provider.close()
    db.session.execute(
        delete(GatewayReceipt).where(GatewayReceipt.created_at < now - 3 * CATCH_UP_WINDOW)
    )
    db.session.commit()
    return f"{seen} in the inbox, {stored} stored"


def register_jobs() -> None:
    """Put the gateway jobs on the schedule."""
    register(
        Job("gateway.liveness", IntervalTrigger(minutes=1, start_date=_ORIGIN), check_gateways)
    )
    register(
        Job(
            "smsgate.catch_up",
            IntervalTrigger(minutes=15, start_date=_ORIGIN),
            catch_up_smsgate,
            grace=timedelta(minutes=15),
        )
    )
