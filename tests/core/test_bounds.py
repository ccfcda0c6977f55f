"""Bounds at the boundary: JSON nesting and number sizes, integers for the database."""

from __future__ import annotations

import json

import pytest

from core.bounds import (
    MAX_DB_INT,
    MAX_JSON_DEPTH,
    JsonRefused,
    bounded_int,
    load_json,
    nesting_depth,
)


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        (b"1", 0),
        (b"[]", 1),
        (b'{"a": [{"b": []}]}', 4),
        (b'["[[[[", {"a": "}}}"}]', 2),  # brackets inside strings are text
        (b'["\\"[[[", []]', 2),  # so are they after an escaped quote
        (b"[" * 10_000 + b"]" * 10_000, 10_000),
    ],
)
def test_nesting_depth(text, depth):
    assert nesting_depth(text) == depth


def test_load_json_takes_what_the_api_documents():
    body = {"items": [{"text": "[[[ {{{", "n": -(2**63), "x": 0.5, "ok": True, "no": None}]}
    assert load_json(json.dumps(body).encode()) == body
    nested = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert load_json(nested.encode()) is not None


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1), "too_deep"),
        ('{"a":' * 10_000 + "1" + "}" * 10_000, "too_deep"),
        ("9" * 5000, "number_out_of_range"),
        ("[" + "9" * 20 + "]", "number_out_of_range"),
        ('{"n": 1e400}', "number_out_of_range"),
        ('{"n": NaN}', "malformed_json"),
        ("[Infinity]", "malformed_json"),
    ],
)
def test_load_json_refuses_with_a_reason(text, code):
    with pytest.raises(JsonRefused) as refused:
        load_json(text.encode())
    assert refused.value.code == code


def test_bytes_that_are_not_utf8_are_malformed():
    with pytest.raises(JsonRefused, match="UTF-8"):
        load_json(b'{"a": "\xff"}')


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("42", 42),
        (" 30008 ", 30008),
        (str(MAX_DB_INT), MAX_DB_INT),
        (str(MAX_DB_INT + 1), None),
        (str(-MAX_DB_INT - 2), None),
        ("9" * 5000, None),
        ("", None),
        ("1e3", None),
        ("²", None),
    ],
)
def test_bounded_int(text, value):
    assert bounded_int(text) == value
