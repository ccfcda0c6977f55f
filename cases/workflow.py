"""Which status a case may move to from which, said once as a table."""

from __future__ import annotations

from models import CaseStatus

S = CaseStatus

#: Allowed moves. A closed case (selesai) may be reopened to ditangani: the same person
#: coming back a month later keeps one history instead of two half-cases, and SELESAI sent
#: by mistake can be undone. Ditolak (not a case) is final; a report wrongly rejected is
#: split out into a case of its own, which keeps the rejection on record.
TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    S.BARU: frozenset({S.DITERIMA, S.DITOLAK, S.DIRUJUK}),
    S.DITERIMA: frozenset({S.DITANGANI, S.DIRUJUK, S.SELESAI, S.DITOLAK}),
    S.DITANGANI: frozenset({S.DIRUJUK, S.SELESAI}),
    S.DIRUJUK: frozenset({S.DITERIMA, S.DITANGANI, S.SELESAI}),
    S.SELESAI: frozenset({S.DITANGANI}),
    S.DITOLAK: frozenset(),
}

#: Waiting for an agency to say it has the case; ack_due_at is the deadline then.
AWAITING_ACK = frozenset({S.BARU, S.DIRUJUK})
#: Nothing more happens unless someone reopens it.
CLOSED = frozenset({S.SELESAI, S.DITOLAK})
#: Moves that must say why: rejecting a report, reopening a closed case.
NEEDS_REASON = frozenset({(S.BARU, S.DITOLAK), (S.DITERIMA, S.DITOLAK), (S.SELESAI, S.DITANGANI)})


class TransitionNotAllowed(ValueError):
    """A status change the workflow does not allow."""

    def __init__(self, current: CaseStatus, wanted: CaseStatus) -> None:
        super().__init__(f"a case cannot go from {current} to {wanted}")
        self.current = current
        self.wanted = wanted


class ReasonRequired(ValueError):
    """A status change that must say why was given no reason."""


def allowed(current: CaseStatus, wanted: CaseStatus) -> bool:
    """Say whether a case may move from one status to another."""
    return wanted in TRANSITIONS[current]


def check(current: CaseStatus, wanted: CaseStatus, reason: str | None) -> None:
    """Raise unless the move is allowed and, where it must be, explained."""
    if not allowed(current, wanted):
        raise TransitionNotAllowed(current, wanted)
    if (current, wanted) in NEEDS_REASON and not (reason and reason.strip()):
        raise ReasonRequired(f"say why the case goes from {current} to {wanted}")
