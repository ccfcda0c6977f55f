"""What the app shell is made of: its files, their version, and its texts in both languages."""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

from babel.messages.pofile import read_po

STATIC = Path(__file__).resolve().parent / "static"
CATALOGUE = Path(__file__).resolve().parent / "catalogue"
#: Indonesian first: the language the app starts in, and where a missing text comes from.
LANGUAGES = ("id", "en")
#: Files the service worker keeps, besides the page itself and the texts.
ASSETS = (
    "app.css",
    "store.js",
    "app.js",
    "icon.svg",
    "icon-192.png",
    "icon-512.png",
)


@functools.cache
def texts() -> dict[str, dict[str, str]]:
    """Return the app's texts by language, from its message catalogues."""
    out: dict[str, dict[str, str]] = {}
    for lang in LANGUAGES:
        with (CATALOGUE / f"{lang}.po").open("rb") as f:
            catalog = read_po(f, locale=lang)
        out[lang] = {
            m.id: m.string
            for m in catalog
            if isinstance(m.id, str) and m.id and isinstance(m.string, str) and m.string
        }
    return out


@functools.cache
def version() -> str:
    """Return a short hash of every file of the shell: it names the cache of this version."""
    digest = hashlib.sha256()
    for path in sorted([*STATIC.iterdir(), *CATALOGUE.iterdir()]):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def asset_url(name: str) -> str:
    """Return the versioned URL of a file of the shell."""
    return f"/app/static/{name}?v={version()}"


def shell_urls() -> list[str]:
    """Return every URL the service worker caches at install."""
    return ["/app/", f"/app/texts.js?v={version()}", *(asset_url(n) for n in ASSETS)]


def texts_script() -> str:
    """Return the texts as a script that sets them for app.js."""
    return "self.SIGAP_TEXTS = " + json.dumps(texts(), ensure_ascii=False, sort_keys=True) + ";\n"


@functools.cache
def page() -> str:
    """Return the app's page with its files' versioned URLs."""
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    return html.replace("__VERSION__", version())


@functools.cache
def service_worker() -> str:
    """Return the service worker with this version and its list of files."""
    script = (STATIC / "sw.js").read_text(encoding="utf-8")
    return script.replace("__VERSION__", version()).replace("__SHELL__", json.dumps(shell_urls()))
