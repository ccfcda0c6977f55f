"""Sort a free-text report: category, victim, priority, place."""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from intake import lexicon
from intake.patterns import Matcher
from intake.places import Gazetteer, Place, PlaceMatch
from intake.second_opinion import (
    Model,
    Opinion,
    examples,
    features,
    read_rows,
    train,
    training_sets,
)
from intake.text import tokens
from models import Category, Priority, RegionLevel, Victim

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
    "confined",
    "workplace",
    "perpetrator_self",
    "elderly_words",
    "elderly_woman",
    "held_back",
    "timed",
    "adult_self",
    "dating_hurts",
)
# Cues read on the whole text ("kill herself" is removed before the others are read).
_WHOLE_TEXT_CUES = ("suicidal",)
# Words joining two ages given with one unit ("3 dan 5 tahun", "15-17 years").
_AGE_JOINERS = frozenset({"dan", "atau", "sampai", "hingga", "and", "or", "to"})
# A message this long that names a harm is a report, even with a question in it.
_STORY_WORDS = 40
_STORY_SCORE = 3
_LOW_HARM = "biasa: only non-physical harm named"
# How much question-asking (the not_report weights) makes a message a question.
_ASKING = 3
# An age at least this (in years) makes the one hurt elderly.
_ELDERLY_AGE = 60
_OLDEST_AGE = 110
# Digits longer than this are phone numbers or amounts, never ages.
_MAX_AGE_DIGITS = 3


@dataclass(frozen=True, slots=True)
class Triage:
    """What free text tells about a report, and what it leaves unknown."""

    category: Category = Category.LAINNYA
    victim: Victim = Victim.TIDAK_DIKETAHUI
    priority: Priority = Priority.BIASA
    danger_known: bool = False
    #: Some sign of danger now, too little to be sure: the first question asks about it.
    danger_uncertain: bool = False
    is_report: bool = False
    language: str = "id"
    location: Place | None = None
    location_candidates: list[str] = field(default_factory=list)
    #: Why the message got its category and priority, in a few short lines for staff.
    reasons: tuple[str, ...] = ()

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
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True, slots=True)
class _Age:
    """An age the text gives, in years, and whether a person word introduced it."""

    years: float
    of_person: bool
    #: Said of the older party (the man, the one who did it), not of the one harmed.
    older_party: bool = False


@dataclass(frozen=True, slots=True)
class _Evidence:
    """The cues found in one normalised message."""

    text: str
    words: list[str]
    cues: dict[str, bool]
    scores: dict[Category, int]
    danger: int
    #: The sum of the danger signs alone, before what speaks against danger is taken off.
    signs: int
    #: A rule marked ``not_now`` met: the text says the danger is not this hour's (a later
    #: month, casework asked for, "not urgent"): the model's danger alone is then only a doubt.
    not_now: bool = False
    #: Why each category or the danger score rose: (what it is about, why), for reasons.
    why: list[tuple[str, str]] = field(default_factory=list)


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
        shared: dict[tuple[str, ...], Matcher] = {}
        self.danger = [_danger_rule(rule, groups, shared) for rule in data["danger"]["rules"]]
        self.negated = Matcher(data["negation"]["patterns"], groups)
        self.safety = Matcher(data["safety"]["any"], groups)
        self.not_report = [(int(w), Matcher(p, groups)) for w, p in data["not_report"].items()]
        self.report = [(int(w), Matcher(p, groups)) for w, p in data["report"].items()]
        self.chain = Matcher(data["chain"]["any"], groups)
        self.scam = Matcher(data["chain"]["scam"], groups)
        self.own_harm = Matcher(data["own_harm"]["any"], groups)
        self.low_harm = Matcher(data["scoring"]["low_harm"], groups)
        self.low_harm_categories = frozenset(
            Category(name) for name in data["scoring"]["low_harm_categories"]
        )
        self.language = {lang: frozenset(words) for lang, words in data["language"].items()}
        self.ages = {k: frozenset(v) for k, v in data["ages"].items() if isinstance(v, list)}
        self.asking = [(int(w), Matcher(p, groups)) for w, p in data["not_report"].items()]
        self.reporter = {k: frozenset(v) for k, v in data["reporter"].items()}
        self.resolved = Matcher(data["scoring"]["resolved"], groups)
        self.over = Matcher(data["scoring"]["over"], groups)


