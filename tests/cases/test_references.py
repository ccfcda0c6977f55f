"""References are short, typeable, unambiguous, unique and not guessable from a neighbour's."""

import itertools

import pytest

from cases import references
from cases.references import ALPHABET, LENGTH, ReferenceSpaceExhausted

#: Every character that could be read as another (6 stays: G, its look-alike, is gone).
LOOK_ALIKES = set("0OQ1IL2Z5S8BGUV")


def test_alphabet_has_no_look_alikes_and_no_vowels():
    assert not LOOK_ALIKES & set(ALPHABET)
    assert not set("AEIOU") & set(ALPHABET)
    assert len(set(ALPHABET)) == len(ALPHABET)


def test_100000_references_are_unique_and_typeable():
    issued: set[str] = set()
    for _ in range(100_000):
        issued.add(references.unique_reference(issued.__contains__))
    assert len(issued) == 100_000
    assert all(len(r) == LENGTH and set(r) <= set(ALPHABET) for r in issued)
    assert not LOOK_ALIKES & set().union(*issued)


def test_consecutive_references_share_no_pattern():
    # Sequential issue would make these neighbours differ in the last character only.
    drawn = [references.new_reference() for _ in range(1000)]
    same_prefix = sum(a[:5] == b[:5] for a, b in itertools.pairwise(drawn))
    assert same_prefix < 5
    assert len({r[0] for r in drawn}) == len(ALPHABET)


def test_a_taken_draw_is_drawn_again(monkeypatch):
    draws = iter(["K7MX4R", "K7MX4R", "P3TW9H"])
    monkeypatch.setattr(references, "new_reference", lambda: next(draws))
    assert references.unique_reference({"K7MX4R"}.__contains__) == "P3TW9H"


def test_a_full_space_is_said_not_looped_on():
    with pytest.raises(ReferenceSpaceExhausted):
        references.unique_reference(lambda _ref: True)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("k7mx4r", "K7MX4R"), (" K7M-X4R ", "K7MX4R"), ("k7m x4r", "K7MX4R"), ("K7M.X4R", "K7MX4R")],
)
def test_what_people_type_is_normalised(typed, stored):
    assert references.normalise(typed) == stored
    assert references.is_well_formed(stored)


@pytest.mark.parametrize("typed", ["K7MX4", "K7MX4RR", "K0MX4R", "", "KOMX4R"])
def test_malformed_references_are_recognised(typed):
    assert not references.is_well_formed(references.normalise(typed))
