"""What a newcomer meets first: the start banner and commands that answer mistakes in one line."""

from __future__ import annotations

import socket

from core.cli import _banner
from core.db import db
from core.demo import seed_demo
from models import Account, Agency


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens there once the socket is closed


def _one_line_error(result) -> str:
    assert isinstance(result.exception, SystemExit), result.exception
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output
    return lines[0]


def test_simulate_with_the_server_down_says_so_in_one_line(runner):
    url = f"http://127.0.0.1:{_closed_port()}"
    result = runner.invoke(args=["simulate", "sms", "halo", "--url", url])
    assert result.exit_code == 1
    line = _one_line_error(result)
    assert url in line
    assert "make run" in line


def test_a_token_for_a_hundred_thousand_years_is_refused_in_one_line(runner, app):
    seed_demo(db.session)
    db.session.commit()
    account_id = db.session.query(Account.id).first()[0]
    result = runner.invoke(args=["tokens", "create", str(account_id), "--days", "99999999"])
    assert result.exit_code == 2
    assert "--days" in result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)


def test_agencies_list_gives_the_codes_staff_accounts_take(runner, app):
    seed_demo(db.session)
    db.session.commit()
    result = runner.invoke(args=["agencies", "list"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    agencies = db.session.query(Agency).all()
    assert len(lines) == len(agencies) > 0
    code, name, region = lines[0].split("\t")[:3]
    listed = db.session.query(Agency).filter_by(code=code).one()
    assert (name, region) == (listed.name, listed.region_code)
    staff = runner.invoke(
        args=["accounts", "create", "--role", "staff", "--name", "Uji Staf", "--agency", code]
    )
    assert staff.exit_code == 0, staff.output


def test_banner_says_what_real_twilio_requests_need(make_app):
    app = make_app(TWILIO_AUTH_TOKEN=None, PUBLIC_BASE_URL=None)
    with app.app_context():
        text = _banner("http://127.0.0.1:5000", "127.0.0.1:5000")
    assert "TWILIO_AUTH_TOKEN" in text
    assert "403" in text
    assert "PUBLIC_BASE_URL" in text
    assert "tunnel" in text
    assert "simulate sms" in text


def test_banner_on_another_port_gives_simulate_the_address(make_app):
    app = make_app(PUBLIC_BASE_URL="https://abc.example.net")
    with app.app_context():
        text = _banner("http://127.0.0.1:5055", "127.0.0.1:5055")
    assert "--url http://127.0.0.1:5055" in text
    assert "https://abc.example.net/webhooks/twilio/sms" in text
