"""SMSGate events to neutral messages and statuses; its signature and replay window."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from channels import ChannelError, DeliveryStatus
from channels import smsgate as gate
from tests.smsgate import load_event

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
KEY = "k3y"
BODY = b'{"event":"system:ping"}'
STAMP = str(int(NOW.timestamp()))


def test_a_received_sms_is_identified_by_the_event_id_not_the_message_id() -> None:
    event = gate.parse_event(json.dumps(load_event("sms_received.json")).encode())
    msg = gate.inbound_message(event)
    assert (msg.provider, msg.channel, msg.sender) == ("smsgate", "sms", "+6280800000201")
    assert msg.provider_message_id == "Ey6ECgOkVVFjz3CL48B8C"
    assert "Sidera" in msg.text


@pytest.mark.parametrize(
    ("fixture", "status"),
    [
        ("sms_sent.json", DeliveryStatus.SENT),
        ("sms_delivered.json", DeliveryStatus.DELIVERED),
        ("sms_failed.json", DeliveryStatus.FAILED),
    ],
)
def test_delivery_events_map_to_states(fixture: str, status: DeliveryStatus) -> None:
    update = gate.status_update(gate.parse_event(json.dumps(load_event(fixture)).encode()))
    assert (update.provider_message_id, update.status) == ("zXDYfTmTVf3iMd16zzdBj", status)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"not json", "bad_json"),
        (b"[1]", "bad_json"),
        (json.dumps(load_event("sms_data_received.json")).encode(), "unknown_event"),
        (json.dumps(load_event("system_ping.json", id="")).encode(), "missing_field"),
    ],
)
def test_bad_events(body: bytes, code: str) -> None:
    with pytest.raises(ChannelError) as raised:
        gate.parse_event(body)
    assert raised.value.code == code


def test_signature_over_body_and_timestamp() -> None:
    good = gate.sign(KEY, BODY, STAMP)
    assert gate.verify_signature(KEY, BODY, STAMP, good, NOW)
    assert gate.verify_signature(KEY, BODY, STAMP, good.upper(), NOW)
    assert not gate.verify_signature(KEY, BODY + b" ", STAMP, good, NOW)
    assert not gate.verify_signature("other", BODY, STAMP, good, NOW)
    assert not gate.verify_signature(None, BODY, STAMP, good, NOW)  # no key: refuse all
    assert not gate.verify_signature(KEY, BODY, None, good, NOW)
    assert not gate.verify_signature(KEY, BODY, "soon", good, NOW)


@pytest.mark.parametrize(("age", "fresh"), [(0, True), (299, True), (301, False), (-301, False)])
def test_timestamps_older_than_five_minutes_are_refused(age: int, fresh: bool) -> None:
    stamp = str(int((NOW - timedelta(seconds=age)).timestamp()))
    signature = gate.sign(KEY, BODY, stamp)
    assert gate.verify_signature(KEY, BODY, stamp, signature, NOW) is fresh


def test_the_content_key_matches_the_same_second_in_any_zone() -> None:
    local = gate.parse_time("2026-11-25T09:58:01.000+08:00")
    utc = gate.parse_time("2026-11-25T01:58:01Z")
    assert gate.content_key("+6280800000201", "YA", local) == gate.content_key(
        "+6280800000201", "YA", utc
    )
    assert gate.parse_time("2026-11-25T09:58:01") is None  # no offset: not comparable