@dataclass(frozen=True, slots=True)
class _DangerRule:
    """A danger rule: its weight, the matchers that must all hit, and one that must not."""

    weight: int
    required: list[Matcher]
    unless: Matcher
    why: str
    #: Says the danger is not this hour's: the model's danger alone then makes no darurat.
    not_now: bool = False
    #: Read on the text as written, before denied harms are removed ("not urgent" is a denial
    #: that says something itself).
    as_written: bool = False

    def meets(self, text: str, seen: dict[int, bool]) -> bool:
        """Return whether ``text`` meets every required pattern and no ``unless`` one.

        ``seen`` remembers, for this text, what each matcher said: rules share matchers
        ("@ongoing", "@child"), and each is searched once.
        """
        return all(_seen(m, text, seen) for m in self.required) and not _seen(
            self.unless, text, seen
        )

    def reason(self, text: str) -> str:
        """Return why the rule counts, with the words of ``text`` that met it."""
        found = sorted({hit.strip() for m in self.required for hit in m.found(text)})
        sign = "+" if self.weight > 0 else ""
        return f"{sign}{self.weight} {self.why}: " + ", ".join(f'"{w}"' for w in found[:4])


def _seen(matcher: Matcher, text: str, seen: dict[int, bool]) -> bool:
    """Return whether ``matcher`` finds something in ``text``, searching only once."""
    key = id(matcher)
    if key not in seen:
        seen[key] = matcher.search(text)
    return seen[key]


def _danger_rule(
    rule: dict[str, Any], groups: dict[str, list[str]], shared: dict[tuple[str, ...], Matcher]
) -> _DangerRule:
    """Return a danger rule from its lexicon entry (``any`` or ``all``, maybe ``unless``)."""

    def matcher(patterns: list[str]) -> Matcher:
        key = tuple(patterns)
        if key not in shared:
            shared[key] = Matcher(patterns, groups)
        return shared[key]

    unless = matcher(rule.get("unless", []))
    why = str(rule.get("why", "danger sign"))
    not_now, as_written = bool(rule.get("not_now")), bool(rule.get("as_written"))
    if "all" in rule:
        required = [matcher([p]) for p in rule["all"]]
        return _DangerRule(int(rule["weight"]), required, unless, why, not_now, as_written)
    return _DangerRule(
        int(rule["weight"]), [matcher(rule["any"])], unless, why, not_now, as_written
    )


@functools.cache
def _rules() -> _Rules:
    """Return the compiled triage lexicon."""
    return _Rules(lexicon.load("triage"))


@dataclass(frozen=True, slots=True)
class Reading:
    """What the rules make of a message, before the second opinion is heard."""

    evidence: _Evidence
    match: PlaceMatch
    darurat: bool
    language: str
    chain: bool
    report: bool
    category: Category


def read(text: str, gazetteer: Gazetteer | None = None) -> Reading | None:
    """Return what the rules find in ``text``, or None when it holds no word."""
    rules = _rules()
    words = tokens(text)
    if not words:
        return None
    evidence = _evidence(rules, words)
    match = gazetteer.resolve(text) if gazetteer is not None else PlaceMatch()
    darurat = evidence.danger >= rules.data["danger"]["threshold"]
    named_place = match.place is not None or bool(match.candidates)
    chain = _is_chain(rules, evidence)
    report = not chain and _is_report(rules, evidence, darurat, named_place)
    category = _category(rules, evidence.scores)
    if evidence.cues["elderly"] and category is not Category.KEKERASAN_SEKSUAL:
        # An old person hurt or neglected is the social service's, not one of these cases.
        evidence.why.append((Category.LAINNYA, "the one hurt is elderly"))
        category = Category.LAINNYA
    language = _language(rules, words)
    return Reading(evidence, match, darurat, language, chain, report, category)


