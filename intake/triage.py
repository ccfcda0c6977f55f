"""Sort a free-text report: category, victim, priority, place."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from intake import lexicon
from intake.patterns import Matcher
from intake.places import Gazetteer, Place, PlaceMatch
from intake.text import tokens
from intake.vocab import Category, PlaceLevel, Priority, Victim

# Cue groups every message is checked for.
_CUES = (
    "violence",
    "neglect",
    "partner",
    "child",
    "woman",
    "child_hurt",
    "household",
    "pregnant",
    "marriage",
    "female",
    "male",
    "adult_woman",
    "stranger",
    "step_parent",
    "by_partner",
)
# Digits longer than this are phone numbers or amounts, never ages.
_MAX_AGE_DIGITS = 3


@dataclass(frozen=True, slots=True)
class Triage:
    """What free text tells about a report, and what it leaves unknown."""

    category: Category = Category.LAINNYA
    victim: Victim = Victim.TIDAK_DIKETAHUI
    priority: Priority = Priority.BIASA
    danger_known: bool = False
    is_report: bool = False
    language: str = "id"
    location: Place | None = None
    location_candidates: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """Return the contract's triage object, ready for json.dumps."""
        location = None
        if self.location is not None:
            location = {
                "code": self.location.code,
                "name": self.location.name,
                "level": str(self.location.level),
            }
        return {
            "category": str(self.category),
            "priority": str(self.priority),
            "victim": str(self.victim),
            "location": location,
            "location_candidates": list(self.location_candidates),
        }


@dataclass(frozen=True, slots=True)
class _Age:
    """An age the text gives, in years, and whether a person word introduced it."""

    years: float
    of_person: bool


@dataclass(frozen=True, slots=True)
class _Evidence:
    """The cues found in one normalised message."""

    text: str
    words: list[str]
    cues: dict[str, bool]
    scores: dict[Category, int]
    danger: int


class _Rules:
    """The triage lexicon, compiled once."""

    def __init__(self, data: dict[str, Any]) -> None:
        groups = data["groups"]
        self.data = data
        self.cues = {name: Matcher(groups[name], groups) for name in groups}
        self.categories = {
            Category(name): [(int(w), Matcher(p, groups)) for w, p in weights.items()]
            for name, weights in data["categories"].items()
        }
        self.danger = [_danger_rule(rule, groups) for rule in data["danger"]["rules"]]
        self.negated = Matcher(data["negation"]["patterns"], groups)
        self.safety = Matcher(data["safety"]["any"], groups)
        self.not_report = [(int(w), Matcher(p, groups)) for w, p in data["not_report"].items()]
        self.report = [(int(w), Matcher(p, groups)) for w, p in data["report"].items()]
        self.low_harm = Matcher(data["scoring"]["low_harm"], groups)
        self.low_harm_categories = frozenset(
            Category(name) for name in data["scoring"]["low_harm_categories"]
        )
        self.language = {lang: frozenset(words) for lang, words in data["language"].items()}
        self.ages = {k: frozenset(v) for k, v in data["ages"].items() if isinstance(v, list)}
        self.reporter = {k: frozenset(v) for k, v in data["reporter"].items()}
        self.resolved = Matcher(data["scoring"]["resolved"], groups)
        self.over = Matcher(data["scoring"]["over"], groups)


@dataclass(frozen=True, slots=True)
class _DangerRule:
    """A danger rule: its weight, the matchers that must all hit, and one that must not."""

    weight: int
    required: list[Matcher]
    unless: Matcher

    def meets(self, text: str) -> bool:
        """Return whether ``text`` meets every required pattern and no ``unless`` one."""
        return all(m.search(text) for m in self.required) and not self.unless.search(text)


def _danger_rule(rule: dict[str, Any], groups: dict[str, list[str]]) -> _DangerRule:
    """Return a danger rule from its lexicon entry (``any`` or ``all``, maybe ``unless``)."""
    unless = Matcher(rule.get("unless", []), groups)
    if "all" in rule:
        return _DangerRule(int(rule["weight"]), [Matcher([p], groups) for p in rule["all"]], unless)
    return _DangerRule(int(rule["weight"]), [Matcher(rule["any"], groups)], unless)


@functools.cache
def _rules() -> _Rules:
    """Return the compiled triage lexicon."""
    return _Rules(lexicon.load("triage"))


