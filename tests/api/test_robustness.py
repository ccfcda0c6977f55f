"""Crafted JSON and numbers past Python's and the database's limits: a 4xx, never a 500.

Every JSON body of /api/v1 is tried with nesting 10,000 levels deep and with a 5,000-digit
integer in each of its fields; the sync cursor with a position past 64 bits; and, as a
property, every endpoint with arbitrary nesting and number sizes anywhere in its input.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from core.db import db
from models import CaseEvent, Report, RosterSlot, RoutingRule
from tests.api.conftest import AGENCY_A
from tests.api.test_sync import item

#: A valid body of each JSON endpoint: (role, method, path with {ref}/{agency}, body).
BODIES: dict[str, tuple[str, str, str, dict[str, Any]]] = {
    "sync": ("facilitator", "post", "/api/v1/sync/reports", {"items": [item(7)]}),
    "status": ("staff_a", "post", "/api/v1/cases/{ref}/status", {"status": "ditangani"}),
    "notes": ("staff_a", "post", "/api/v1/cases/{ref}/notes", {"text": "sudah dihubungi"}),
    "refer": ("staff_a", "post", "/api/v1/cases/{ref}/refer", {"agency": "UPTD-PPA-72"}),
    "acknowledge": ("staff_a", "post", "/api/v1/cases/{ref}/acknowledge", {}),
    "routing": (
        "coordinator",
        "put",
        "/api/v1/routing",
        {"rules": [{"region": "72.10", "agency": AGENCY_A, "role": "primary"}]},
    ),
    "roster": (
        "coordinator",
        "post",
        "/api/v1/rosters/{agency}",
        {"weekdays": "mon-fri", "starts": "08:00", "ends": "16:00", "account_id": 1},
    ),
}
#: Every query of a GET endpoint, with its numbers (and the cursor) to be made huge.
QUERIES: dict[str, tuple[str, str, dict[str, str]]] = {
    "changes": ("facilitator", "/api/v1/sync/changes", {"limit": "10", "cursor": ""}),
    "cases": ("staff_a", "/api/v1/cases", {"page": "1", "per_page": "10"}),
    "figures": ("coordinator", "/api/v1/figures", {"from": "2026-03-01", "to": "2026-03-31"}),
}
#: Endpoints whose input is a path segment (or nothing: routing), to be made any text.
PATHS: dict[str, tuple[str, str]] = {
    "case": ("staff_a", "/api/v1/cases/{}"),
    "roster_get": ("coordinator", "/api/v1/rosters/{}"),
    "routing_get": ("coordinator", "/api/v1/routing?x={}"),
    "openapi": ("none", "/api/v1/openapi.json?x={}"),
}
#: The endpoints that read a body (acknowledge reads none, so any body is left unread).
READ_BODIES = [name for name, (*_, body) in BODIES.items() if body]
BIG = "9" * 5000
PLACEHOLDER = "\u2603placeholder\u2603"


def stored() -> tuple[int, ...]:
    """Count everything a request could store."""
    db.session.expire_all()
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Report, CaseEvent, RoutingRule, RosterSlot)
    )


def path_of(template: str, world: Any) -> str:
    return template.format(ref=world.cases["a"].reference, agency=AGENCY_A)


def send(call: Callable[..., Any], world: Any, name: str, text: str) -> Any:
    role, method, template, _body = BODIES[name]
    return call(role, method, path_of(template, world), data=text, content_type="application/json")


def paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every place in a JSON value where a leaf sits, as a tuple of keys and indexes."""
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in paths(v, (*prefix, k))] or [prefix]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in paths(v, (*prefix, i))] or [prefix]
    return [prefix]


def with_raw(body: Any, where: tuple, raw: str) -> str:
    """Return the body as JSON text with the value at `where` replaced by raw JSON text."""
    copy = json.loads(json.dumps(body))
    if not where:
        return raw
    target = copy
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = PLACEHOLDER
    return json.dumps(copy).replace(json.dumps(PLACEHOLDER), raw)


def assert_refused(response: Any) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.get_data()[:200])
    assert set(response.json["error"]) >= {"code", "message"}


@pytest.mark.parametrize("name", READ_BODIES)
def test_ten_thousand_levels_of_nesting_are_refused_and_store_nothing(call, world, name):
    before = stored()
    for opener, closer in (("[", "]"), ('{"a":', "}")):
        deep = opener * 10_000 + "1" + closer * 10_000
        for where in paths(BODIES[name][3]):
            response = send(call, world, name, with_raw(BODIES[name][3], where, deep))
            assert_refused(response)
            assert response.json["error"]["code"] == "too_deep"
    assert stored() == before