def triage(text: str, gazetteer: Gazetteer | None = None, *, model: Model | None = None) -> Triage:
    """Return what ``text`` says about a report, by the rules and the second opinion.

    ``model`` is the second opinion to hear (by default the one trained on data/triage);
    never raises on any text.
    """
    reading = read(text, gazetteer)
    if reading is None:
        return Triage()
    opinion = (model or default_model()).opinion(features(reading.evidence.words))
    return decide(reading, opinion)


def triage_by_rules(text: str, gazetteer: Gazetteer | None = None) -> Triage:
    """Return what the rules alone make of ``text`` (the second opinion unheard)."""
    reading = read(text, gazetteer)
    return Triage() if reading is None else by_rules(reading)


def by_rules(reading: Reading) -> Triage:
    """Return the triage the rules' reading gives alone."""
    return _settle(reading, reading.category, reading.darurat, reading.report, ())


def decide(
    reading: Reading, opinion: Opinion, settings: Mapping[str, float] | None = None
) -> Triage:
    """Return the triage of a message from the rules' reading and the model's opinion.

    The rules' category stands unless the model is sure of another (surer when the rules
    named one); darurat when the rules say so or the model finds danger likely, never for a
    chain message, hoax or scam, nor where the text says the person is safe now. ``settings``
    replace the lexicon's [second_opinion] thresholds (to compare them).
    """
    if settings is None:
        settings = _rules().data["second_opinion"]
    rules = _rules()
    category, report = reading.category, reading.report
    # The model's category is taken when the rules found none, or found another while the
    # model is very sure; never for a chain message, hoax or scam.
    named = report and category is not Category.LAINNYA
    needed = settings["category_over_rules"] if named else settings["category_sure"]
    sure = not reading.chain and opinion.category_p() >= needed
    if sure:
        category = opinion.category
    # The rules may take a message for a question or a thank-you; the model's sure category
    # makes it a report. A chain message, hoax or scam stays what it is.
    report = not reading.chain and (report or (sure and category is not Category.LAINNYA))
    said = f"model: {opinion.category} {opinion.category_p():.2f}"
    by_rules = reading.category if reading.report else Category.LAINNYA
    if report and (category is not by_rules or not reading.report):
        said += " (taken)"
    # The model's danger counts in a report of one of the harms, unless the text says the
    # person is safe now; where the rules find only non-physical harm (shouting, money) it
    # makes the danger uncertain, not darurat.
    safe = rules.safety.search(reading.evidence.text)
    harm = report and not safe
    low = _only_low_harm(rules, reading.evidence.text)
    # A report of none of the harms (lainnya) needs the model surer of danger.
    needed = settings["darurat_from"]
    if category is Category.LAINNYA:
        needed = settings["lainnya_darurat_from"]
        # ...and some person or harm the rules found: a place name alone ("desa Bora") is no
        # report of danger, whatever words the model has seen in emergencies.
        if not any(reading.evidence.cues.values()):
            needed = math.inf
    # Nor where the rules read that the danger is not this hour's (a later month, casework
    # asked for): the model's danger then makes the first reply ask instead.
    not_now = reading.evidence.not_now
    danger = harm and not low and not not_now and opinion.darurat >= needed
    darurat = (reading.darurat and report) or danger
    # Below darurat_from but not far: the first question asks whether someone is in danger now.
    unsure = (
        harm
        and category is not Category.LAINNYA
        and not darurat
        and opinion.darurat >= settings["ask_from"]
    )
    why = f"model: darurat {opinion.darurat:.2f}"
    if opinion.darurat_cues:
        why += " (" + ", ".join(f'"{w}"' for w in opinion.darurat_cues) + ")"
    return _settle(reading, category, darurat, report, (said, why), opinion.darurat, unsure)


