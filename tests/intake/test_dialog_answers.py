"""Answers to the dialog's questions as reporters give them, and replies that fit one SMS."""

from __future__ import annotations

import string
from collections import defaultdict

import pytest
from sqlalchemy import select

from core.db import db
from core.demo import seed_demo
from core.i18n import catalogue, fits_one_sms, t
from intake import dialog as dlg
from intake import pipeline
from models import Case, Region, RegionLevel
from tests.signing import Phone

#: Tondo: three villages of that name, offered by district in this order.
TONDO = ["72.03.11.2002", "72.06.08.2005", "72.71.08.1002"]
TONDO_REPORT = "suami sy pukul sy di desa Tondo"


@pytest.fixture
def phone(app, poster):
    from cases.routing import seed_default_rules

    seed_demo(db.session)
    seed_default_rules(db.session)
    db.session.commit()
    return Phone(poster, "+6280800000221")


def _cases() -> list[Case]:
    db.session.expire_all()
    return list(db.session.scalars(select(Case)))


def _answer_the_rest(phone: Phone, reply: str) -> str:
    """Answer "no" to every yes/no question left, as many as there are."""
    for _ in range(dlg.MAX_QUESTIONS):
        if "?" not in reply:
            break
        reply = phone.say("2")
    return reply


# --- 1. a district chosen by number ---------------------------------------------------------


def test_three_picks_the_third_district_not_dont_know(phone):
    first = phone.say(TONDO_REPORT)
    assert "3 Mantikulore" in first
    _answer_the_rest(phone, phone.say("3"))
    (case,) = _cases()
    assert case.region_code == TONDO[2]


def test_a_number_not_offered_asks_again_and_keeps_the_place_question(phone):
    phone.say(TONDO_REPORT)
    again = phone.say("9")
    assert again.startswith(t("q.unclear", "id"))
    assert "1 Sirenja" in again
    assert phone.say("7").startswith(t("q.unclear", "id"))  # and again: never skipped
    _answer_the_rest(phone, phone.say("2"))
    (case,) = _cases()
    assert case.region_code == TONDO[1]


def test_a_district_named_instead_of_its_number_is_taken(phone):
    phone.say(TONDO_REPORT)
    _answer_the_rest(phone, phone.say("kec Mantikulore"))
    (case,) = _cases()
    assert case.region_code == TONDO[2]


def test_after_darurat_a_shared_village_name_is_offered_by_district_without_sorry(phone):
    opened = phone.say("DARURAT")
    assert "desa" in opened.lower()
    offered = phone.say("Tondo")
    assert not offered.startswith(t("q.unclear", "id"))
    assert "1 Sirenja" in offered
    assert phone.say("9").startswith(t("q.unclear", "id"))
    phone.say("1")
    (case,) = _cases()
    assert case.region_code == TONDO[0]  # the emergency's case moved to the village chosen


# --- 2. a village name alone ----------------------------------------------------------------


def test_a_village_name_alone_asks_what_happened(phone):
    asked = phone.say("Bora")
    assert asked == t("q.story", "id")
    assert _cases() == []
    _answer_the_rest(phone, phone.say("suami memukul istrinya tiap malam"))
    (case,) = _cases()
    assert case.region_code == "72.10.01.2003"
    assert (case.category, case.priority) == ("kdrt", "tinggi")


def test_what_happened_may_say_someone_is_in_danger_now(phone):
    phone.say("desa Bora")
    reply = phone.say("tetangga sy sedang dipukuli suaminya sekarang")
    (case,) = _cases()
    assert case.priority == "darurat"
    assert case.reference in reply
    assert t("q.danger", "id") not in reply  # the danger is known: not asked


def test_a_shared_village_name_alone_asks_what_happened_then_which_district(phone):
    assert phone.say("Tondo") == t("q.story", "id")
    offered = phone.say("suami memukul istrinya tiap malam")
    assert not offered.startswith(t("q.unclear", "id"))
    assert "1 Sirenja" in offered
    _answer_the_rest(phone, phone.say("3"))
    (case,) = _cases()
    assert (case.region_code, case.category) == (TONDO[2], "kdrt")


def test_the_facilitator_form_with_a_category_is_not_asked_what_happened(phone):
    reply = phone.say("LAPOR KDRT BORA")
    assert t("q.story", "id") not in reply
    _answer_the_rest(phone, reply)
    (case,) = _cases()
    assert (case.category, case.region_code) == ("kdrt", "72.10.01.2003")


