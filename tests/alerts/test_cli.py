"""The roster commands: set, override, show."""

from __future__ import annotations

from flask.testing import FlaskCliRunner

from core.crypto import lookup_hash


def show(runner: FlaskCliRunner, at: str) -> str:
    result = runner.invoke(args=["roster", "show", "UPTD-PPA-72", "--at", at])
    assert result.exit_code == 0, result.output
    return result.output


def test_set_then_show(runner: FlaskCliRunner, demo) -> None:
    team = demo.teams["UPTD-PPA-72"]
    result = runner.invoke(
        args=[
            "roster",
            "set",
            "UPTD-PPA-72",
            "--weekday",
            "mon-fri",
            "--from",
            "08:00",
            "--to",
            "16:00",
            "--account",
            str(team.backup.id),
            "--role",
            "primary",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "5 primary slots set" in result.output
    assert "5 replaced" in result.output
    assert f"on call 2026-11-25 09:00 WITA primary: account {team.backup.id}" in show(
        runner, "2026-11-25T09:00+08:00"
    )
    assert "primary: -" in show(runner, "2026-11-25T17:00+08:00")


def test_set_by_phone_hash_and_night_shift(runner: FlaskCliRunner, demo) -> None:
    team = demo.teams["UPTD-PPA-72"]
    result = runner.invoke(
        args=[
            "roster",
            "set",
            "UPTD-PPA-72",
            "--weekday",
            "sat",
            "--from",
            "22:00",
            "--to",
            "06:00",
            "--phone-hash",
            lookup_hash(team.supervisor.phone),
            "--role",
            "backup",
        ]
    )
    assert result.exit_code == 0, result.output
    assert f"backup: account {team.supervisor.id}" in show(runner, "2026-11-29T05:00+08:00")


def test_override(runner: FlaskCliRunner, demo) -> None:
    team = demo.teams["UPTD-PPA-72"]
    result = runner.invoke(
        args=[
            "roster",
            "override",
            "UPTD-PPA-72",
            "--from",
            "2026-12-01",
            "--to",
            "2026-12-02",
            "--phone",
            team.supervisor.phone,
            "--role",
            "primary",
        ]
    )
    assert result.exit_code == 0, result.output
    output = show(runner, "2026-12-01T03:00+08:00")
    assert "override 2026-12-01..2026-12-02 primary" in output
    assert f"primary: account {team.supervisor.id}" in output


def test_clear_errors(runner: FlaskCliRunner, demo) -> None:
    someone = str(demo.teams["UPTD-PPA-72"].primary.id)
    cases = [
        (["roster", "show", "NOPE"], "no agency"),
        (["roster", "set", "UPTD-PPA-72", "--role", "primary"], "one of --account"),
        (["roster", "set", "UPTD-PPA-72", "--account", "999999"], "no such account"),
        (["roster", "set", "UPTD-PPA-72", "--account", someone, "--weekday", "funday"], "weekday"),
        (["roster", "show", "UPTD-PPA-72", "--at", "2026-11-25T09:00"], "give a zone"),
        (
            [
                "roster",
                "override",
                "UPTD-PPA-72",
                "--from",
                "2026-12-02",
                "--to",
                "2026-12-01",
                "--account",
                someone,
            ],
            "ends before",
        ),
    ]
    for args, expected in cases:
        result = runner.invoke(args=args)
        assert result.exit_code == 2, (args, result.output)
        assert expected in result.output, (args, result.output)


def test_the_scheduler_refuses_to_start_without_a_chosen_provider(make_app) -> None:
    app = make_app(SIGAP_PROVIDER=None, TWILIO_ACCOUNT_SID=None)
    for args in (["scheduler"], ["jobs", "run-due"]):
        with app.app_context():
            result = app.test_cli_runner().invoke(args=args)
        assert result.exit_code == 1
        assert "SIGAP_PROVIDER=console" in result.output
        assert "Traceback" not in result.output