def _settle(
    reading: Reading,
    category: Category,
    darurat: bool,
    report: bool,
    notes: tuple[str, ...],
    danger_p: float | None = None,
    unsure: bool = False,
) -> Triage:
    """Return the triage of a message whose category, danger and standing are decided.

    ``danger_p`` is the model's darurat probability, when it was heard; ``unsure`` that it is
    too high to ignore, too low for darurat.
    """
    rules = _rules()
    evidence, match = reading.evidence, reading.match
    if reading.chain or not report:
        # A question or a thank-you may still name the reporter's village: keep it.
        village = match.place is not None and match.place.level is RegionLevel.VILLAGE
        return Triage(
            language=reading.language,
            location=match.place if village else None,
            location_candidates=match.candidate_codes if match.candidates else [],
            reasons=(_not_report_reason(rules, evidence.text, reading.chain), *notes),
        )
    safe = rules.safety.search(evidence.text)
    signs = evidence.signs > 0 and evidence.danger > 0
    uncertain = not darurat and not safe and (signs or unsure)
    priority, why_priority = _priority(rules, category, evidence, darurat)
    if darurat and not reading.darurat and danger_p is not None:
        why_priority = f"darurat: the second opinion finds danger now ({danger_p:.2f})"
    if uncertain and priority is Priority.BIASA and why_priority == _LOW_HARM:
        # The safety net: a sign of danger, not enough to be sure, is never left at biasa;
        # the first question asks whether someone is in danger now.
        priority, why_priority = Priority.TINGGI, "tinggi: a sign of danger now, not certain"
    return Triage(
        category=category,
        victim=_victim(category, evidence),
        priority=priority,
        danger_known=darurat or safe,
        danger_uncertain=uncertain,
        is_report=True,
        language=reading.language,
        location=match.place,
        location_candidates=match.candidate_codes,
        reasons=(*_reasons(category, evidence, why_priority), *notes),
    )


@functools.cache
def default_model() -> Model:
    """Return the second opinion trained on every set data/triage/sets.toml lists (once)."""
    paths = [path for files in training_sets().values() for path in files]
    return train(examples(read_rows(paths)))


def _is_chain(rules: _Rules, evidence: _Evidence) -> bool:
    """Return whether the message is a forwarded chain message, a hoax or a scam."""
    if rules.chain.search(evidence.text):
        return True
    if not rules.scam.search(evidence.text):
        return False
    # A sponsor gathering children who asks for their papers is recruiting, not a scam.
    recruits = evidence.scores[Category.TPPO] >= rules.data["chain"]["scam_recruits_children"]
    return not (recruits and evidence.cues["child"])


def _reasons(category: Category, evidence: _Evidence, why_priority: str) -> tuple[str, ...]:
    """Return the reasons for the category, then the priority and the danger signs behind it."""
    about = [why for topic, why in evidence.why if topic == str(category)]
    if category is Category.LAINNYA and not about:
        about = ["no harm the categories name was found"]
    danger = [why for topic, why in evidence.why if topic == "danger"]
    return (
        f"{category}: " + "; ".join(about[:3]),
        why_priority,
        *danger[:4],
    )


def _not_report_reason(rules: _Rules, text: str, chain: bool) -> str:
    """Return why a message is not read as a report."""
    if chain:
        found = sorted(rules.chain.found(text) | rules.scam.found(text))
        return "not a report: a chain message, hoax or scam: " + ", ".join(
            f'"{w.strip()}"' for w in found[:4]
        )
    found = sorted({hit for _, m in rules.not_report for hit in m.found(text)})
    if not found:
        return "not a report: no harm named"
    return "not a report: " + ", ".join(f'"{w.strip()}"' for w in found[:4])


