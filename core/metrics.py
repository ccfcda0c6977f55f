"""Counters every process keeps: webhooks answered, their latency, sends by outcome.

Under gunicorn each worker keeps its own; with ``PROMETHEUS_MULTIPROC_DIR`` set (``make
run`` sets it for the web server, the worker and the scheduler) each process writes its
counts to a file there and a scrape adds them up.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

WEBHOOKS = Counter(
    "sigap_webhooks", "Webhook requests answered, by channel and outcome.", ["channel", "outcome"]
)
ACCEPTANCE = Histogram(
    "sigap_webhook_acceptance_seconds",
    "Time from a webhook request's arrival to its answer.",
    ["channel"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
SENDS = Counter(
    "sigap_sends",
    "Send attempts handed to a provider, by provider and outcome.",
    ["provider", "outcome"],
)


def webhook_answered(channel: str, status_code: int, seconds: float) -> None:
    """Count one answered webhook and its acceptance latency."""
    outcome = "accepted" if status_code < 400 else "refused" if status_code < 500 else "error"
    WEBHOOKS.labels(channel, outcome).inc()
    ACCEPTANCE.labels(channel).observe(seconds)


def send_recorded(provider: str, outcome: str) -> None:
    """Count one send attempt's outcome."""
    SENDS.labels(provider, outcome).inc()
