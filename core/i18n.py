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
#: One SMS segment: 160 GSM-7 characters, or 70 UTF-16 units once any character needs UCS-2.
GSM_SEGMENT, UCS2_SEGMENT = 160, 70
#: GSM 03.38: the basic set costs one unit, the extension table two.
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = frozenset("^{}\\[~]|€\f")
_DIR = Path(__file__).resolve().parent / "translations"


def read_catalogue(directory: Path, lang: str) -> dict[str, str]:
    """Read one language's .po file under a translations folder as a dict of key to text."""
    path = directory / lang / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return {}
    with path.open("rb") as f:
        catalog = read_po(f, locale=lang)
    return {
        m.id: m.string
        for m in catalog
        if m.id and isinstance(m.id, str) and m.string and isinstance(m.string, str)
    }


@functools.cache
def catalogue(lang: str) -> dict[str, str]:
    """Load one language's messages as a dict of key to text."""
    return read_catalogue(_DIR, lang)


def t(key: str, lang: str | None = None, **params: object) -> str:
    """Translate a key into a language and fill its placeholders."""
    lang = lang if lang in LANGUAGES else DEFAULT
    text = catalogue(lang).get(key) or catalogue(DEFAULT).get(key) or key
    return text.format(**params) if params else text


def is_gsm7(text: str) -> bool:
    """Say whether a text can go as GSM-7 (else the whole message goes as UCS-2)."""
    return all(c in GSM_BASIC or c in GSM_EXTENDED for c in text)


def fits_one_sms(text: str) -> bool:
    """Say whether a text fits one SMS segment under the GSM-7 or UCS-2 rules."""
    if is_gsm7(text):
        return sum(2 if c in GSM_EXTENDED else 1 for c in text) <= GSM_SEGMENT
    return len(text.encode("utf-16-le")) // 2 <= UCS2_SEGMENT
