"""Triage's statistical second opinion: what it adds, what it may never do, what it learns from.

Messages here are invented for these tests and are in none of the sets the model trains on.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from intake import second_opinion
from intake.second_opinion import examples, read_rows, train, training_sets
from intake.triage import triage, triage_by_rules
from models import Category, Priority

ROOT = Path(__file__).resolve().parents[2]


def test_danger_the_rules_miss_is_darurat_and_the_model_says_why() -> None:
    text = (
        "my sister texted that her husband took her phone and wont let her leave the house, "
        "she sounds terrified"
    )
    assert triage_by_rules(text).priority is Priority.TINGGI
    result = triage(text)
    assert (result.category, result.priority) == (Category.KDRT, Priority.DARURAT)
    assert result.reasons[1].startswith("darurat: the second opinion finds danger now (0.")
    assert any(reason.startswith("model: darurat 0.") for reason in result.reasons)


@pytest.mark.parametrize(
    "text",
    [
        "pesan berantai, sebarkan ke semua grup: ada ibu dikunci suaminya di kamar dr tadi pagi, "
        "dipukuli pake parang, tolong!!",
        "BC dari grup sebelah: anak gadis dibawa naik kapal malam ini ke Malaysia, sebarkan!!",
    ],
)
def test_a_chain_message_is_never_darurat_whatever_the_model_says(text: str) -> None:
    result = triage(text)
    assert result.priority is not Priority.DARURAT
    assert not result.is_report
    assert result.reasons[0].startswith("not a report: a chain message")
    # The model did find danger in the words: the rule against chain messages wins.
    (said,) = (r for r in result.reasons if r.startswith("model: darurat "))
    assert float(said.split()[2]) >= 0.5


def test_every_report_names_the_models_share() -> None:
    result = triage("suami sy pukul sy tadi malam, skrg sy di rumah mama")
    assert [r.split()[:2] for r in result.reasons if r.startswith("model: ")] == [
        ["model:", "kdrt"],
        ["model:", "darurat"],
    ]


def test_training_is_the_same_every_time() -> None:
    rows = read_rows(training_sets()["round1"])
    first, second = train(examples(rows)), train(examples(rows))
    assert first.names == second.names
    assert first.weights.tolist() == second.weights.tolist()
    text = "kita pe ade dorang so bawa pigi naik speed malam ini"
    blocks = second_opinion.features(text.split())
    assert first.opinion(blocks) == second.opinion(blocks)


def test_only_the_listed_sets_are_trained_on(tmp_path: Path) -> None:
    for name in ("round1.jsonl", "train-a.jsonl"):
        shutil.copy(second_opinion.DATA / name, tmp_path / name)
    # A round put beside them, as the next blind round will be put beside the others.
    shutil.copy(second_opinion.DATA / "round2.jsonl", tmp_path / "round5.jsonl")
    listing = tmp_path / "sets.toml"
    listing.write_text(
        '[writers]\nround1 = "round1.jsonl"\ntrain-a = "train-a.jsonl"\n[always]\n',
        encoding="utf-8",
    )
    assert training_sets(listing) == {
        "round1": [tmp_path / "round1.jsonl"],
        "train-a": [tmp_path / "train-a.jsonl"],
        "": [],
    }


def test_the_model_learns_from_data_triage_alone() -> None:
    listed = [path for files in training_sets().values() for path in files]
    assert listed
    for path in listed:
        assert path.is_file()
        assert path.resolve().parent == (ROOT / "data" / "triage").resolve()
    source = (ROOT / "intake" / "second_opinion.py").read_text(encoding="utf-8")
    assert "tests/" not in source
    assert "import pickle" not in source
    assert "joblib" not in source


@pytest.mark.parametrize(
    "name", sorted(p.name for p in (ROOT / "tests/fixtures/triage/blind").glob("round*.jsonl"))
)
def test_a_round_trained_on_is_the_fixture_unchanged(name: str) -> None:
    copy = second_opinion.DATA / name
    if not copy.exists():
        pytest.skip(f"{name} is not among the training sets")
    fixture = ROOT / "tests" / "fixtures" / "triage" / "blind" / name
    assert copy.read_bytes() == fixture.read_bytes()
