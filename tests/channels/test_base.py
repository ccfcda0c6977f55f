"""Delivery status only moves forward; failures are final."""

from __future__ import annotations

import pytest

from channels import DeliveryStatus as S

FORWARD = [
    (None, S.QUEUED),
    (S.QUEUED, S.SENT),
    (S.QUEUED, S.DELIVERED),
    (S.SENT, S.DELIVERED),
    (S.DELIVERED, S.READ),
    (S.SENT, S.READ),
    (S.QUEUED, S.FAILED),
    (S.SENT, S.UNDELIVERED),
]
REFUSED = [
    (S.SENT, S.QUEUED),
    (S.DELIVERED, S.SENT),
    (S.READ, S.DELIVERED),
    (S.SENT, S.SENT),
    (S.FAILED, S.DELIVERED),
    (S.UNDELIVERED, S.READ),
    (S.FAILED, S.UNDELIVERED),
    (S.DELIVERED, S.FAILED),  # a late failure report does not undo a delivery
    (S.READ, S.UNDELIVERED),
]


@pytest.mark.parametrize(("old", "new"), FORWARD)
def test_status_advances(old: S | None, new: S) -> None:
    assert S.advances(old, new)


@pytest.mark.parametrize(("old", "new"), REFUSED)
def test_status_never_goes_back(old: S, new: S) -> None:
    assert not S.advances(old, new)


def test_ranks_order_the_way_to_the_phone() -> None:
    assert S.QUEUED.rank < S.SENT.rank < S.DELIVERED.rank < S.READ.rank
    assert {s for s in S if s.is_final} == {S.FAILED, S.UNDELIVERED}