def _evidence(rules: _Rules, words: list[str]) -> _Evidence:
    """Collect the cues, category scores and danger score of a normalised message."""
    # "tidak dipukul" (not hit) names no harm: drop negated harms before looking for cues.
    written = " ".join(words)
    text = " ".join(rules.negated.sub(written).split())
    # "kill herself" is a danger, not violence by someone: not a cue of who hurts whom.
    said = rules.cues["suicidal"].sub(text)
    cues = {name: rules.cues[name].search(said) for name in _CUES}
    cues.update((name, rules.cues[name].search(text)) for name in _WHOLE_TEXT_CUES)
    # A mother named only as "mama's husband" (a step-father) is not the one hurt.
    cues["adult_woman"] = rules.cues["adult_woman"].search(rules.cues["step_parent"].sub(said))
    # "suami ... sy": a reporter who names "suami" bare (not "suaminya") is his wife.
    spouse = any(word in rules.reporter["spouse"] for word in words)
    cues["wife_writes"] = spouse and any(w in rules.reporter["self"] for w in words)
    cues["woman"] = cues["woman"] or cues["wife_writes"]
    # Hurt by her husband or boyfriend: the one hurt is a woman.
    cues["woman"] = cues["woman"] or cues["by_partner"]
    ages = _ages(rules, words)
    adult = rules.data["ages"]["adult"]
    stated = [age.years for age in ages if age.of_person and not age.older_party]
    grown_up = bool(stated) and min(stated) >= adult
    cues["child"] = any(a.years < adult for a in ages) or (cues["child"] and not grown_up)
    # A person whose age is given as under 18 is a child, whatever else the text says.
    cues["minor"] = bool(stated) and max(stated) < adult
    cues["elderly"] = cues["elderly_words"] or _elderly_age(rules, words)
    why: list[tuple[str, str]] = []
    danger, signs, not_now = _danger(rules, text, written, why)
    # (A baby named as neglected has a rule of its own: this is for ages given.) A child now
    # safe with someone ("skrg dia di rumah saya") is no longer left alone.
    young = any(a.years < rules.data["ages"]["young"] for a in ages)
    if young and cues["neglect"] and not rules.safety.search(text):
        danger += rules.data["danger"]["young_neglect"]
        signs += rules.data["danger"]["young_neglect"]
        why.append(("danger", f"+{rules.data['danger']['young_neglect']} a young child neglected"))
    scores = _scores(rules, said, cues, why)
    return _Evidence(text, words, cues, scores, danger, signs, not_now, why)


def _scores(
    rules: _Rules, text: str, cues: dict[str, bool], why: list[tuple[str, str]]
) -> dict[Category, int]:
    """Return each category's score from its keywords and from who is hurt by whom."""
    scores: dict[Category, int] = {}
    for category, weighted in rules.categories.items():
        total = 0
        for weight, m in weighted:
            found = m.found(text)
            total += weight * len(found)
            why.extend((str(category), f'"{hit.strip()}" (+{weight})') for hit in sorted(found))
        scores[category] = total
    scoring = rules.data["scoring"]

    def add(category: Category, key: str, reason: str) -> None:
        scores[category] += scoring[key]
        why.append((str(category), f"{reason} (+{scoring[key]})"))

    hurt, child = cues["violence"], cues["child"]
    household = cues["partner"] or cues["household"]
    if cues["dating_hurts"] and hurt:
        add(Category.KDRT, "partner_violence", "hurt by her boyfriend")
    elif (cues["child_hurt"] and not cues["by_partner"]) or (
        hurt and cues["step_parent"] and (not cues["adult_woman"] or cues["minor"])
    ):
        # A child hurt (not by her own boyfriend or husband: that is kdrt); or a step-parent
        # hurting someone at home with no wife or mother named: the child.
        add(Category.KEKERASAN_ANAK, "child_violence", "a child hurt")
    elif (
        (hurt or (cues["neglect"] and (cues["wife_writes"] or not child)))
        and household
        and (cues["woman"] or not child)
    ):
        # (A child named as neglected is the one neglected, whoever at home is named, unless
        # the wife writes that her husband leaves her and the children without keep.)
        add(Category.KDRT, "partner_violence", "harm between partners or at home")
    elif (hurt or cues["neglect"]) and child:
        add(Category.KEKERASAN_ANAK, "child_violence", "harm or neglect with a child named")
    elif hurt and cues["woman"]:
        # A woman or girl named as hurt; or only the reporter's own words hint at a woman.
        key = "woman_violence" if cues["female"] else "reporter_violence"
        add(Category.KDRT, key, "a woman hurt")
    if cues["suicidal"] and cues["partner"] and not child:
        add(Category.KDRT, "partner_despair", "a woman wanting to end her life, her partner named")
    if child and cues["marriage"]:
        add(Category.PERKAWINAN_ANAK, "child_marriage", "a child and a marriage")
    if child and cues["pregnant"]:
        add(Category.KEKERASAN_SEKSUAL, "child_pregnant", "a pregnant child")
    if (cues["confined"] or cues["held_back"]) and cues["workplace"] and not household:
        add(Category.TPPO, "held_to_work", "held where people are made to work")
    if hurt and cues["woman"] and cues["stranger"] and not household:
        add(Category.KEKERASAN_SEKSUAL, "stranger_attack", "a woman attacked by a stranger")
    return scores


