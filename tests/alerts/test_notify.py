"""The hand-off points case work calls: routed, acknowledged, closed."""

from __future__ import annotations

from sqlalchemy import select

from alerts import notify
from core import clock
from core.db import db
from models import AlertChain, Outbox, OutboxStatus, Purpose


def test_routed_to_two_agencies_alerts_both_and_one_acknowledgement_stops_both(
    make_case, demo, frozen
) -> None:
    uptd, police = demo.teams["UPTD-PPA-72"], demo.teams["POLRES-SIGI-PPA"]
    case = make_case(uptd.agency, "tinggi")
    notify.case_routed(db.session, case, [uptd.agency, police.agency], clock.now())
    alerted = {r.account_id for r in db.session.scalars(select(Outbox))}
    assert alerted == {uptd.primary.id, police.primary.id}
    case.acknowledged_at = clock.now()
    notify.case_acknowledged(db.session, case, None, clock.now())  # acknowledged from the API
    chains = db.session.scalars(select(AlertChain)).all()
    assert [c.stop_reason for c in chains] == ["acknowledged", "acknowledged"]
    rows = db.session.scalars(select(Outbox)).all()
    assert {r.status for r in rows} == {OutboxStatus.CANCELLED}
    assert Purpose.CONFIRMATION not in {r.purpose for r in rows}  # nobody to confirm to


def test_confirmation_is_sent_once(make_case, demo, frozen) -> None:
    team = demo.teams["UPTD-PPA-72"]
    case = make_case(team.agency)
    notify.case_routed(db.session, case, [team.agency], clock.now())
    for _ in range(2):  # a resent "OK <ref>"
        notify.case_acknowledged(db.session, case, team.primary, clock.now())
    confirmations = [
        r for r in db.session.scalars(select(Outbox)) if r.purpose == Purpose.CONFIRMATION
    ]
    assert len(confirmations) == 1
    assert case.reference in confirmations[0].body
    assert "WITA" in confirmations[0].body
