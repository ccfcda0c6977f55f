"""Compile the lexicon's word patterns ("*pukul*", "sedang ... @violence") to regexes."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

# "..." lets up to this many other words sit between two parts of a pattern.
_GAP_WORDS = 4
_GAP = rf" (?:[^ ]+ ){{0,{_GAP_WORDS}}}"
# Indonesian enclitics ("suaminya", "anakku", "rumahmu") may end any word written without "*":
# "foto bugil" also matches "foto bugilnya".
_ENCLITIC = "(?:nya|ku|mu)?"


class LexiconError(ValueError):
    """Raised when a lexicon pattern refers to a group that does not exist."""


class Matcher:
    """A set of patterns matched against normalised text (words separated by one space)."""

    def __init__(self, patterns: Iterable[str], groups: Mapping[str, list[str]]) -> None:
        body = "|".join(_pattern(p, groups, ()) for p in patterns)
        # A pattern matches whole words: nothing but a space or the text's edge on each side.
        self._regex = re.compile(rf"(?<![^ ])(?:{body})(?![^ ])") if body else None

    def search(self, text: str) -> bool:
        """Return whether any pattern occurs in ``text``."""
        return self._regex is not None and self._regex.search(text) is not None

    def sub(self, text: str) -> str:
        """Return ``text`` with every match blanked out."""
        return text if self._regex is None else self._regex.sub(" ", text)

    def found(self, text: str) -> set[str]:
        """Return the distinct stretches of ``text`` that match a pattern."""
        if self._regex is None:
            return set()
        return {match.group() for match in self._regex.finditer(text)}


def _pattern(pattern: str, groups: Mapping[str, list[str]], seen: tuple[str, ...]) -> str:
    """Return the regex for one pattern, words joined by spaces or gaps."""
    out: list[str] = []
    separator = ""
    for word in pattern.split():
        if word == "...":
            separator = _GAP if out else ""
            continue
        out.append(separator + _word(word, groups, seen))
        separator = " "
    return "".join(out)


def _word(word: str, groups: Mapping[str, list[str]], seen: tuple[str, ...]) -> str:
    """Return the regex for one word: a glob, or a reference to a group."""
    if word.startswith("@"):
        name = word[1:]
        if name not in groups or name in seen:
            raise LexiconError(f"unknown or circular group {word!r}")
        alternatives = (_pattern(p, groups, (*seen, name)) for p in groups[name])
        return "(?:" + "|".join(alternatives) + ")"
    body = "[^ ]*".join(re.escape(part) for part in word.split("*"))
    if word.endswith("*") or not word[-1].isalpha():
        return body
    return body + _ENCLITIC