def triage(text: str, gazetteer: Gazetteer | None = None) -> Triage:
    """Return what ``text`` says about a report; never raises on any text."""
    rules = _rules()
    words = tokens(text)
    if not words:
        return Triage()
    evidence = _evidence(rules, words)
    match = gazetteer.resolve(text) if gazetteer is not None else PlaceMatch()
    darurat = evidence.danger >= rules.data["danger"]["threshold"]
    named_place = match.place is not None or bool(match.candidates)
    language = _language(rules, words)
    if not _is_report(rules, evidence, darurat, named_place):
        # A question or a thank-you may still name the reporter's village: keep it.
        village = match.place is not None and match.place.level is PlaceLevel.VILLAGE
        return Triage(
            language=language,
            location=match.place if village else None,
            location_candidates=match.candidate_codes if match.candidates else [],
        )
    category = _category(rules, evidence.scores)
    return Triage(
        category=category,
        victim=_victim(category, evidence),
        priority=_priority(rules, category, evidence, darurat),
        danger_known=darurat or rules.safety.search(evidence.text),
        is_report=True,
        language=language,
        location=match.place,
        location_candidates=match.candidate_codes,
    )


def _evidence(rules: _Rules, words: list[str]) -> _Evidence:
    """Collect the cues, category scores and danger score of a normalised message."""
    # "tidak dipukul" (not hit) names no harm: drop negated harms before looking for cues.
    text = " ".join(rules.negated.sub(" ".join(words)).split())
    cues = {name: rules.cues[name].search(text) for name in _CUES}
    # A mother named only as "mama's husband" (a step-father) is not the one hurt.
    cues["adult_woman"] = rules.cues["adult_woman"].search(rules.cues["step_parent"].sub(text))
    # "suami ... sy": a reporter who names "suami" bare (not "suaminya") is his wife.
    spouse = any(word in rules.reporter["spouse"] for word in words)
    cues["woman"] = cues["woman"] or (spouse and any(w in rules.reporter["self"] for w in words))
    # Hurt by her husband or boyfriend: the one hurt is a woman.
    cues["woman"] = cues["woman"] or cues["by_partner"]
    ages = _ages(rules, words)
    adult = rules.data["ages"]["adult"]
    stated = [age.years for age in ages if age.of_person]
    grown_up = bool(stated) and min(stated) >= adult
    cues["child"] = any(a.years < adult for a in ages) or (cues["child"] and not grown_up)
    # A person whose age is given as under 18 is a child, whatever else the text says.
    cues["minor"] = bool(stated) and max(stated) < adult
    danger = _danger(rules, text)
    young = rules.cues["infant"].search(text)
    young = young or any(a.years < rules.data["ages"]["young"] for a in ages)
    if young and cues["neglect"]:
        danger += rules.data["danger"]["young_neglect"]
    return _Evidence(text, words, cues, _scores(rules, text, cues), danger)


def _scores(rules: _Rules, text: str, cues: dict[str, bool]) -> dict[Category, int]:
    """Return each category's score from its keywords and from who is hurt by whom."""
    scores = {
        category: sum(weight * len(m.found(text)) for weight, m in weighted)
        for category, weighted in rules.categories.items()
    }
    scoring = rules.data["scoring"]
    hurt, child = cues["violence"], cues["child"]
    household = cues["partner"] or cues["household"]
    if (cues["child_hurt"] and not cues["by_partner"]) or (
        hurt and cues["step_parent"] and not cues["adult_woman"]
    ):
        # A child hurt (not by her own boyfriend or husband: that is kdrt); or a step-parent
        # hurting someone at home with no wife or mother named: the child.
        scores[Category.KEKERASAN_ANAK] += scoring["child_violence"]
    elif (hurt or cues["neglect"]) and household and (cues["woman"] or not child):
        scores[Category.KDRT] += scoring["partner_violence"]
    elif (hurt or cues["neglect"]) and child:
        scores[Category.KEKERASAN_ANAK] += scoring["child_violence"]
    elif hurt and cues["woman"]:
        # A woman or girl named as hurt; or only the reporter's own words hint at a woman.
        weight = scoring["woman_violence"] if cues["female"] else scoring["reporter_violence"]
        scores[Category.KDRT] += weight
    if child and cues["marriage"]:
        scores[Category.PERKAWINAN_ANAK] += scoring["child_marriage"]
    if child and cues["pregnant"]:
        scores[Category.KEKERASAN_SEKSUAL] += scoring["child_pregnant"]
    if hurt and cues["woman"] and cues["stranger"] and not household:
        scores[Category.KEKERASAN_SEKSUAL] += scoring["stranger_attack"]
    return scores


