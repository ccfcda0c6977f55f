"""The guided dialog: which questions to ask about a report, and what an answer means.

Pure: a `DialogState` in, a changed `DialogState` out. At most three questions, each
answerable with one word or a number, asked only for what triage could not find.
"""

from __future__ import annotations

import enum
import json
import re
from dataclasses import asdict, dataclass, field

from intake.places import Gazetteer, Place
from intake.triage import Triage
from models import Category, Priority, RegionLevel

PLACE, STORY, DANGER, CONTACT = "place", "story", "danger", "contact"
MAX_QUESTIONS = 3
#: How many times a question is asked again before the dialog moves on without its answer.
MAX_RETRIES = 1
MAX_CHOICES = 6
#: A message with no more words than this besides place names says where, not what: the
#: dialog asks what happened before anything is filed.
STORY_WORDS = 2

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
}
# Words around a place name that tell nothing of what happened.
_PLACE_MARKERS = {
    "desa",
    "ds",
    "kel",
    "kelurahan",
    "kec",
    "kecamatan",
    "kab",
    "kabupaten",
    "kota",
    "dusun",
    "dsn",
    "kampung",
    "di",
    "dari",
    "village",
    "in",
    "at",
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
    #: What the reporter is told their report is: the case's reference, or their own.
    reference: str | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, data: str) -> DialogState:
        return cls(**json.loads(data))


class Answer(enum.Enum):
    """What a reply to the question asked did."""

    SETTLED = "settled"  # answered (for a place: a place, a choice, or "don't know")
    NARROWED = "narrowed"  # a name several villages share: ask which, by number
    NOT_OFFERED = "not_offered"  # a number that is not on the list: ask again
    UNCLEAR = "unclear"  # no answer in it


def plan(triage: Triage, text: str, gazetteer: Gazetteer | None = None) -> DialogState:
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
    if says_only_where(triage, text, gazetteer):
        # "Bora": what happened comes first; an emergency in the answer opens the case.
        state.pending.insert(0, STORY)
    if not triage.danger_known and triage.priority != Priority.DARURAT:
        # A sign of danger that triage could not be sure of is asked about first.
        state.pending.insert(0 if triage.danger_uncertain else len(state.pending), DANGER)
    if state.pending:
        # Asked only in a dialog already under way: a complete report is never held up.
        state.pending.append(CONTACT)
    state.pending = state.pending[:MAX_QUESTIONS]
    return state


def says_only_where(triage: Triage, text: str, gazetteer: Gazetteer | None) -> bool:
    """Say whether a message names a place and hardly anything of what happened."""
    if triage.category != Category.LAINNYA or triage.priority == Priority.DARURAT:
        return False
    places = [triage.location] if triage.location else []
    if gazetteer is not None:
        candidates = (gazetteer.get(code) for code in triage.location_candidates)
        places += [place for place in candidates if place is not None]
    named = {
        word
        for place in places
        for name in (place.name, place.district, place.regency)
        if name
        for word in _words(name)
    }
    if not named:
        return False
    rest = [w for w in _words(text) if w not in named and w not in _PLACE_MARKERS]
    return len(rest) <= STORY_WORDS


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


def has_words(text: str) -> bool:
    """Say whether a reply has any word or number in it."""
    return bool(_words(text))


def _is_unknown(text: str) -> bool:
    return " ".join(_words(text)) in _UNKNOWN


def answer_place(state: DialogState, text: str, gazetteer: Gazetteer | None) -> Answer:
    """Take a place answer: a choice's number or district, a place name, or "don't know"."""
    words = _words(text)
    # The number comes first: "3" picks the third district, never "don't know".
    if state.candidates and len(words) == 1 and words[0].isdigit():
        index = int(words[0]) - 1
        if 0 <= index < min(len(state.candidates), MAX_CHOICES):
            state.region_code, state.candidates = state.candidates[index], []
            return Answer.SETTLED
        return Answer.NOT_OFFERED
    if _is_unknown(text):
        state.candidates = []
        return Answer.SETTLED
    if gazetteer is None:
        return Answer.UNCLEAR
    picked = _picked_by_name(state, words, gazetteer)
    if picked is not None:
        state.region_code, state.candidates = picked, []
        return Answer.SETTLED
    match = gazetteer.resolve(_with_marker(text))
    if match.place is not None:
        state.region_code, state.candidates = match.place.code, []
        return Answer.SETTLED
    if match.candidates:
        state.candidates = [p.code for p in match.candidates]
        return Answer.NARROWED
    return Answer.UNCLEAR


def _picked_by_name(state: DialogState, words: list[str], gazetteer: Gazetteer) -> str | None:
    """The one choice whose district (or regency) the reply names, if exactly one is."""
    typed = [w for w in words if w not in _PLACE_MARKERS]
    if not state.candidates or not typed:
        return None
    found = []
    for code in state.candidates:
        place = gazetteer.get(code)
        names = (place.district, place.regency) if place is not None else ()
        if any(n and [w for w in _words(n) if w not in _PLACE_MARKERS] == typed for n in names):
            found.append(code)
    return found[0] if len(found) == 1 else None


def _with_marker(text: str) -> str:
    """Read a bare answer to "which village?" as a place name, as if "desa" preceded it."""
    return text if re.match(r"\s*(desa|ds|kel|kec|kab|kota)\b", text, re.I) else f"desa {text}"


def choices(state: DialogState, gazetteer: Gazetteer | None) -> list[Place]:
    """The candidate places offered by number, each shown by its district."""
    if gazetteer is None:
        return []
    places = [gazetteer.get(code) for code in state.candidates[:MAX_CHOICES]]
    return [p for p in places if p is not None]


def choice_label(place: Place, with_regency: bool = True) -> str:
    """A choice shown without the village's own name, so a reply never repeats the report."""
    if place.level is RegionLevel.VILLAGE and place.district:
        label = place.district
        if with_regency and place.regency:
            label += f" ({_short(place.regency)})"
        return label
    return place.name


def choice_labels(places: list[Place], with_regency: bool) -> list[str]:
    """Labels for a list of choices; a district name two choices share keeps its regency."""
    districts = [p.district for p in places]
    return [choice_label(p, with_regency or districts.count(p.district) > 1) for p in places]


def _short(regency: str) -> str:
    """KABUPATEN SIGI -> Kab. Sigi."""
    return regency.title().replace("Kabupaten ", "Kab. ")
