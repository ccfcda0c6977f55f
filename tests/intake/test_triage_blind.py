"""Triage held to its targets on the blind rounds: messages written without sight of the rules.

The newest roundN.jsonl in tests/fixtures/triage/blind/ is the blind measure; every earlier
round was read while tuning (see the README there and docs/TRIAGE.md, which `make eval`
writes). The targets are asserted on the earlier rounds; the newest round passes when it meets
them and is otherwise marked xfail with its figures. Adding round5.jsonl needs no change here.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path

import pytest

from intake.evaluation import (
    AMBIGUOUS,
    Scores,
    blind_rounds,
    evaluate,
    is_chain,
    load,
    trained_on,
)
from intake.places import Gazetteer
from intake.second_opinion import training_sets
from models import Category, Priority, Victim

BLIND = Path(__file__).resolve().parents[1] / "fixtures" / "triage" / "blind"
WILAYAH = Path(__file__).resolve().parents[2] / "data" / "wilayah"
ROUNDS = blind_rounds(BLIND)


def _figures(scores: Scores) -> str:
    f = scores.figures
    return (
        f"category {f['category']:.1%}, darurat recall {f['darurat_recall']:.1%} and precision "
        f"{f['darurat_precision']:.1%}, {int(f['chain_darurat'])} chain message(s) darurat, "
        f"village {f['village']:.1%}"
    )


#: Earlier rounds the rules have not been tuned on yet, each with why: held to the targets by
#: its own strict xfail below instead (it fails loudly once it meets them: then drop it here).
NOT_YET_TUNED: dict[str, str] = {}


def check_rounds(directory: Path, gazetteer: Gazetteer, skip: Iterable[str] = ()) -> None:
    """Hold every round in ``directory`` but the newest (and ``skip``) to the targets; the newest
    passes when it meets them, and is otherwise xfail with its figures."""
    rounds = blind_rounds(directory)
    *tuned, (newest, path) = rounds
    for name, tuned_path in tuned:
        if name in skip:
            continue
        scores = evaluate(name, load(tuned_path), gazetteer)
        # Category >= 90%; darurat recall 100%, precision >= 80%; village exact >= 90%; every
        # ambiguous place left open with candidates; no chain message or hoax darurat.
        assert scores.misses() == [], f"{name} (tuned on): {_figures(scores)}"
    scores = evaluate(newest, load(path), gazetteer)
    if scores.misses():
        trained = " (in the training list: not blind)" if trained_on(path) else ""
        pytest.xfail(f"{newest}, the blind round{trained}, misses the targets: {_figures(scores)}")


def test_the_rounds_meet_the_targets_but_the_blind_one_is_only_stated(sulteng: Gazetteer) -> None:
    check_rounds(BLIND, sulteng, skip=NOT_YET_TUNED)


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.xfail(reason=why, strict=True))
        for n, why in NOT_YET_TUNED.items()
    ],
)
def test_a_round_not_yet_tuned_on_meets_the_targets(name: str, sulteng: Gazetteer) -> None:
    scores = evaluate(name, load(BLIND / f"{name}.jsonl"), sulteng)
    assert scores.misses() == [], f"{name}: {_figures(scores)}"


def test_a_new_round_becomes_the_blind_one_with_no_change(
    sulteng: Gazetteer, tmp_path: Path
) -> None:
    good = load(ROUNDS[0][1])
    # A round no triage meets the targets on: every message labelled kdrt.
    bad = [dict(row, category="kdrt") for row in good]
    _write(tmp_path / "round2.jsonl", good)
    _write(tmp_path / "round9.jsonl", good)
    _write(tmp_path / "round10.jsonl", bad)
    _write(tmp_path / "notes.jsonl", good)
    assert [name for name, _ in blind_rounds(tmp_path)] == ["round2", "round9", "round10"]
    # The newest round missing the targets is stated, not failed...
    with pytest.raises(
        pytest.xfail.Exception, match=r"round10, the blind round.*misses the targets: category"
    ):
        check_rounds(tmp_path, sulteng)
    # ...and once a newer round arrives it is held to them like every tuned round.
    _write(tmp_path / "round11.jsonl", good)
    with pytest.raises(AssertionError, match=r"round10 \(tuned on\)"):
        check_rounds(tmp_path, sulteng)


def _write(path: Path, rows: list[dict[str, object]]) -> None:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")


@pytest.mark.parametrize(("name", "path"), ROUNDS, ids=[name for name, _ in ROUNDS])
def test_blind_round_is_what_it_claims(name: str, path: Path) -> None:
    check_labelled_set(path)


WRITERS = {name: files[0] for name, files in training_sets().items() if name}


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_each_writers_training_set_is_what_it_claims(name: str) -> None:
    check_labelled_set(WRITERS[name])


def check_labelled_set(path: Path) -> None:
    """Assert a labelled set keeps the writers' brief: its keys, labels, places and mix."""
    rows = load(path)
    with (WILAYAH / "villages.csv").open(encoding="utf-8") as handle:
        villages = {record[0] for record in csv.reader(handle) if record}
    assert len(rows) >= 100
    for row in rows:
        assert set(row) == {"text", "category", "priority", "victim", "location", "voice"}
        assert row["category"] in {str(c) for c in Category}
        assert row["priority"] in {str(p) for p in Priority}
        assert row["victim"] in {str(v) for v in Victim}
        location = row["location"]
        assert location in (None, AMBIGUOUS) or (
            location.startswith("72.") and location in villages
        )
    assert {r["category"] for r in rows} == {str(c) for c in Category}
    assert sum(r["priority"] == "darurat" for r in rows) >= 20
    assert sum(r["location"] == AMBIGUOUS for r in rows) >= 3
    assert sum(is_chain(r) for r in rows) >= 2
