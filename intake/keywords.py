"""Recognise command words (LAPOR, DARURAT, STATUS <ref>, OK <ref>...) at the start of a message."""

from __future__ import annotations

import enum
import functools
import re
from dataclasses import dataclass
from typing import Any

from cases import references
from intake import lexicon
from intake.places import Gazetteer
from models import Category

# Words as people type them; punctuation and emoji between words are dropped.
_WORD = re.compile(r"[^\W_]+")
# Longest place name, in words, tried for the desa of the facilitator form.
_MAX_PLACE_WORDS = 4


class CommandKind(enum.StrEnum):
    """What a command asks for."""

    # Each value is the member's name in lower case: the command's key in keywords.toml.
    LAPOR = enum.auto()
    DARURAT = enum.auto()
    BATAL = enum.auto()
    BANTUAN = enum.auto()
    STATUS = enum.auto()
    TERIMA = enum.auto()
    SELESAI = enum.auto()
    BERHENTI = enum.auto()
    MULAI = enum.auto()
    HAPUS = enum.auto()
    LAPORPOLISI = enum.auto()


@dataclass(frozen=True, slots=True)
class Command:
    """A command word, its case reference if any, and the text after it.

    For the facilitator form ``LAPOR <kategori> <desa> <keterangan>``, ``category`` and
    ``place`` hold the first two parts as typed and ``rest`` the description.
    """

    kind: CommandKind
    ref: str | None = None
    rest: str = ""
    category: Category | None = None
    place: str | None = None


@functools.cache
def _config() -> dict[str, Any]:
    """Return the command words and category aliases, and the reference alphabet."""
    data = lexicon.load("keywords")
    words = {w: CommandKind(k) for k, spec in data["commands"].items() for w in spec["words"]}
    aliases = {w: Category(k) for k, ws in data["category_aliases"].items() for w in ws}
    return {
        "words": words,
        "specs": {CommandKind(k): spec for k, spec in data["commands"].items()},
        "aliases": aliases,
        "ambiguous": frozenset(data["ambiguous_aliases"]["words"]),
        # What cases issue is what a command accepts: one definition, in cases.references.
        "alphabet": frozenset(references.ALPHABET),
        "length": references.LENGTH,
        "first_word_language": {
            w: lang for lang, ws in data["first_word_language"].items() for w in ws
        },
    }


def language_hint(text: str) -> str | None:
    """Return the language a message's first word gives away ("help": "en"), if it does."""
    match = _WORD.search(text)
    return _config()["first_word_language"].get(match.group().casefold()) if match else None


def parse_command(text: str, gazetteer: Gazetteer | None = None) -> Command | None:
    """Return the command ``text`` starts with, or None when it is plain text."""
    words = [match.group() for match in _WORD.finditer(text)]
    if not words:
        return None
    kind = _config()["words"].get(words[0].casefold())
    if kind is None:
        return None
    spec = _config()["specs"][kind]
    ref, after = _reference(words[1:])
    if spec.get("needs_ref"):
        if ref is not None and spec.get("pin") and len(after) == 1 and after[0].isdigit():
            return Command(kind, ref=ref, rest=after[0])
        return Command(kind, ref=ref) if ref is not None and not after else None
    if spec.get("alone"):
        return Command(kind) if len(words) == 1 else None
    if kind is CommandKind.STATUS:
        return Command(kind, ref=ref, rest="" if ref else " ".join(words[1:]))
    if kind is CommandKind.LAPOR:
        return _report(words[1:], gazetteer)
    return Command(kind, rest=" ".join(words[1:]))


def normalise_reference(typed: str) -> str | None:
    """Return a case reference as stored ("k7m-4q2" -> "K7M4Q2"), or None if it is not one."""
    ref, after = _reference(_WORD.findall(typed))
    return ref if not after else None


def _reference(words: list[str]) -> tuple[str | None, list[str]]:
    """Split a reference typed as one or more pieces off the front of ``words``."""
    config = _config()
    joined = ""
    for used, word in enumerate(words, start=1):
        joined += word.upper()
        if len(joined) >= config["length"]:
            valid = len(joined) == config["length"] and set(joined) <= config["alphabet"]
            return (joined, words[used:]) if valid else (None, words)
    return None, words


def _report(words: list[str], gazetteer: Gazetteer | None) -> Command:
    """Return a LAPOR command, split into category, desa and description when in that form."""
    text = " ".join(words)
    if not words:
        return Command(CommandKind.LAPOR)
    config = _config()
    alias = words[0].casefold()
    category = config["aliases"].get(alias)
    if category is None:
        return Command(CommandKind.LAPOR, rest=text)
    size = _place_words(words[1:], gazetteer)
    if size == 0 and alias in config["ambiguous"]:
        return Command(CommandKind.LAPOR, rest=text)
    place = " ".join(words[1 : 1 + size]) if size else None
    rest = " ".join(words[1 + size :])
    return Command(CommandKind.LAPOR, rest=rest, category=category, place=place)


def _place_words(words: list[str], gazetteer: Gazetteer | None) -> int:
    """Return how many of the first ``words`` name a known place (the longest that does)."""
    if gazetteer is None:
        return 1 if words else 0
    for size in range(min(len(words), _MAX_PLACE_WORDS), 0, -1):
        if gazetteer.places_named(" ".join(words[:size])):
            return size
    return 0