def _category(rules: _Rules, scores: dict[Category, int]) -> Category:
    """Return the best-scoring category, or lainnya when none scores enough."""
    order = [Category(name) for name in rules.data["scoring"]["tie_order"]]
    best = max(order, key=lambda c: (scores.get(c, 0), -order.index(c)))
    if scores.get(best, 0) < rules.data["scoring"]["category_min"]:
        return Category.LAINNYA
    sexual = scores.get(Category.KEKERASAN_SEKSUAL, 0)
    if best is Category.KEKERASAN_ANAK and sexual >= rules.data["scoring"]["sexual_named"]:
        # A child sexually abused is a case of sexual violence, whoever else hurt the child.
        return Category.KEKERASAN_SEKSUAL
    return best


def _danger(
    rules: _Rules, text: str, written: str, why: list[tuple[str, str]]
) -> tuple[int, int, bool]:
    """Return the sum of the weights of the danger rules the text meets, and of the positive
    ones alone, noting each; and whether a rule saying the danger is not now met.

    ``text`` is the text with denied harms removed; ``written`` the text before that, which
    the rules marked ``as_written`` read.
    """
    total = signs = 0
    not_now = False
    seen: dict[int, bool] = {}
    seen_written: dict[int, bool] = {}
    for rule in rules.danger:
        read_on, memo = (written, seen_written) if rule.as_written else (text, seen)
        if rule.meets(read_on, memo):
            total += rule.weight
            signs += max(rule.weight, 0)
            not_now = not_now or rule.not_now
            why.append(("danger", rule.reason(read_on)))
    return total, signs, not_now


def _ages(rules: _Rules, words: list[str]) -> list[_Age]:
    """Return the ages the text gives ("anak 12 tahun", "umur 14", "15 years old")."""
    ages: list[_Age] = []
    for i, word in enumerate(words):
        if not word.isdigit() or len(word) > _MAX_AGE_DIGITS:
            continue
        unit = words[i + 1] if i + 1 < len(words) else ""
        if unit in _AGE_JOINERS and i + 3 < len(words) and words[i + 2].isdigit():
            unit = words[i + 3]  # "3 dan 5 tahun": both are ages in years
        old = i + 2 < len(words) and words[i + 2] == "old"
        of_person = _person_before(rules, words, i)
        if i > 1 and words[i - 1] in _AGE_JOINERS and words[i - 2].isdigit():
            of_person = of_person or _person_before(rules, words, i - 2)
        after_age_word = i > 0 and words[i - 1] in rules.ages["before"]
        # "she is 16", "the girl was 14", "I am 15": a person, a copula, a number.
        if i > 1 and words[i - 1] in rules.ages["copula"] and words[i - 2] in rules.ages["person"]:
            after_age_word = of_person = True
        # "ponakan 13", "girls (14-15)", "my friend (30, F)": a number just after a person.
        bare = (
            unit not in rules.ages["counted"] and i > 0 and words[i - 1] in rules.ages["bare_after"]
        )
        if bare:
            after_age_word = of_person = True
        if after_age_word or (unit in rules.ages["units"] and (of_person or old)):
            scale = 12 if unit in rules.ages["months"] else 1
            near = words[max(i - 3, 0) : i] + words[i + 1 : i + 4]
            older = any(w in rules.ages["older_party"] for w in near)
            ages.append(_Age(int(word) / scale, of_person or old, older))
    return ages


