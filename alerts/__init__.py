"""Alerts: outbox, rosters, escalation, digests, and the one scheduler process."""
