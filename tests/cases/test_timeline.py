"""The timeline is append-only: changing or removing an event is refused."""

import pytest
from sqlalchemy import delete, text, update

from cases import TimelineIsAppendOnly, file_report
from cases.timeline import details
from core import clock
from core.db import db
from models import CaseEvent
from tests.cases.conftest import report_in


@pytest.fixture
def event(agencies):
    case = file_report(db.session, report_in(), clock.now()).case
    db.session.flush()
    return case.events[0]


def test_an_event_cannot_be_changed(event):
    event.kind = "nothing happened"
    with pytest.raises(TimelineIsAppendOnly):
        db.session.flush()


def test_an_event_cannot_be_deleted(event):
    db.session.delete(event)
    with pytest.raises(TimelineIsAppendOnly):
        db.session.flush()


def test_events_cannot_be_changed_or_deleted_in_bulk(event):
    with pytest.raises(TimelineIsAppendOnly):
        db.session.execute(update(CaseEvent).values(kind="x"))
    with pytest.raises(TimelineIsAppendOnly):
        db.session.execute(delete(CaseEvent).where(CaseEvent.id == event.id))


def test_details_are_encrypted_at_rest(event):
    raw = db.session.execute(text("SELECT detail FROM case_event WHERE id = :id"), {"id": event.id})
    stored = raw.scalar_one()
    assert "report_id" not in stored
    assert details(event) == {"report_id": event.case.reports[0].id}
