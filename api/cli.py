"""Accounts and their API tokens on the command line: `accounts ...`, `tokens ...`."""

from __future__ import annotations

import sys
from datetime import datetime

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from api import tokens
from cases import pins
from channels import ChannelError, normalize_phone
from channels.phone import mask_phone
from core import clock
from core.cli import one_line_errors
from core.crypto import lookup_hash
from core.db import db
from models import Account, Agency, ApiToken, Region, Role

accounts_cli = AppGroup("accounts", help="People who use SIGAP.")
tokens_cli = AppGroup("tokens", help="API tokens of accounts.")


def _stamp(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%dT%H:%MZ") if at else "-"


def _place(
    role: Role, agency_code: str | None, region: str | None
) -> tuple[int | None, str | None]:
    """Check where an account belongs: staff to an agency, facilitators to a place."""
    agency_id = None
    if agency_code:
        agency = db.session.scalar(select(Agency).where(Agency.code == agency_code.upper()))
        if agency is None:
            raise click.BadParameter(f"no agency with code {agency_code!r}", param_hint="--agency")
        agency_id = agency.id
    if agency_id is not None and role != Role.STAFF:
        raise click.UsageError("only staff act for an agency: --agency is for --role staff")
    if role == Role.STAFF and agency_id is None:
        raise click.UsageError("staff belong to an agency: give --agency")
    if role == Role.FACILITATOR and not region:
        raise click.UsageError("facilitators work in a village or district: give --region")
    if region and db.session.get(Region, region) is None:
        raise click.BadParameter(f"{region!r} is not in the gazetteer", param_hint="--region")
    return agency_id, region


@accounts_cli.command("create")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--name", required=True)
@click.option("--phone", help="E.164 or local form; stored encrypted.")
@click.option("--agency", "agency_code", help="Agency code (staff).")
@click.option("--region", help="Village or district code (facilitators), e.g. 72.10.01.")
@one_line_errors
def accounts_create(
    role: str, name: str, phone: str | None, agency_code: str | None, region: str | None
) -> None:
    """Create an account."""
    agency_id, region = _place(Role(role), agency_code, region)
    number = None
    if phone:
        try:
            number = normalize_phone(phone)
        except ChannelError:
            raise click.BadParameter("not a phone number", param_hint="--phone") from None
        if db.session.scalar(select(Account.id).where(Account.phone_hash == lookup_hash(number))):
            raise click.BadParameter("an account has this number", param_hint="--phone")
    account = Account(
        role=Role(role),
        name=name,
        phone=number,
        phone_hash=lookup_hash(number) if number else None,
        agency_id=agency_id,
        region_code=region,
    )
    db.session.add(account)
    db.session.commit()
    click.echo(f"account {account.id} created: {role}, {agency_code or region or '-'}")


@accounts_cli.command("list")
@one_line_errors
def accounts_list() -> None:
    """List accounts: id, role, agency or region, masked number, name."""
    rows = db.session.execute(
        select(Account, Agency.code).outerjoin(Agency, Agency.id == Account.agency_id)
    ).all()
    for account, code in sorted(rows, key=lambda r: r[0].id):
        where = code or account.region_code or "-"
        number = mask_phone(account.phone) if account.phone else "-"
        state = "" if account.is_active else " (inactive)"
        click.echo(f"{account.id}\t{account.role.value}\t{where}\t{number}\t{account.name}{state}")


def _set_active(account_id: int, active: bool) -> Account:
    """Switch an account on or off; its tokens and SMS commands follow at once."""
    account = db.session.get(Account, account_id)
    if account is None:
        raise click.BadParameter("no account with this id", param_hint="ACCOUNT")
    account.is_active = active
    db.session.commit()
    return account


@accounts_cli.command("deactivate")
@click.argument("account_id", metavar="ACCOUNT", type=int)
@one_line_errors
def accounts_deactivate(account_id: int) -> None:
    """Stop an account at once: its tokens are refused and its SMS commands change nothing."""
    account = _set_active(account_id, False)
    click.echo(f"account {account.id} deactivated")


@accounts_cli.command("reactivate")
@click.argument("account_id", metavar="ACCOUNT", type=int)
@one_line_errors
def accounts_reactivate(account_id: int) -> None:
    """Let a deactivated account act again (its unexpired, unrevoked tokens work again)."""
    account = _set_active(account_id, True)
    click.echo(f"account {account.id} reactivated")


@accounts_cli.command("set-pin")
@click.argument("account_id", metavar="ACCOUNT", type=int)
@one_line_errors
def accounts_set_pin(account_id: int) -> None:
    """Set the PIN (4-8 digits, read from standard input) that SELESAI REF PIN needs by SMS."""
    account = db.session.get(Account, account_id)
    if account is None or account.role != Role.STAFF:
        raise click.BadParameter("no staff account with this id", param_hint="ACCOUNT")
    typed = sys.stdin.readline().strip()
    try:
        pins.set_pin(account, typed)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"account {account.id}: PIN set")


@tokens_cli.command("create")
@click.argument("account_id", type=int)
@click.option(
    "--days",
    type=click.IntRange(min=1, max=tokens.MAX_DAYS),
    default=tokens.DEFAULT_DAYS,
    show_default=True,
    help="Expire after this many days.",
)
@one_line_errors
def tokens_create(account_id: int, days: int) -> None:
    """Create a token for an account and print it once: it cannot be shown again."""
    account = db.session.get(Account, account_id)
    if account is None or not account.is_active:
        raise click.BadParameter("no active account with this id", param_hint="ACCOUNT_ID")
    row, token = tokens.issue(db.session, account, clock.now(), days)
    db.session.commit()
    expires = _stamp(row.expires_at)
    click.echo(f"token {row.id} for account {account.id}, expires {expires}:", err=True)
    click.echo(token)


@tokens_cli.command("list")
@one_line_errors
def tokens_list() -> None:
    """List tokens (never the tokens themselves): id, account, role, state, dates."""
    now = clock.now()
    for row in db.session.scalars(select(ApiToken).order_by(ApiToken.id)):
        if row.revoked_at is not None:
            state = "revoked"
        elif row.expires_at is not None and row.expires_at <= now:
            state = "expired"
        else:
            state = "active"
        click.echo(
            f"{row.id}\taccount {row.account_id}\t{row.account.role.value}\t{state}\t"
            f"created {_stamp(row.created_at)}\texpires {_stamp(row.expires_at)}"
        )


@tokens_cli.command("revoke")
@click.argument("token_id", type=int)
@one_line_errors
def tokens_revoke(token_id: int) -> None:
    """Revoke a token: requests with it are refused from now on."""
    row = tokens.revoke(db.session, token_id, clock.now())
    if row is None:
        raise click.BadParameter("no token with this id", param_hint="TOKEN_ID")
    db.session.commit()
    click.echo(f"token {row.id} revoked")


def init_app(app: Flask) -> None:
    """Register the account and token commands."""
    app.cli.add_command(accounts_cli)
    app.cli.add_command(tokens_cli)
