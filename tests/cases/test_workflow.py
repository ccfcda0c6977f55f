"""Only sensible status moves are allowed, and each is on the timeline with who, when, why."""

import itertools

import pytest

from cases import ReasonRequired, TransitionNotAllowed, change_status, file_report, refer, workflow
from cases.timeline import details
from core import clock
from core.db import db
from models import CaseStatus
from tests.cases.conftest import report_in, staff_of

S = CaseStatus
ALLOWED = {
    (S.BARU, S.DITERIMA),
    (S.BARU, S.DITOLAK),
    (S.BARU, S.DIRUJUK),
    (S.DITERIMA, S.DITANGANI),
    (S.DITERIMA, S.DIRUJUK),
    (S.DITERIMA, S.SELESAI),
    (S.DITERIMA, S.DITOLAK),
    (S.DITANGANI, S.DIRUJUK),
    (S.DITANGANI, S.SELESAI),
    (S.DIRUJUK, S.DITERIMA),
    (S.DIRUJUK, S.DITANGANI),
    (S.DIRUJUK, S.SELESAI),
    (S.SELESAI, S.DITANGANI),  # reopen
}
MATRIX = list(itertools.product(CaseStatus, CaseStatus))


@pytest.mark.parametrize(("current", "wanted"), MATRIX)
def test_the_table(current, wanted):
    assert workflow.allowed(current, wanted) is ((current, wanted) in ALLOWED)


@pytest.mark.parametrize(("current", "wanted"), MATRIX)
def test_every_move_through_the_services(agencies, handoffs, current, wanted):
    case = file_report(db.session, report_in(), clock.now()).case
    case.status = current
    before = len(case.events)
    officer = staff_of(agencies["DP3A-7210"])
    reason = "alasan uji"
    if (current, wanted) not in ALLOWED:
        with pytest.raises(TransitionNotAllowed):
            _move(case, wanted, officer, reason, agencies)
        assert case.status == current
        assert len(case.events) == before
        return
    _move(case, wanted, officer, reason, agencies)
    assert case.status == wanted
    event = case.events[-1]
    assert (event.at, event.actor_account_id) == (clock.now(), officer.id)
    assert details(event)["from_status"] == current.value
    assert details(event)["reason"] == reason
    assert (case.closed_at is not None) is (wanted in workflow.CLOSED)
    assert bool(handoffs.of("closed")) is (wanted in workflow.CLOSED)


def _move(case, wanted, officer, reason, agencies):
    if wanted == S.DIRUJUK:
        refer(db.session, case, agencies["UPTD-PPA-72"], clock.now(), officer, reason)
    else:
        change_status(db.session, case, wanted, clock.now(), officer, reason)


@pytest.mark.parametrize(
    ("current", "wanted"), [(S.BARU, S.DITOLAK), (S.DITERIMA, S.DITOLAK), (S.SELESAI, S.DITANGANI)]
)
def test_rejecting_and_reopening_must_say_why(agencies, current, wanted):
    case = file_report(db.session, report_in(), clock.now()).case
    case.status = current
    with pytest.raises(ReasonRequired):
        change_status(db.session, case, wanted, clock.now(), reason=" ")
    assert case.status == current


def test_leaving_the_wait_for_acknowledgement_stops_escalation(agencies, handoffs):
    case = file_report(db.session, report_in(), clock.now()).case
    refer(db.session, case, agencies["UPTD-PPA-72"], clock.now())
    officer = staff_of(agencies["UPTD-PPA-72"])
    change_status(db.session, case, S.DITANGANI, clock.now(), officer)
    assert case.acknowledged_at == clock.now()
    assert handoffs.of("acknowledged") == [(case.id, officer.id)]


def test_reopening_a_closed_case_clears_its_closing(agencies):
    case = file_report(db.session, report_in(), clock.now()).case
    change_status(db.session, case, S.DITERIMA, clock.now())
    change_status(db.session, case, S.SELESAI, clock.now())
    change_status(db.session, case, S.DITANGANI, clock.now(), reason="korban datang lagi")
    assert case.closed_at is None


def test_a_referral_needs_refer(agencies):
    case = file_report(db.session, report_in(), clock.now()).case
    with pytest.raises(ValueError, match="refer"):
        change_status(db.session, case, "dirujuk", clock.now())