def test_a_story_with_a_village_is_not_asked_what_happened(phone):
    reply = phone.say("anak tetangga sy dipukul ayahnya tiap hari di desa Bora")
    assert reply != t("q.story", "id")
    assert t("q.story", "id") not in reply


# --- 3. language and one segment ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key", "lang"),
    [
        ("help", "reply.help", "en"),
        ("HELP", "reply.help", "en"),
        ("bantuan", "reply.help", "id"),
        ("hello", "reply.info", "en"),
        ("halo", "reply.info", "id"),
    ],
)
def test_help_and_greetings_are_answered_in_the_language_written(phone, text, key, lang):
    assert phone.say(text) == t(key, lang)


def test_english_help_after_indonesian_is_answered_in_english(phone):
    phone.say("halo")
    assert phone.say("help") == t("reply.help", "en")


@pytest.mark.parametrize("word", ["DARURAT", "EMERGENCY"])
def test_the_emergency_reply_is_one_sms(phone, word):
    reply = phone.say(word)
    assert _cases()[0].reference in reply
    assert fits_one_sms(reply), (len(reply), reply)


def _shared_village_names() -> list[list[str]]:
    """The codes of each village name in the province that more than one village has."""
    by_name: dict[str, list[str]] = defaultdict(list)
    for code, name in db.session.execute(
        select(Region.code, Region.name).where(Region.level == RegionLevel.VILLAGE)
    ):
        by_name[name.casefold()].append(code)
    return [sorted(codes) for codes in by_name.values() if len(codes) > 1]


@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_district_list_fits_one_sms_after_any_opening(app, lang):
    shared = _shared_village_names()
    assert len(shared) > 50
    openings = ["", t("q.unclear", lang), t("reply.opened_brief", lang, ref="K7M4CH")]
    for codes in shared:
        state = dlg.DialogState("", "kdrt", "perempuan", "tinggi", lang, candidates=codes)
        state.asked = dlg.PLACE
        for before in openings:
            text = pipeline._question_text(state, lang, before=before)
            assert fits_one_sms(text), (len(text), text)
            assert text.count(",") >= 1 or len(codes) == 1  # still a choice to make


# The longest values the code puts in each placeholder (the reference is 6 characters; alerts
# shorten a place to its own name to fit, and the test takes the longest name in the province;
# summary and digest drop items until they fit).
WORST = {
    "ref": "K7M4CH",
    "status": "ditangani",
    "priority": "EMERGENCY",
    "category": "Kekerasan seksual",
    "time": "27/11 14:05 WITA",
    "level": "3",
    "count": "999",
    "start": "23/11",
    "end": "29/11",
    "cases": "999",
    "categories": "-",
    "median": "99 j 59 mnt",
    "worst": "99 j 59 mnt",
    "missed": "999",
    "open": "999",
    "m": "59",
    "h": "999",
    "id": "1234567",
    "purpose": "alert_escalation",
    "account": "123456",
    "code": "30008",
    "agency": "POLRES-TOJO-UNA-UNA-PPA",
    "cap": "10000",
    "options": "1 Mantikulore",
    "due": "27/11 14:05 WITA",
    "service": "rehabilitasi sosial",
    "days": "14",
    "refs": "K7M4CH K7M4CH K7M4CH",  # a cluster at its default threshold
    "darurat": "99",
    "more": " +99",
    "minutes": "9999",
}
#: Placeholders for what a person wrote: a message carrying it is as long as they made it.
FREE_TEXT = {"text"}


@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_catalogue_entry_fits_one_sms_with_its_longest_values(app, lang):
    names_in_use = db.session.scalars(select(Region.name).where(Region.code.like("72.%")))
    worst = {**WORST, "place": max(names_in_use, key=len)}
    too_long = []
    for key, text in catalogue(lang).items():
        names = {name for _, name, _, _ in string.Formatter().parse(text) if name}
        if names & FREE_TEXT:
            continue
        assert names <= worst.keys(), f"{key}: no worst case known for {names - worst.keys()}"
        filled = text.format(**{name: worst[name] for name in names})
        if not fits_one_sms(filled):
            too_long.append(f"{key} ({len(filled)}): {filled}")
    assert too_long == []


def test_gsm7_and_ucs2_rules():
    assert fits_one_sms("a" * 160)
    assert not fits_one_sms("a" * 161)
    assert not fits_one_sms("[" * 81)  # two units each in GSM-7
    assert fits_one_sms("’" * 70)  # a curly quote makes it UCS-2: 70 at most
    assert not fits_one_sms("’" + "a" * 70)
