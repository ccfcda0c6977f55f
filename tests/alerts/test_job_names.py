"""Scheduled job names, as `jobs run-due` prints them and operators read them."""

from __future__ import annotations

import re

from flask import Flask

from alerts.jobs import registered

#: Names README documents with dashes; they keep their spelling for the people who know them.
DOCUMENTED_DASHED = {
    "retry-inbound",
    "replay-spool",
    "worker-liveness",
    "expire-dialogs",
    "smsgate.catch-up",
}
#: Every other job is "area.what_it_does".
STYLE = re.compile(r"[a-z]+\.[a-z]+(?:_[a-z]+)*")


def test_job_names_share_one_style(app: Flask) -> None:
    names = {job.name for job in registered()}
    assert names >= DOCUMENTED_DASHED
    assert {n for n in names - DOCUMENTED_DASHED if not STYLE.fullmatch(n)} == set()
