"""The guided dialog: which questions to ask about a report, and what an answer means.

Pure: a `DialogState` in, a changed `DialogState` out. At most three questions, each
answerable with one word or a number, asked only for what triage could not find.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field

from intake.places import Gazetteer, Place
from intake.triage import Triage
from intake.vocab import PlaceLevel

PLACE, DANGER, CONTACT = "place", "danger", "contact"
MAX_QUESTIONS = 3
#: How many times a question is asked again before the dialog moves on without its answer.
MAX_RETRIES = 1
MAX_CHOICES = 6

_YES = {"1", "ya", "iya", "y", "yes", "yess", "benar", "betul", "ada", "boleh", "bisa", "ok", "oke"}
_NO = {
    "2",
    "tidak",
    "tdk",
    "gak",
    "ga",
    "gk",
    "nggak",
    "enggak",
    "no",
    "n",
    "bukan",
    "jangan",
    "aman",
    "tida",
    "nope",
    "not",
}
_UNKNOWN = {
    "tidak tahu",
    "tdk tahu",
    "tdk tau",
    "gak tau",
    "ga tau",
    "nggak tahu",
    "entah",
    "don't know",
    "dont know",
    "unknown",
    "3",
}
_WORD = re.compile(r"[0-9a-z']+")


@dataclass
class DialogState:
    """What is known of a report being filled in, and what remains to ask."""

    text: str
    category: str
    victim: str
    priority: str
    language: str
    region_code: str | None = None
    candidates: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    asked: str | None = None
    retries: int = 0
    may_contact: bool | None = None
    case_id: int | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, data: str) -> DialogState:
        return cls(**json.loads(data))


def plan(triage: Triage, text: str) -> DialogState:
    """Start a state from triage, with the questions it leaves open (possibly none)."""
    place = triage.location
    state = DialogState(
        text=text,
        category=str(triage.category),
        victim=str(triage.victim),
        priority=str(triage.priority),
        language=triage.language,
        region_code=place.code if place else None,
        candidates=list(triage.location_candidates),
    )
    if place is None:
        state.pending.append(PLACE)
    if not triage.danger_known and str(triage.priority) != "darurat":
        # A sign of danger that triage could not be sure of is asked about first.
        state.pending.insert(0 if triage.danger_uncertain else len(state.pending), DANGER)
    if state.pending:
        # Asked only in a dialog already under way: a complete report is never held up.
        state.pending.append(CONTACT)
    state.pending = state.pending[:MAX_QUESTIONS]
    return state


def next_question(state: DialogState) -> str | None:
    """Move to the next pending question and return it, or None when all are done."""
    state.asked = state.pending.pop(0) if state.pending else None
    state.retries = 0
    return state.asked


def _words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def yes_no(text: str) -> bool | None:
    """Read a yes or a no (a number or a word), or None when it is neither."""
    words = _words(text)
    if not words or len(words) > 4:
        return None
    if words[0] in _YES:
        return True
    if words[0] in _NO:
        return False
    return None


def _is_unknown(text: str) -> bool:
    return " ".join(_words(text)) in _UNKNOWN


def answer_place(state: DialogState, text: str, gazetteer: Gazetteer | None) -> bool:
    """Take a place answer: a choice's number, or a place name; return whether it answered."""
    if _is_unknown(text):
        state.candidates = []
        return True
    words = _words(text)
    if state.candidates and len(words) == 1 and words[0].isdigit():
        index = int(words[0]) - 1
        if 0 <= index < min(len(state.candidates), MAX_CHOICES):
            state.region_code, state.candidates = state.candidates[index], []
            return True
        return False
    if gazetteer is None:
        return False
    match = gazetteer.resolve(_with_marker(text))
    if match.place is not None:
        state.region_code, state.candidates = match.place.code, []
        return True
    if match.candidates:
        state.candidates = [p.code for p in match.candidates]
    return False


def _with_marker(text: str) -> str:
    """Read a bare answer to "which village?" as a place name, as if "desa" preceded it."""
    return text if re.match(r"\s*(desa|ds|kel|kec|kab|kota)\b", text, re.I) else f"desa {text}"


def choices(state: DialogState, gazetteer: Gazetteer | None) -> list[Place]:
    """The candidate places offered by number, each shown by its district."""
    if gazetteer is None:
        return []
    places = [gazetteer.get(code) for code in state.candidates[:MAX_CHOICES]]
    return [p for p in places if p is not None]


def choice_label(place: Place) -> str:
    """A choice shown without the village's own name, so a reply never repeats the report."""
    if place.level is PlaceLevel.VILLAGE and place.district:
        return f"Kec. {place.district}" + (f" ({_short(place.regency)})" if place.regency else "")
    return place.name


def _short(regency: str) -> str:
    """KABUPATEN SIGI -> Kab. Sigi."""
    return regency.title().replace("Kabupaten ", "Kab. ")
