"""Bounds on what callers send: JSON nesting, number sizes, integers that reach the database.

Python's json recurses once per level and refuses integers of more than 4,300 digits with a
ValueError; the database refuses integers wider than its column. Input past any of these is
refused here, at the boundary, with a reason a caller can act on, never left to fail later.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from typing import Any

#: The widest integer every supported database stores in an Integer column (PostgreSQL int4).
MAX_DB_INT = 2**31 - 1
#: Deeper than any body the API documents (three levels) with room to spare.
MAX_JSON_DEPTH = 32
#: Longer than any integer a JSON body of the API carries (a signed 64-bit integer has 19 digits).
MAX_INT_DIGITS = 19

# A JSON string (escapes included), so brackets inside one are not counted as nesting.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
#: What each bracket does to the depth, by byte value.
_STEP = tuple(1 if b in b"[{" else -1 for b in range(256))


class JsonRefused(ValueError):
    """A body that is not JSON this service reads: `code` says why, for the caller."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def nesting_depth(data: bytes) -> int:
    """Return how deeply a JSON text nests arrays and objects (strings do not count)."""
    brackets = _STRING.sub(b'""', data).translate(None, _NOT_BRACKETS)
    # Running sums in C: a megabyte of brackets takes milliseconds, not a Python loop's second.
    return max(itertools.accumulate(map(_STEP.__getitem__, brackets)), default=0)


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise JsonRefused("number_out_of_range", "A number in the body is too large.")
    return int(text)


def _real(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JsonRefused("number_out_of_range", "A number in the body is too large.")
    return value


def _constant(name: str) -> Any:
    raise JsonRefused("malformed_json", f"{name} is not JSON.")


def load_json(data: bytes) -> Any:
    """Parse a JSON body within the bounds; raise JsonRefused, or JSONDecodeError if not JSON."""
    if nesting_depth(data) > MAX_JSON_DEPTH:
        raise JsonRefused("too_deep", f"The body nests deeper than {MAX_JSON_DEPTH} levels.")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise JsonRefused("malformed_json", "The body is not valid UTF-8.") from None
    return json.loads(text, parse_int=_integer, parse_float=_real, parse_constant=_constant)


def bounded_int(text: str, low: int = -MAX_DB_INT - 1, high: int = MAX_DB_INT) -> int | None:
    """Return the integer a short decimal text names within [low, high], else None."""
    text = text.strip()
    if not text or len(text.lstrip("+-")) > MAX_INT_DIGITS:
        return None
    try:
        value = int(text)
    except ValueError:
        return None
    return value if low <= value <= high else None
