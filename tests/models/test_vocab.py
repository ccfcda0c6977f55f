"""The shared vocabulary: what the stored words are and how priorities compare."""

from __future__ import annotations

import pytest

from models import Category, Priority


def test_priorities_compare_by_urgency_whatever_their_spelling() -> None:
    assert Priority.DARURAT.outranks("tinggi")
    assert Priority.TINGGI.outranks(Priority.BIASA)
    assert not Priority.BIASA.outranks("darurat")
    assert not Priority.TINGGI.outranks("tinggi")


def test_a_word_outside_the_vocabulary_is_not_a_priority() -> None:
    with pytest.raises(ValueError, match="segera"):
        Priority.DARURAT.outranks("segera")


def test_the_stored_words_are_the_ones_reports_and_exports_use() -> None:
    assert [c.value for c in Category] == [
        "kdrt",
        "kekerasan_seksual",
        "kekerasan_anak",
        "tppo",
        "perkawinan_anak",
        "lainnya",
    ]