def _elderly_age(rules: _Rules, words: list[str]) -> bool:
    """Return whether the text gives an old person's age ("umur 80", "(85 th)", "70 years")."""
    for i, word in enumerate(words):
        if not word.isdigit() or len(word) > _MAX_AGE_DIGITS:
            continue
        if not _ELDERLY_AGE <= int(word) <= _OLDEST_AGE:
            continue
        unit = words[i + 1] if i + 1 < len(words) else ""
        if unit in ("tahun", "years", "year", "an") or (
            i > 0 and words[i - 1] in rules.ages["before"]
        ):
            return True
    return False


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
    if evidence.cues["violence"] and evidence.cues["timed"]:
        # A harm put at a time ("dipukul tadi malam"): an incident, not a question of law.
        towards += rules.data["scoring"]["timed_harm"]
    towards += 3 * darurat + named_place + any(evidence.cues.values())
    if len(evidence.words) >= _STORY_WORDS and max(evidence.scores.values()) >= _STORY_SCORE:
        # A long story of harm is a report, even when it ends with a question.
        return True
    own = rules.data["own_harm"]["score"]
    if max(evidence.scores.values()) >= own and rules.own_harm.search(text):
        # Harm told as the reporter's own or her child's is a report, even asked as a question.
        return True
    return towards > 0 and towards > against


def _victim(category: Category, evidence: _Evidence) -> Victim:
    """Return who is harmed, from the category and the people the text mentions."""
    cues = evidence.cues
    if category is Category.LAINNYA and cues["elderly"]:
        return Victim.PEREMPUAN if cues["elderly_woman"] else Victim.TIDAK_DIKETAHUI
    if category in (Category.KEKERASAN_ANAK, Category.PERKAWINAN_ANAK):
        return Victim.ANAK
    if cues["adult_self"] and not cues["minor"]:
        # "Saya janda anak 2": the children are named, the woman writing is the one harmed.
        return Victim.PEREMPUAN
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


def _priority(
    rules: _Rules, category: Category, evidence: _Evidence, darurat: bool
) -> tuple[Priority, str]:
    """Return darurat for danger now, biasa for lainnya and only non-physical harm, else tinggi.

    Also return why, in a few words.
    """
    if darurat:
        return Priority.DARURAT, f"darurat: danger signs add up to {evidence.danger}"
    if category is Category.LAINNYA and evidence.cues["elderly"] and evidence.cues["violence"]:
        return Priority.TINGGI, "tinggi: an elderly person hurt"
    if category is Category.LAINNYA:
        return Priority.BIASA, "biasa: not one of the harms SIGAP handles"
    if evidence.cues["perpetrator_self"]:
        return Priority.BIASA, "biasa: the one writing hurts others and asks for help to stop"
    if category in rules.low_harm_categories and _only_low_harm(rules, evidence.text):
        return Priority.BIASA, _LOW_HARM
    if rules.cues["about_to"].search(evidence.text) or rules.cues["soon"].search(evidence.text):
        # Harm still to come ("mau dikawinkan bulan depan") is not over, whatever came before.
        return Priority.TINGGI, f"tinggi: harm about to happen, not now ({evidence.danger})"
    if rules.resolved.search(evidence.text) and rules.over.search(evidence.text):
        # Harm in the past that has ended ("dulu dipukul, sekarang sudah cerai").
        return Priority.BIASA, "biasa: the harm has ended"
    if _asks(rules, evidence.text) and rules.over.search(evidence.text) and evidence.danger < 1:
        # "Thn lalu sy diperkosa ... apa masih bisa diproses?": a question about past harm.
        return Priority.BIASA, "biasa: a question about harm in the past"
    return Priority.TINGGI, f"tinggi: harm named, danger now not certain ({evidence.danger})"


def _asks(rules: _Rules, text: str) -> bool:
    """Return whether the message asks a question (about the law, where to go, what to do)."""
    return sum(weight for weight, m in rules.asking if m.search(text)) >= _ASKING


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