@pytest.mark.parametrize("name", READ_BODIES)
def test_a_five_thousand_digit_integer_in_any_field_is_refused(call, world, name):
    body = BODIES[name][3]
    before = stored()
    for where in [*paths(body), ("extra",)]:
        for number in (BIG, "-" + BIG, BIG + ".5", "1e400"):
            response = send(call, world, name, with_raw(body, where, number))
            assert_refused(response)
            assert response.json["error"]["code"] == "number_out_of_range"
    assert stored() == before


@pytest.mark.parametrize("number", [2**31, 2**63, 2**64, -(2**63) - 1, int("9" * 19)], ids=str)
def test_integers_too_wide_for_the_database_are_422(call, world, number):
    """Integers that parse but would overflow a column are refused by the schema's bounds."""
    before = stored()
    body = {**BODIES["roster"][3], "account_id": number}
    response = call("coordinator", "post", f"/api/v1/rosters/{AGENCY_A}", json=body)
    assert response.status_code in (400, 422), response.json
    assert stored() == before


@pytest.mark.parametrize("position", [2**63, 2**64, 10**100, -1])
def test_a_cursor_past_any_event_id_is_422(call, world, position):
    cursor = base64.urlsafe_b64encode(f"v1:{position}".encode()).decode().rstrip("=")
    response = call("facilitator", "get", f"/api/v1/sync/changes?cursor={cursor}")
    assert response.status_code == 422, response.json
    assert list(response.json["error"]["fields"]) == ["cursor"]


@pytest.mark.parametrize("name", list(QUERIES))
def test_huge_numbers_in_queries_are_refused(call, world, name):
    role, path, query = QUERIES[name]
    for key in query:
        for value in (BIG, "-" + BIG, str(2**63), "1e400"):
            response = call(role, "get", path, query_string={**query, key: value})
            assert_refused(response)


# --- the property ----------------------------------------------------------------------------

#: Numbers of every size JSON can spell, small to far past Python's 4,300-digit limit.
NUMBERS = st.one_of(
    st.integers().map(str),
    st.integers(min_value=1, max_value=6000).map(lambda n: "9" * n),
    st.integers(min_value=1, max_value=6000).map(lambda n: "-1" + "0" * n),
    st.sampled_from(["1e400", "-1e400", "1e-400", "0.5", "2147483648", "9223372036854775808"]),
)
LEAVES = st.one_of(
    NUMBERS,
    st.sampled_from(["null", "true", "false", '""', '"x"', "[]", "{}"]),
    st.text(max_size=20).map(json.dumps),
)


@st.composite
def nested(draw: st.DrawFn) -> str:
    """A JSON value nested anywhere from 0 to 20,000 levels, arrays and objects mixed."""
    leaf = draw(LEAVES)
    depth = draw(st.one_of(st.integers(0, 40), st.integers(0, 20_000)))
    if draw(st.booleans()):
        return "[" * depth + leaf + "]" * depth
    return '{"a":' * depth + leaf + "}" * depth


@pytest.mark.parametrize("name", [*BODIES, *QUERIES, *PATHS])
def test_no_json_endpoint_answers_5xx_to_any_nesting_or_number(call, world, name):
    """Arbitrary nesting and number sizes in any field of any JSON endpoint: always a 4xx or 2xx."""
    statuses: list[int] = []

    @given(data=st.data())
    @settings(
        max_examples=30,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(data: st.DataObject) -> None:
        if name in PATHS:
            role, template = PATHS[name]
            value = data.draw(st.one_of(NUMBERS, nested()))
            response = call(role, "get", template.format(quote(value, safe="")))
        elif name in QUERIES:
            role, path, query = QUERIES[name]
            key = data.draw(st.sampled_from(sorted(query)))
            value = data.draw(st.one_of(NUMBERS, nested()))
            response = call(role, "get", path, query_string={**query, key: value})
        else:
            body = BODIES[name][3]
            where = data.draw(st.sampled_from([*paths(body), ("extra",), ()]))
            response = send(call, world, name, with_raw(body, where, data.draw(nested())))
        statuses.append(response.status_code)
        assert response.status_code < 500, response.get_data()[:200]
        assert response.is_json

    run()
    assert len(statuses) == 30


def test_every_integer_an_api_caller_sends_is_bounded_to_what_the_database_stores():
    """A new integer field without bounds would let a 64-bit number reach an int4 column."""
    from marshmallow import Schema, fields, validate

    from api import schemas
    from core.bounds import MAX_DB_INT

    inputs = [
        value
        for name, value in vars(schemas).items()
        if isinstance(value, type) and issubclass(value, Schema) and name.endswith(("In", "Query"))
    ]
    assert len(inputs) >= 8
    for schema in inputs:
        for name, field in schema().fields.items():
            if not isinstance(field, fields.Integer):
                continue
            ranges = [v for v in field.validators if isinstance(v, validate.Range)]
            assert ranges, (schema.__name__, name)
            assert -MAX_DB_INT - 1 <= ranges[0].min <= ranges[0].max <= MAX_DB_INT, name
