"""`flask --app wsgi accounts set-password ACCOUNT`: the new password from standard input."""

from __future__ import annotations

import sys

import click
from flask import Flask

from api.cli import accounts_cli
from console import passwords
from core import clock
from core.cli import one_line_errors
from core.db import db
from models import Account


@click.command("set-password")
@click.argument("account_id", type=int)
@one_line_errors
def set_password(account_id: int) -> None:
    """Set an account's console password, read from standard input (ends its sessions)."""
    account = db.session.get(Account, account_id)
    if account is None:
        raise click.BadParameter("no account with this id", param_hint="ACCOUNT")
    if sys.stdin.isatty():
        new = click.prompt("password", hide_input=True, confirmation_prompt=True, err=True)
    else:
        new = sys.stdin.readline().rstrip("\r\n")
    problem = passwords.problem(new)
    if problem:
        raise click.UsageError(f"password of at least {passwords.MIN_LENGTH} characters, please")
    account.password_hash = passwords.hash_password(new)
    account.password_changed_at = clock.now()
    db.session.commit()
    click.echo(f"account {account.id}: password set")


def init_app(app: Flask) -> None:
    """Add set-password to the `accounts` group."""
    if "set-password" not in accounts_cli.commands:
        accounts_cli.add_command(set_password)
