"""Case columns hold the shared vocabulary: the same stored words, and nothing else."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import StatementError

from cases import file_report
from core import clock
from core.db import db
from models import Agency, CaseEventKind, Category, Priority, Victim
from tests.cases.conftest import report_in


def test_a_case_stores_the_words_and_reads_back_the_vocabulary(
    agencies: dict[str, Agency],
) -> None:
    case = file_report(db.session, report_in(), clock.now()).case
    db.session.commit()
    stored = db.session.execute(
        text("SELECT category, victim, priority FROM cases WHERE id = :id"), {"id": case.id}
    ).one()
    kinds = db.session.scalars(
        text("SELECT kind FROM case_event WHERE case_id = :id ORDER BY id"), {"id": case.id}
    ).all()
    assert tuple(stored) == ("kdrt", "perempuan", "tinggi")
    assert kinds[0] == "opened"

    db.session.expire_all()
    assert (case.category, case.victim, case.priority) == (
        Category.KDRT,
        Victim.PEREMPUAN,
        Priority.TINGGI,
    )
    assert case.events[0].kind is CaseEventKind.OPENED


def test_a_word_outside_the_vocabulary_is_never_written(agencies: dict[str, Agency]) -> None:
    case = file_report(db.session, report_in(), clock.now()).case
    db.session.flush()
    case.priority = "segera"  # type: ignore[assignment]  # what a typo in code would do
    with pytest.raises(StatementError):
        db.session.flush()
    db.session.rollback()
