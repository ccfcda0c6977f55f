"""Scheduled job names, as `jobs run-due` prints them and operators read them."""

from __future__ import annotations

import re

from flask import Flask

from alerts.jobs import registered

#: Every job is "area.what_it_does".
STYLE = re.compile(r"[a-z]+\.[a-z]+(?:_[a-z]+)*")


def test_job_names_share_one_style(app: Flask) -> None:
    names = {job.name for job in registered()}
    assert {n for n in names if not STYLE.fullmatch(n)} == set()
