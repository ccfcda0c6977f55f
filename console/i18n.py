"""The console's catalogues: console/translations/<lang>/LC_MESSAGES/messages.po, read by Babel.

Kept apart from core's catalogues (what reporters and officers receive by SMS), in the same
format and with the same fallbacks: a key missing in English shows the Indonesian text.
"""

from __future__ import annotations

import functools
from pathlib import Path

from flask import request, session

from core.i18n import read_catalogue

DEFAULT = "id"
LANGUAGES = ("id", "en")
_DIR = Path(__file__).resolve().parent / "translations"


@functools.cache
def catalogue(lang: str) -> dict[str, str]:
    """Load one language's console messages as a dict of key to text."""
    return read_catalogue(_DIR, lang)


def language() -> str:
    """The language of this request: ?lang=, else the session's choice, else Indonesian."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        session["lang"] = asked
        return asked
    chosen = session.get("lang")
    return chosen if chosen in LANGUAGES else DEFAULT


def t(key: str, **params: object) -> str:
    """Translate a key into the request's language and fill its placeholders."""
    lang = language()
    text = catalogue(lang).get(key) or catalogue(DEFAULT).get(key) or key
    return text.format(**params) if params else text


def label(group: str, value: object) -> str:
    """The readable name of a vocabulary value (category, status, …); the value if none."""
    if value is None or value == "":
        return "–"
    key = f"{group}.{value}"
    found = t(key)
    return str(value) if found == key else found
