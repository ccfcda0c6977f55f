"""Message catalogues: every text a person receives, Indonesian first, then English.

Catalogues are gettext `.po` files under core/translations/<lang>/LC_MESSAGES/, read with
Babel at first use. A msgid is a stable key (``reply.received``); placeholders use
``{name}``. A key missing in a language falls back to Indonesian, then to the key itself.
"""

from __future__ import annotations

import functools
from pathlib import Path

from babel.messages.pofile import read_po

DEFAULT = "id"
LANGUAGES = ("id", "en")
_DIR = Path(__file__).resolve().parent / "translations"


@functools.cache
def catalogue(lang: str) -> dict[str, str]:
    """Load one language's messages as a dict of key to text."""
    path = _DIR / lang / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return {}
    with path.open("rb") as f:
        catalog = read_po(f, locale=lang)
    return {m.id: m.string for m in catalog if m.id and m.string and isinstance(m.id, str)}


def t(key: str, lang: str | None = None, **params: object) -> str:
    """Translate a key into a language and fill its placeholders."""
    lang = lang if lang in LANGUAGES else DEFAULT
    text = catalogue(lang).get(key) or catalogue(DEFAULT).get(key) or key
    return text.format(**params) if params else text
