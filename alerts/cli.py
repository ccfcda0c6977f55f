"""Command-line commands of the scheduler: `scheduler` and `jobs run-due`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from datetime import time as dt_time
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from alerts import jobs, rosters
from alerts.schedule import register_jobs
from alerts.scheduler import SchedulerProcess
from channels import ChannelError, make_provider, normalize_phone
from core import clock, deployment
from core.cli import one_line_errors
from core.crypto import lookup_hash
from core.db import db
from models import Account, Agency, RosterOverride, RosterRole, RosterSlot

jobs_cli = AppGroup("jobs", help="Scheduled jobs.")
roster_cli = AppGroup("roster", help="On-call rosters.")
_ROLE = click.Choice([r.value for r in RosterRole])


@jobs_cli.command("run-due")
@click.option("--now", "now_text", help="ISO 8601 moment to run at (default: now).")
@one_line_errors
def run_due_command(now_text: str | None) -> None:
    """Run every job due at that moment once, and exit."""
    _provider_chosen()
    if now_text:
        clock.freeze(_moment(now_text, "--now"))
    for name, outcome in jobs.run_due(clock.now()):
        click.echo(f"{name}: {outcome}")


@click.command("scheduler")
@one_line_errors
def scheduler_command() -> None:
    """Run the scheduler process in the foreground (one leads; others stand by)."""
    _provider_chosen()
    SchedulerProcess(current_app._get_current_object()).start()  # type: ignore[attr-defined]  # the proxy's app


@click.command("check")
@one_line_errors
def check_command() -> None:
    """Refuse, in one line, what would stop the worker or the scheduler at start."""
    _provider_chosen()
    click.echo("settings: ready to start")


def _provider_chosen() -> None:
    """Refuse to start, in one line, when no provider can send what the jobs write."""
    provider = make_provider(current_app.config)
    close = getattr(provider, "close", None)
    if close is not None:
        close()


def _agency(code: str) -> Agency:
    """Return the agency with this code, or stop with a one-line error."""
    agency = db.session.scalar(select(Agency).where(Agency.code == code))
    if agency is None:
        raise click.BadParameter(f"no agency with code {code!r}", param_hint="AGENCY_CODE")
    return agency


def _account(account_id: int | None, phone_hash: str | None, phone: str | None) -> Account:
    """Return the account named by exactly one of id, phone hash or phone number."""
    if sum(x is not None for x in (account_id, phone_hash, phone)) != 1:
        raise click.UsageError("name the person with one of --account, --phone-hash or --phone")
    if phone is not None:
        try:
            phone_hash = lookup_hash(normalize_phone(phone))
        except ChannelError:
            raise click.BadParameter("not a phone number", param_hint="--phone") from None
    if account_id is not None:
        account = db.session.get(Account, account_id)
    else:
        account = db.session.scalar(select(Account).where(Account.phone_hash == phone_hash))
    if account is None:
        raise click.BadParameter("no such account", param_hint="--account/--phone-hash/--phone")
    return account


def _who() -> list[Callable[..., Any]]:
    """Return the options that name a person."""
    return [
        click.option("--account", "account_id", type=int, help="Account id."),
        click.option("--phone-hash", help="Keyed hash of the account's number."),
        click.option("--phone", help="The account's number (hashed, never stored here)."),
        click.option("--role", type=_ROLE, default="primary", show_default=True),
    ]


def _with_who(fn: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(_who()):
        fn = option(fn)
    return fn


@roster_cli.command("set")
@click.argument("agency_code")
@click.option("--weekday", default="mon-sun", show_default=True, help="e.g. mon-fri, sat,sun")
@click.option("--from", "starts", default="00:00", show_default=True, help="Local start, HH:MM.")
@click.option(
    "--to", "ends", default="24:00", show_default=True, help="Local end; may be next day."
)
@_with_who
@one_line_errors
def roster_set(
    agency_code: str,
    weekday: str,
    starts: str,
    ends: str,
    account_id: int | None,
    phone_hash: str | None,
    phone: str | None,
    role: str,
) -> None:
    """Put a person on call weekly, replacing whoever held that role at those times."""
    agency, account = _agency(agency_code), _account(account_id, phone_hash, phone)
    try:
        days = rosters.parse_weekdays(weekday)
        window = rosters.parse_clock(starts), rosters.parse_clock(ends)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    added, replaced = rosters.set_slots(
        db.session, agency, days, *window, account, RosterRole(role)
    )
    db.session.commit()
    click.echo(
        f"{agency.code}: {added} {role} slots set for account {account.id}, {replaced} replaced"
    )


@roster_cli.command("override")
@click.argument("agency_code")
@click.option("--from", "starts_on", required=True, help="First local day, YYYY-MM-DD.")
@click.option("--to", "ends_on", help="Last local day (included); default: the first.")
@_with_who
@one_line_errors
def roster_override(
    agency_code: str,
    starts_on: str,
    ends_on: str | None,
    account_id: int | None,
    phone_hash: str | None,
    phone: str | None,
    role: str,
) -> None:
    """Put a person in a role for whole days, whatever the weekly pattern says."""
    agency, account = _agency(agency_code), _account(account_id, phone_hash, phone)
    try:
        first = date.fromisoformat(starts_on)
        last = date.fromisoformat(ends_on) if ends_on else first
        rosters.add_override(db.session, agency, first, last, account, RosterRole(role))
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    db.session.commit()
    click.echo(f"{agency.code}: account {account.id} is {role} from {first} to {last}")


@roster_cli.command("show")
@click.argument("agency_code")
@click.option("--at", "at_text", help="ISO 8601 moment for 'on call now' (default: now).")
@one_line_errors
def roster_show(agency_code: str, at_text: str | None) -> None:
    """Print the weekly pattern, the overrides still to come, and who is on call."""
    agency, tz = _agency(agency_code), deployment.current().tz
    at = _moment(at_text, "--at")
    slots = db.session.scalars(
        select(RosterSlot)
        .where(RosterSlot.agency_id == agency.id)
        .order_by(RosterSlot.weekday, RosterSlot.starts)
    )
    for s in slots:
        end = "24:00" if s.ends == s.starts == dt_time(0) else s.ends.strftime("%H:%M")
        click.echo(
            f"{rosters.WEEKDAYS[s.weekday]} {s.starts:%H:%M}-{end} {s.role}: account {s.account_id}"
        )
    today = at.astimezone(tz).date()
    for o in db.session.scalars(
        select(RosterOverride).where(
            RosterOverride.agency_id == agency.id, RosterOverride.ends_on >= today
        )
    ):
        click.echo(f"override {o.starts_on}..{o.ends_on} {o.role}: account {o.account_id}")
    who = rosters.on_call(db.session, agency.id, at, tz)
    stamp = at.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")
    for role in RosterRole:
        person = getattr(who, role.value)
        click.echo(f"on call {stamp} {role}: {f'account {person.id}' if person else '-'}")


def _moment(text: str | None, hint: str) -> datetime:
    """Read an aware ISO 8601 moment, or return now."""
    if not text:
        return clock.now()
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter("not an ISO 8601 date and time", param_hint=hint) from None
    if at.tzinfo is None:
        raise click.BadParameter("give a zone, e.g. 2026-11-27T07:30+08:00", param_hint=hint)
    return at


def init_app(app: Flask) -> None:
    """Register the scheduler and roster commands, and the alerts jobs."""
    app.cli.add_command(jobs_cli)
    app.cli.add_command(scheduler_command)
    app.cli.add_command(check_command)
    app.cli.add_command(roster_cli)
    register_jobs(deployment.of(app).zone)
