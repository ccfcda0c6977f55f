"""The /metrics page: every process's counters (core.metrics) and gauges read from the state.

Labels carry channel, provider, outcome and priority names only: never a number or a text.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import clock
from core.metrics import ACCEPTANCE, SENDS, WEBHOOKS
from models import (
    Case,
    CaseStatus,
    GatewayHeartbeat,
    InboundMessage,
    InboundStatus,
    Lease,
    Outbox,
    OutboxStatus,
    Priority,
)
from webhooks import spool

#: Messages waiting to be interpreted; LIMITED ones are held on purpose and not a backlog.
WAITING = (InboundStatus.RECEIVED, InboundStatus.FAILED)
#: Outbox rows that still have to leave.
DUE = (OutboxStatus.PENDING, OutboxStatus.SENDING)
#: How far back interpretation latency is measured.
LATENCY_WINDOW = timedelta(minutes=15)


def _age(now: datetime, then: datetime | None) -> float:
    return 0.0 if then is None else max(0.0, (now - then).total_seconds())


def _quantile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class StateCollector(Collector):
    """Gauges read from the database and the spool at each scrape."""

    def __init__(self, session: Session, spool_dir: Path, lease_seconds: float) -> None:
        self.session, self.spool_dir, self.lease_seconds = session, spool_dir, lease_seconds

    def collect(self) -> Iterable[Metric]:
        """Read the state once and yield every gauge."""
        now, s = clock.now(), self.session
        oldest = s.scalar(
            select(func.min(InboundMessage.received_at)).where(InboundMessage.status.in_(WAITING))
        )
        yield _gauge(
            "sigap_inbound_oldest_waiting_seconds",
            "Age of the oldest message not yet interpreted (0 when none waits).",
            _age(now, oldest),
        )
        yield _gauge(
            "sigap_inbound_waiting",
            "Messages stored and not yet interpreted.",
            s.scalar(select(func.count()).where(InboundMessage.status.in_(WAITING))) or 0,
        )
        yield self._interpretation(now)
        due_count, due_oldest = s.execute(
            select(func.count(), func.min(Outbox.next_attempt_at)).where(
                Outbox.status.in_(DUE), Outbox.next_attempt_at <= now
            )
        ).one()
        yield _gauge("sigap_outbox_due", "Outbound messages due to be sent now.", due_count)
        yield _gauge(
            "sigap_outbox_oldest_due_seconds",
            "How long the oldest due outbound message has waited (0 when none).",
            _age(now, due_oldest),
        )
        yield self._overdue(now)
        yield self._gateways(now)
        yield self._leader(now)
        yield _gauge(
            "sigap_spool_files",
            "Webhooks spooled while the database could not take them, waiting for replay.",
            len(spool.pending(self.spool_dir, limit=1_000_000)),
        )

    def _interpretation(self, now: datetime) -> Metric:
        rows = self.session.execute(
            select(InboundMessage.received_at, InboundMessage.processed_at).where(
                InboundMessage.processed_at >= now - LATENCY_WINDOW
            )
        ).all()
        seconds = [_age(done, received) for received, done in rows if done is not None]
        family = GaugeMetricFamily(
            "sigap_interpretation_seconds",
            "Time from storing a message to its interpretation, over the last 15 minutes.",
            labels=["quantile"],
        )
        for q in (0.5, 0.95):
            family.add_metric([str(q)], _quantile(seconds, q))
        return family

    def _overdue(self, now: datetime) -> Metric:
        counts = dict(
            self.session.execute(
                select(Case.priority, func.count())
                .where(Case.status == CaseStatus.BARU, Case.ack_due_at < now)
                .group_by(Case.priority)
            ).all()
        )
        family = GaugeMetricFamily(
            "sigap_cases_unacknowledged_overdue",
            "Cases nobody acknowledged within their deadline, by priority.",
            labels=["priority"],
        )
        for priority in Priority:
            family.add_metric([priority], counts.get(priority, 0))
        return family

    def _gateways(self, now: datetime) -> Metric:
        family = GaugeMetricFamily(
            "sigap_gateway_last_heartbeat_seconds",
            "Seconds since each SMS gateway phone was last heard from (its app's device id).",
            labels=["gateway"],
        )
        rows = self.session.execute(
            select(GatewayHeartbeat.device_id, GatewayHeartbeat.last_seen_at)
        ).all()
        for device, seen in rows:
            family.add_metric([device], _age(now, seen))
        return family

    def _leader(self, now: datetime) -> Metric:
        expires = self.session.scalar(select(Lease.expires_at).where(Lease.name == "scheduler"))
        renewed = None if expires is None else expires - timedelta(seconds=self.lease_seconds)
        return _gauge(
            "sigap_scheduler_leader_age_seconds",
            "Seconds since the scheduler's leader last renewed its lease (-1: no leader yet).",
            -1.0 if renewed is None else _age(now, renewed),
        )


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=float(value))


def render(state: StateCollector) -> bytes:
    """The text exposition of every process's counters and the state gauges."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        for collector in (WEBHOOKS, ACCEPTANCE, SENDS):
            registry.register(collector)
    registry.register(state)
    return generate_latest(registry)
