"""Bad input as the one JSON error shape: {"error": {"code", "message", "fields"}}."""

from __future__ import annotations

import http
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

import flask
import marshmallow as ma
from flask_smorest import Blueprint
from webargs.flaskparser import FlaskParser

from api.schemas import ErrorOut
from core import bounds
from core.errors import ApiError


def flatten(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Turn marshmallow's nested messages into {"items.3.captured_at": ["..."]}."""
    if not isinstance(messages, Mapping):
        texts = messages if isinstance(messages, list) else [messages]
        return {prefix or "_schema": [str(t) for t in texts]}
    flat: dict[str, list[str]] = {}
    for key, value in messages.items():
        # A whole-object error of a nested object belongs to the object's own path.
        path = prefix if key == "_schema" and prefix else ".".join(filter(None, (prefix, str(key))))
        for name, texts in flatten(value, path).items():
            flat.setdefault(name, []).extend(texts)
    return flat


def invalid(fields: dict[str, list[str]]) -> ApiError:
    """Return the 422 error for input that breaks the rules of its schema."""
    return ApiError(422, "invalid", "Some fields are not valid.", fields)


class Parser(FlaskParser):
    """Request parsing whose failures are ApiErrors; unknown query fields are refused too."""

    DEFAULT_UNKNOWN_BY_LOCATION: dict[str, str | None] = {  # noqa: RUF012 (webargs' own attribute)
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": ma.RAISE,
        "querystring": ma.RAISE,
    }

    def handle_error(self, error: ma.ValidationError, *args: Any, **kwargs: Any) -> NoReturn:
        """Answer 422 with per-field reasons, whatever part of the request was wrong."""
        # Messages are keyed by location first (json, querystring): the caller knows where.
        messages = error.messages if isinstance(error.messages, dict) else {}
        merged: dict[str, list[str]] = {}
        for part in messages.values():
            merged.update(flatten(part))
        raise invalid(merged or {"_schema": ["Not valid."]})

    def _handle_invalid_json_error(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise ApiError(400, "malformed_json", "The body is not valid JSON.")

    def _raw_load_json(self, req: flask.Request) -> Any:
        # A body that is not JSON would otherwise read as an empty object.
        if req.content_length and not req.is_json:
            raise ApiError(415, "unsupported_media_type", "Send the body as application/json.")
        if not req.is_json:
            return ma.missing
        data = req.get_data(cache=True)
        if not data:
            return ma.missing
        try:
            # Bounded: deep nesting or huge numbers would otherwise end in a 500.
            return bounds.load_json(data)
        except bounds.JsonRefused as exc:
            raise ApiError(400, exc.code, exc.message) from None


class ApiBlueprint(Blueprint):
    """A blueprint whose arguments fail as ApiErrors and whose views document their errors."""

    ARGUMENTS_PARSER = Parser()

    def errors(self, *statuses: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Document the error responses a view may give (401 and 429 always), with the schema."""

        def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
            # Every route takes a token, and every token has its limits (api/limits.py).
            for status in (401, 429, *statuses):
                fn = self.alt_response(
                    status, schema=ErrorOut, description=http.HTTPStatus(status).phrase
                )(fn)
            return fn

        return decorate