def _category(rules: _Rules, scores: dict[Category, int]) -> Category:
    """Return the best-scoring category, or lainnya when none scores enough."""
    order = [Category(name) for name in rules.data["scoring"]["tie_order"]]
    best = max(order, key=lambda c: (scores.get(c, 0), -order.index(c)))
    if scores.get(best, 0) < rules.data["scoring"]["category_min"]:
        return Category.LAINNYA
    return best


def _danger(rules: _Rules, text: str) -> int:
    """Return the sum of the weights of the danger rules the text meets."""
    return sum(rule.weight for rule in rules.danger if rule.meets(text))


def _ages(rules: _Rules, words: list[str]) -> list[_Age]:
    """Return the ages the text gives ("anak 12 tahun", "umur 14", "15 years old")."""
    ages: list[_Age] = []
    for i, word in enumerate(words):
        if not word.isdigit() or len(word) > _MAX_AGE_DIGITS:
            continue
        unit = words[i + 1] if i + 1 < len(words) else ""
        old = i + 2 < len(words) and words[i + 2] == "old"
        of_person = _person_before(rules, words, i)
        after_age_word = i > 0 and words[i - 1] in rules.ages["before"]
        # "she is 16", "the girl was 14", "I am 15": a person, a copula, a number.
        if i > 1 and words[i - 1] in rules.ages["copula"] and words[i - 2] in rules.ages["person"]:
            after_age_word = of_person = True
        if after_age_word or (unit in rules.ages["units"] and (of_person or old)):
            scale = 12 if unit in rules.ages["months"] else 1
            ages.append(_Age(int(word) / scale, of_person))
    return ages


def _person_before(rules: _Rules, words: list[str], i: int) -> bool:
    """Return whether a person word comes just before position ``i``, maybe with "saya"."""
    person, between = rules.ages["person"], rules.ages["between"]
    prev = words[i - 1] if i > 0 else ""
    return prev in person or (prev in between and i > 1 and words[i - 2] in person)


def _is_report(rules: _Rules, evidence: _Evidence, darurat: bool, named_place: bool) -> bool:
    """Return whether the message reports harm rather than asking, thanking or forwarding news."""
    text = evidence.text
    against = sum(weight * len(m.found(text)) for weight, m in rules.not_report)
    towards = max(evidence.scores.values()) + max(evidence.danger, 0)
    towards += sum(weight for weight, m in rules.report if m.search(text))
    towards += 3 * darurat + named_place + any(evidence.cues.values())
    return towards > 0 and towards > against


def _victim(category: Category, evidence: _Evidence) -> Victim:
    """Return who is harmed, from the category and the people the text mentions."""
    cues = evidence.cues
    if category in (Category.KEKERASAN_ANAK, Category.PERKAWINAN_ANAK):
        return Victim.ANAK
    if category is Category.KDRT:
        # Dating violence against a 16-year-old harms a child; a wife or mother is a woman.
        minor = cues["minor"] and not cues["adult_woman"]
        return Victim.ANAK if minor else Victim.PEREMPUAN
    if cues["child"]:
        return Victim.ANAK
    if category is Category.TPPO and cues["male"] and not cues["female"]:
        # Men sent to plantations or fishing boats: neither a woman nor a child.
        return Victim.TIDAK_DIKETAHUI
    if category is not Category.LAINNYA or cues["woman"]:
        return Victim.PEREMPUAN
    return Victim.TIDAK_DIKETAHUI


def _priority(rules: _Rules, category: Category, evidence: _Evidence, darurat: bool) -> Priority:
    """Return darurat for danger now, biasa for lainnya and only non-physical harm, else tinggi."""
    if darurat:
        return Priority.DARURAT
    if category is Category.LAINNYA:
        return Priority.BIASA
    if category in rules.low_harm_categories and _only_low_harm(rules, evidence.text):
        return Priority.BIASA
    if rules.resolved.search(evidence.text) and rules.over.search(evidence.text):
        # Harm in the past that has ended ("dulu dipukul, sekarang sudah cerai").
        return Priority.BIASA
    return Priority.TINGGI


def _only_low_harm(rules: _Rules, text: str) -> bool:
    """Return whether every harm named is non-physical (money, shouting, insults, affairs)."""
    if not rules.low_harm.search(text):
        return False
    return not rules.cues["severe"].search(rules.low_harm.sub(text))


def _language(rules: _Rules, words: list[str]) -> str:
    """Return "en" when English function words outnumber Indonesian ones, else "id"."""
    english = sum(word in rules.language["en"] for word in words)
    indonesian = sum(word in rules.language["id"] for word in words)
    return "en" if english > indonesian else "id"


#: The name bench/triage.py measures (triage once kept a memory of recent texts).
triage_afresh = triage
