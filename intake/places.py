"""Resolve place names in free text against the Kemendagri gazetteer."""

from __future__ import annotations

import csv
import functools
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz import process
from rapidfuzz.distance import OSA

from intake import lexicon
from intake.text import fold
from models import RegionLevel

Row = tuple[str, str | None, str]

_LEVEL_ORDER = tuple(RegionLevel)  # largest first
# Words, or the punctuation that ends a sentence (capitals after it mean nothing).
_TOKEN = re.compile(r"[^\W_]+(?:['’`][^\W_]+)*|[.!?\n]")
_APOSTROPHES = re.compile(r"['’`]")
_REGENCY_PREFIX = re.compile(r"^(kabupaten|kab\.?|kota)\s+", re.IGNORECASE)
_BRACKETS = re.compile(r"\([^)]*\)")
_ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")
_ROMAN_SUFFIX = re.compile(r"\s+(" + "|".join(reversed(_ROMAN)) + r")\s*$", re.IGNORECASE)
# Longest name, in words, that a message span is compared with.
_MAX_SPAN = 5
# Spelling slips allowed by length of the name typed (letters, spaces removed).
_MIN_FUZZY_LEN = 5
_SUFFIXES = ("nya", "ku", "mu", "lah", "kah")
# How many words back a phrase like "dulu tinggal" makes a place a former home.
_NEAR = 6

# How much a mention is trusted, by what precedes it.
_UNMARKED, _HINTED, _MARKED = 1, 2, 3


@dataclass(frozen=True, slots=True)
class Place:
    """One administrative area: a village, district, regency or province."""

    code: str
    name: str
    level: RegionLevel
    parent_code: str | None = None
    district: str | None = None
    regency: str | None = None
    province: str | None = None

    def label(self) -> str:
        """Return the name with its district and regency, for showing to a person."""
        parts = [self.name]
        if self.district:
            parts.append(f"Kec. {self.district}")
        if self.regency:
            parts.append(self.regency)
        return ", ".join(parts)

    def within(self, code: str) -> bool:
        """Return whether this place lies inside the area with ``code``."""
        return self.code.startswith(code + ".")


@dataclass(frozen=True, slots=True)
class PlaceMatch:
    """The place a message names, or the places it could be when unclear."""

    place: Place | None = None
    candidates: list[Place] = field(default_factory=list)

    @property
    def candidate_codes(self) -> list[str]:
        """Return the codes of the candidates."""
        return [candidate.code for candidate in self.candidates]


@dataclass(frozen=True, slots=True)
class _Mention:
    """A run of words in a message that names one or more places."""

    start: int
    end: int
    places: tuple[Place, ...]
    strength: int
    exact: bool

    def rank(self) -> tuple[int, bool, int, int]:
        """Return a sort key: trusted, exact, long and early mentions first."""
        return (self.strength, self.exact, self.end - self.start, -self.start)


@dataclass(frozen=True, slots=True)
class _Word:
    """A word of the message as the resolver sees it."""

    key: str
    marker: RegionLevel | None
    weak_marker: bool
    capitalised: bool
    ordinary: bool


