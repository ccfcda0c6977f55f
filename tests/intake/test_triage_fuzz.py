"""Triage and place resolution never fail, whatever text arrives."""

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intake.keywords import parse_command
from intake.places import Gazetteer
from intake.text import normalise
from intake.triage import Triage, triage
from models import Category, Priority, Victim

_WORDS = st.sampled_from(
    [
        "tolong",
        "sy",
        "dipukul",
        "suami",
        "desa",
        "Sidera",
        "kec.",
        "Dolo",
        "anak",
        "13",
        "thn",
        "!!",
        "?",
        "dijual",
        "DARURAT",
        "status",
        "K7M4C3",
        "di",
        "Baru",
        "kel",
        "the",
        "girl",
    ]
)
_MESSAGES = st.one_of(
    st.text(max_size=1600),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=1600),
    st.lists(st.one_of(_WORDS, st.text(string.printable, max_size=8)), max_size=300).map(" ".join),
    st.text(alphabet="\x00\x07\x1b\u200b\u202e\ufeff🙏😭🔪ا中 \n\t.", max_size=400),
)
_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@_SETTINGS
@given(text=_MESSAGES)
def test_triage_never_raises(sulteng: Gazetteer, text: str) -> None:
    result = triage(text, sulteng)
    assert isinstance(result, Triage)
    assert result.category in Category
    assert result.priority in Priority
    assert result.victim in Victim
    assert result.language in ("id", "en")
    data = result.to_json()
    assert set(data) == {
        "category",
        "priority",
        "victim",
        "location",
        "location_candidates",
        "reasons",
    }
    assert all(isinstance(reason, str) for reason in data["reasons"])
    if data["location"] is not None:
        assert data["location_candidates"] == []


@_SETTINGS
@given(text=_MESSAGES)
def test_keywords_and_normalise_never_raise(sulteng: Gazetteer, text: str) -> None:
    parse_command(text, sulteng)
    assert "  " not in normalise(text)


def test_very_long_message_is_handled() -> None:
    text = "tolong 🙏 " * 200 + "suami pukul sy di desa Sidera"
    assert triage(text, None).priority is Priority.DARURAT
