"""Accounts end at once; tokens end by themselves; only staff act for an agency."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from api import tokens
from cases import handle_command
from core import clock
from core.crypto import lookup_hash
from core.db import db
from core.i18n import t
from models import ApiToken, CaseStatus
from tests.api.conftest import AGENCY_A, T0


def _ok_by_sms(account, case):
    return handle_command(db.session, "ack", case.reference, lookup_hash(account.phone), T0)


def test_deactivate_stops_tokens_and_sms_commands_at_once_and_reactivate_restores(
    runner, call, world
):
    staff = world.accounts["staff_a"]
    case = world.cases["a"]
    assert call("staff_a", "get", "/api/v1/cases").status_code == 200
    result = runner.invoke(args=["accounts", "deactivate", str(staff.id)])
    assert result.exit_code == 0, result.output
    assert f"account {staff.id} deactivated" in result.output
    refused = call("staff_a", "get", "/api/v1/cases")
    assert refused.status_code == 401
    assert refused.get_json()["error"]["code"] == "account_inactive"
    assert _ok_by_sms(staff, case) == t("case.cmd.neutral", "id")
    assert case.status == CaseStatus.BARU
    result = runner.invoke(args=["accounts", "reactivate", str(staff.id)])
    assert result.exit_code == 0, result.output
    assert call("staff_a", "get", "/api/v1/cases").status_code == 200
    assert _ok_by_sms(staff, case) == t("case.ack.done", "id", ref=case.reference)


def test_deactivate_an_unknown_account_is_one_line(runner, world):
    result = runner.invoke(args=["accounts", "deactivate", "999999"])
    assert result.exit_code != 0
    assert "no account" in result.output


def test_a_token_made_without_days_expires_in_90_days(runner, client, world):
    clock.freeze(T0)
    facilitator = world.accounts["facilitator"]
    result = runner.invoke(args=["tokens", "create", str(facilitator.id)])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[-1]
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == tokens.token_hash(token)))
    assert row.expires_at == T0 + timedelta(days=90)
    headers = {"Authorization": f"Bearer {token}"}
    clock.freeze(T0 + timedelta(days=89))
    assert client.get("/api/v1/sync/changes", headers=headers).status_code == 200
    clock.freeze(T0 + timedelta(days=90))
    assert client.get("/api/v1/sync/changes", headers=headers).status_code == 401
    help_text = runner.invoke(args=["tokens", "create", "--help"]).output
    assert "90" in help_text


def test_only_staff_may_be_given_an_agency(runner, world):
    for role in ("coordinator", "admin"):
        result = runner.invoke(
            args=["accounts", "create", "--role", role, "--name", "X", "--agency", AGENCY_A]
        )
        assert result.exit_code != 0
        assert "only staff" in result.output
    result = runner.invoke(
        args=[
            "accounts", "create", "--role", "facilitator", "--name", "X",
            "--region", "72.10.01", "--agency", AGENCY_A,
        ]
    )  # fmt: skip
    assert result.exit_code != 0
    assert "only staff" in result.output


def test_an_agency_on_a_coordinator_does_not_let_them_acknowledge(call, world):
    coordinator = world.accounts["coordinator"]
    coordinator.agency_id = world.agencies[AGENCY_A].id  # made before the CLI refused it
    db.session.commit()
    case = world.cases["a"]
    answer = call("coordinator", "post", f"/api/v1/cases/{case.reference}/acknowledge")
    assert answer.status_code == 403
    db.session.refresh(case)
    assert case.status == CaseStatus.BARU


def test_an_agency_on_a_facilitator_does_not_let_them_acknowledge_by_sms(world):
    facilitator = world.accounts["facilitator"]
    facilitator.agency_id = world.agencies[AGENCY_A].id
    db.session.commit()
    case = world.cases["a"]
    assert _ok_by_sms(facilitator, case) == t("case.cmd.neutral", "id")
    assert case.status == CaseStatus.BARU


def test_set_pin_reads_standard_input_and_stores_only_a_hash(runner, world):
    staff = world.accounts["staff_a"]
    result = runner.invoke(args=["accounts", "set-pin", str(staff.id)], input="4821\n")
    assert result.exit_code == 0, result.output
    db.session.refresh(staff)
    assert staff.sms_pin_hash
    assert "4821" not in staff.sms_pin_hash
    assert "4821" not in result.output
    bad = runner.invoke(args=["accounts", "set-pin", str(staff.id)], input="12\n")
    assert bad.exit_code != 0
    assert "4 to 8 digits" in bad.output
    coordinator = world.accounts["coordinator"]
    refused = runner.invoke(args=["accounts", "set-pin", str(coordinator.id)], input="4821\n")
    assert refused.exit_code != 0