class Gazetteer:
    """An index of places by name, built once and queried per message."""

    def __init__(self, places: Iterable[Place], ordinary: set[str] | None = None) -> None:
        self._by_code: dict[str, Place] = {}
        self._by_key: dict[str, list[Place]] = defaultdict(list)
        for place in places:
            self._by_code[place.code] = place
            for key in _name_keys(place.name, place.level):
                self._by_key[key].append(place)
        self._blocks = _build_blocks(self._by_key)
        config = lexicon.load("places")
        self._markers = {
            word: RegionLevel(level) for level, words in config["markers"].items() for word in words
        }
        self._weak = frozenset(config["weak_markers"]["words"])
        self._streets = frozenset(config["street_markers"]["words"])
        self._after = {
            word: RegionLevel(level)
            for level, words in config["markers_after"].items()
            for word in words
        }
        self._elsewhere = [
            tuple(_compact(w) for w in phrase.split()) for phrase in config["elsewhere"]["before"]
        ]
        self._harm_at_work = frozenset(config["elsewhere"]["unless_after"])
        self._lived = [
            tuple(_compact(w) for w in phrase.split()) for phrase in config["elsewhere"]["near"]
        ]
        self._ordinary = frozenset(ordinary if ordinary is not None else _ordinary_words())

    @classmethod
    def from_rows(
        cls,
        provinces: Iterable[Row],
        regencies: Iterable[Row],
        districts: Iterable[Row],
        villages: Iterable[Row],
    ) -> Gazetteer:
        """Build a gazetteer from (code, parent_code, name) rows of each level."""
        names: dict[str, str] = {}
        places: list[Place] = []
        levels = zip(_LEVEL_ORDER, (provinces, regencies, districts, villages), strict=True)
        for level, rows in levels:
            for code, parent, raw_name in rows:
                name = _display_name(raw_name, level)
                names[code] = name
                places.append(_make_place(code, parent, name, level, names))
        return cls(places)

    @classmethod
    def from_csv_dir(cls, path: str | Path, provinces: set[str] | None = None) -> Gazetteer:
        """Build a gazetteer from the wilayah CSV files, optionally for some provinces only."""
        folder = Path(path)

        def rows(name: str) -> list[Row]:
            with (folder / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
                reader = csv.reader(handle)
                next(reader)
                out = [_csv_row(record) for record in reader if record]
            if provinces is None:
                return out
            return [row for row in out if row[0].split(".")[0] in provinces]

        return cls.from_rows(
            rows("provinces"), rows("regencies"), rows("districts"), rows("villages")
        )

    def __len__(self) -> int:
        return len(self._by_code)

    def get(self, code: str) -> Place | None:
        """Return the place with this Kemendagri code, if known."""
        return self._by_code.get(code)

    def places_named(self, name: str) -> list[Place]:
        """Return every place of any level named ``name`` (ignoring case, spaces, marks)."""
        return list(self._by_key.get(_compact(name), ()))

    def villages_named(self, name: str) -> list[Place]:
        """Return every village named ``name`` (ignoring case, spaces, marks)."""
        return [p for p in self.places_named(name) if p.level is RegionLevel.VILLAGE]

    def resolve(self, text: str) -> PlaceMatch:
        """Return the place ``text`` names, preferring villages, or the candidates if unclear."""
        words = self._words(text)
        mentions = self._mentions(words)
        for level in reversed(_LEVEL_ORDER):
            match = _settle(mentions, level)
            if match is not None:
                return match
        return PlaceMatch()

    def _words(self, text: str) -> list[_Word | None]:
        """Split ``text`` into words, with None where a sentence ends."""
        out: list[_Word | None] = []
        sentence_start = True
        previous: _Word | None = None
        for piece in _TOKEN.findall(text):
            if piece in ".!?\n":
                # "kel." and "kec." end in a full stop that does not end a sentence.
                if previous is None or previous.marker is None:
                    out.append(None)
                    sentence_start = True
                continue
            key = _compact(piece)
            word = _Word(
                key=key,
                marker=self._markers.get(key),
                weak_marker=key in self._weak,
                capitalised=piece[0].isupper() and not sentence_start and not piece.isupper(),
                ordinary=self._is_ordinary(key),
            )
            out.append(word)
            previous, sentence_start = word, False
        return out

    def _is_ordinary(self, key: str) -> bool:
        """Return whether ``key`` is an everyday word rather than a name."""
        if key in self._ordinary or key.isdigit() or len(key) < 3:
            return True
        return any(key.endswith(s) and key[: -len(s)] in self._ordinary for s in _SUFFIXES)

    def _mentions(self, words: list[_Word | None]) -> list[_Mention]:
        """Return every run of words that names a place, longest first where they overlap."""
        found: list[_Mention] = []
        for start, word in enumerate(words):
            if word is None:
                continue
            before = words[start - 1] if start > 0 else None
            if before is not None and before.key in self._streets:
                continue
            level, strength = _context(words, start)
            mention = self._mention_at(words, start, level, strength)
            # "kerja di Morowali", "an NGO in Luwuk": a workplace or a destination, not where
            # the harm happened.
            if mention is not None and not self._named_elsewhere(words, start):
                found.append(self._marked_after(words, mention))
        return _village_then_area(_drop_overlapped(found))

    def _named_elsewhere(self, words: list[_Word | None], start: int) -> bool:
        """Return whether the words before ``start`` name a workplace or destination."""
        for phrase in self._elsewhere:
            begin = start - len(phrase)
            if begin < 0:
                continue
            before = words[begin:start]
            if all(w is not None and w.key == k for w, k in zip(before, phrase, strict=True)):
                # "di tempat kerja di Nunu": harm at the workplace happened there.
                ahead = words[begin - 1] if begin > 0 else None
                return ahead is None or ahead.key not in self._harm_at_work
        # "dulu tinggal sm kami di ds Koninis": where someone used to live, a few words back.
        keys = [w.key if w is not None else "" for w in words[max(0, start - _NEAR) : start]]
        if "" in keys:
            keys = keys[len(keys) - keys[::-1].index("") :]  # this sentence only
        return any(_has_run(keys, phrase) for phrase in self._lived)

    def _marked_after(self, words: list[_Word | None], mention: _Mention) -> _Mention:
        """Trust a name followed by its level in English ("Tataba village") as if marked."""
        after = words[mention.end] if mention.end < len(words) else None
        level = self._after.get(after.key) if after is not None else None
        if level is None:
            return mention
        places = tuple(p for p in mention.places if p.level is level)
        if not places:
            return mention
        return _Mention(mention.start, mention.end, places, _MARKED, mention.exact)

    def _mention_at(
        self, words: list[_Word | None], start: int, level: RegionLevel | None, strength: int
    ) -> _Mention | None:
        """Return the longest place name starting at ``start``, exact or else near enough."""
        span = _span(words, start)
        # A marker word starts a name only as part of one ("Kampung Baru"), never alone.
        shortest = 2 if span[0].marker is not None else 1
        for end in range(len(span), shortest - 1, -1):
            run = span[:end]
            places = _at_level(self._by_key.get("".join(w.key for w in run), ()), level)
            if places and self._plausible(run, strength):
                places = _prefer_area(places)
                return _Mention(start, start + end, tuple(places), strength, exact=True)
        # A street or building word ("RS Anutapura") never starts a misspelt place name.
        if strength < _HINTED or span[0].key in self._streets:
            return None
        for end in range(min(len(span), 3), shortest - 1, -1):
            run = span[:end]
            if all(w.ordinary for w in run) and strength < _MARKED:
                continue
            places = _at_level(self._near("".join(w.key for w in run), strength), level)
            if places:
                return _Mention(start, start + end, tuple(places), strength, exact=False)
        return None

    def _plausible(self, run: list[_Word], strength: int) -> bool:
        """Return whether a run of words that matches a name is meant as one."""
        if strength >= _MARKED or any(w.capitalised for w in run):
            return True
        if len(run) > 1:
            return strength >= _HINTED or not all(w.ordinary for w in run)
        return not run[0].ordinary

    def _near(self, key: str, strength: int) -> list[Place]:
        """Return the places whose name is the fewest typing slips away from ``key``."""
        if len(key) < _MIN_FUZZY_LEN or (strength < _MARKED and len(key) < _MIN_FUZZY_LEN + 1):
            return []
        slips = 1 if len(key) < 9 else 2
        choices = _block_choices(self._blocks, key, slips)
        if not choices:
            return []
        hits = process.extract(key, choices, scorer=OSA.distance, score_cutoff=slips, limit=None)
        if not hits:
            return []
        best = min(hit[1] for hit in hits)
        return [p for name, dist, _ in hits if dist == best for p in self._by_key[name]]


def _has_run(keys: list[str], phrase: tuple[str, ...]) -> bool:
    """Return whether ``phrase`` occurs as consecutive words in ``keys``."""
    size = len(phrase)
    return any(tuple(keys[i : i + size]) == phrase for i in range(len(keys) - size + 1))


def _span(words: list[_Word | None], start: int) -> list[_Word]:
    """Return up to the longest name's worth of words from ``start`` within one sentence."""
    out: list[_Word] = []
    for word in words[start : start + _MAX_SPAN]:
        if word is None:
            break
        out.append(word)
    return out


def _context(words: list[_Word | None], start: int) -> tuple[RegionLevel | None, int]:
    """Return the level a marker before ``start`` asks for, and how much to trust the name."""
    before = words[start - 1] if start > 0 else None
    if before is not None and before.marker is not None:
        return before.marker, _MARKED
    word = words[start]
    if (before is not None and before.weak_marker) or (word is not None and word.capitalised):
        return None, _HINTED
    return None, _UNMARKED


def _at_level(places: Iterable[Place], level: RegionLevel | None) -> list[Place]:
    """Return the places at ``level``, or all of them when no level was asked for."""
    return [p for p in places if level is None or p.level is level]


def _prefer_area(places: list[Place]) -> list[Place]:
    """Drop villages that share a name with a larger area but lie outside it ("Palu")."""
    areas = [p for p in places if p.level is not RegionLevel.VILLAGE]
    if not areas or len(areas) == len(places):
        return places
    inside = [p for p in places if p in areas or any(p.within(a.code) for a in areas)]
    if len(inside) == len(areas):
        # A village elsewhere that happens to share a town's name is not what people mean.
        return areas
    # A village named after its own district is what people mean, unless villages of that
    # name lie in other districts of the same province too ("Labuan"): then ask which.
    provinces = {a.code.split(".")[0] for a in areas}
    nearby = [p for p in places if p not in inside and p.code.split(".")[0] in provinces]
    return inside + nearby


def _village_then_area(mentions: list[_Mention]) -> list[_Mention]:
    """Read "Village District" ("Tondo Sirenja", "Sidera, Sigi Biromaru") as one place.

    When a name is followed at once by the name of a district or regency that contains one
    of the villages it may be, the first name is the village and the second only its area,
    even when the second is also some other village's name.
    """
    by_start = {m.start: m for m in mentions}
    out: list[_Mention] = []
    for mention in mentions:
        area = by_start.get(mention.end)
        village = next((m for m in mentions if m.end == mention.start), None)
        if area is not None and _contains(area, mention):
            inside = tuple(p for p in mention.places if any(p.within(a.code) for a in _areas(area)))
            strength = max(mention.strength, area.strength)
            mention = _Mention(mention.start, mention.end, inside, strength, mention.exact)
        elif village is not None and _contains(mention, village):
            mention = _Mention(
                mention.start, mention.end, _areas(mention), mention.strength, mention.exact
            )
        out.append(mention)
    return out


def _areas(mention: _Mention) -> tuple[Place, ...]:
    """Return the districts and regencies a mention may name."""
    return tuple(
        p for p in mention.places if p.level in (RegionLevel.DISTRICT, RegionLevel.REGENCY)
    )


def _contains(area: _Mention, mention: _Mention) -> bool:
    """Return whether ``area`` names a district or regency holding a village ``mention`` may be."""
    return any(
        p.level is RegionLevel.VILLAGE and p.within(a.code)
        for p in mention.places
        for a in _areas(area)
    )


def _drop_overlapped(mentions: list[_Mention]) -> list[_Mention]:
    """Keep the better of two mentions that share words."""
    kept: list[_Mention] = []
    for mention in sorted(mentions, key=_Mention.rank, reverse=True):
        if all(mention.end <= other.start or mention.start >= other.end for other in kept):
            kept.append(mention)
    return kept


def _settle(mentions: list[_Mention], level: RegionLevel) -> PlaceMatch | None:
    """Return the match at ``level``, narrowed by the larger areas named alongside."""
    at_level = [m for m in mentions if any(p.level is level for p in m.places)]
    if not at_level:
        return None
    best = max(at_level, key=_Mention.rank)
    options = [p for p in best.places if p.level is level]
    areas = {p.code for m in mentions if m is not best for p in m.places if p.level is not level}
    narrowed = [p for p in options if any(p.within(code) for code in areas)]
    options = narrowed or options
    options = list(dict.fromkeys(options))
    if len(options) == 1:
        return PlaceMatch(options[0], [])
    return PlaceMatch(None, sorted(options, key=lambda p: p.code))


def _build_blocks(by_key: dict[str, list[Place]]) -> dict[tuple[str, str, int], list[str]]:
    """Group names by first and by last two letters and length, so typos search few names."""
    blocks: dict[tuple[str, str, int], list[str]] = defaultdict(list)
    for key in by_key:
        blocks["p", key[:2], len(key)].append(key)
        blocks["s", key[-2:], len(key)].append(key)
    return dict(blocks)


def _block_choices(
    blocks: dict[tuple[str, str, int], list[str]], key: str, slips: int
) -> list[str]:
    """Return the names that could be within ``slips`` typing slips of ``key``."""
    found: dict[str, None] = {}
    for length in range(len(key) - slips, len(key) + slips + 1):
        for block in (("p", key[:2], length), ("s", key[-2:], length)):
            found.update(dict.fromkeys(blocks.get(block, ())))
    return list(found)


def _compact(text: str) -> str:
    """Return ``text`` folded with everything but letters and digits removed."""
    return "".join(ch for ch in fold(_APOSTROPHES.sub("", text)) if ch.isalnum())


def _name_keys(name: str, level: RegionLevel) -> set[str]:
    """Return the lookup keys of a place name, one per spelling people use."""
    variants = {name, _BRACKETS.sub(" ", name)}
    variants.update(part for v in list(variants) for part in v.split("/"))
    if level is RegionLevel.REGENCY:
        variants.update(_REGENCY_PREFIX.sub("", v) for v in list(variants))
    # "Sidondo II" is typed "sidondo 2" as often as not.
    variants.update(_ROMAN_SUFFIX.sub(_arabic, v) for v in list(variants))
    return {key for key in map(_compact, variants) if key}


def _arabic(match: re.Match[str]) -> str:
    """Return a trailing Roman numeral as digits."""
    return " " + str(_ROMAN.index(match.group(1).upper()) + 1)


def _display_name(raw: str, level: RegionLevel) -> str:
    """Return a name as people write it ("Kabupaten Sigi", not "KABUPATEN SIGI")."""
    name = " ".join(raw.split())
    if level in (RegionLevel.REGENCY, RegionLevel.PROVINCE) and name.isupper():
        return name.title()
    return name


def _make_place(
    code: str, parent: str | None, name: str, level: RegionLevel, names: dict[str, str]
) -> Place:
    """Return a Place with the names of the areas it lies in, for display."""
    parts = code.split(".")
    return Place(
        code=code,
        name=name,
        level=level,
        parent_code=parent,
        district=names.get(".".join(parts[:3])) if level is RegionLevel.VILLAGE else None,
        regency=names.get(".".join(parts[:2])) if len(parts) > 2 else None,
        province=names.get(parts[0]) if len(parts) > 1 else None,
    )


def _csv_row(record: list[str]) -> Row:
    """Return (code, parent_code, name) from a CSV record with or without a parent column."""
    if len(record) == 2:
        return record[0].strip(), None, record[1].strip()
    return record[0].strip(), record[1].strip() or None, record[2].strip()


@functools.cache
def _ordinary_words() -> frozenset[str]:
    """Return the everyday words that are not read as place names without a marker."""
    words = set(lexicon.load("places")["ordinary"]["words"])
    triage = lexicon.load("triage")
    words.update(triage["abbreviations"])
    words.update(w for v in triage["abbreviations"].values() for w in v.split())
    words.update(_literal_words(triage))
    return frozenset(_compact(part) for w in words for part in w.split())


def _literal_words(data: object) -> Iterable[str]:
    """Yield every plain word (no wildcard or group) in the lexicon's pattern lists."""
    if isinstance(data, dict):
        for value in data.values():
            yield from _literal_words(value)
    elif isinstance(data, list):
        for item in data:
            yield from _literal_words(item)
    elif isinstance(data, str):
        # "pacar*" means the word "pacar" with any ending: "pacar" itself is ordinary.
        yield from (w.strip("*") for w in data.split() if w.strip("*").isalpha())
