"""`flask --app wsgi triage TEXT` prints the contract's JSON, with places from the database."""

from __future__ import annotations

import json


def test_triage_command_resolves_a_village(runner):
    result = runner.invoke(
        args=["triage", "tolong tetangga sy di desa Sidera dipukuli suaminya sekarang"]
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert set(out) == {
        "category",
        "priority",
        "victim",
        "location",
        "location_candidates",
        "reasons",
    }
    assert out["reasons"][1].startswith("darurat: ")
    assert out["category"] == "kdrt"
    assert out["priority"] == "darurat"
    assert out["location"] == {"code": "72.10.01.2007", "name": "Sidera", "level": "village"}
    assert out["location_candidates"] == []


def test_triage_command_leaves_ambiguous_place_open(runner):
    result = runner.invoke(args=["triage", "anak dipukul ayahnya di desa Malino"])
    out = json.loads(result.output)
    assert out["location"] is None
    assert len(out["location_candidates"]) >= 2
    assert all(code.startswith("72.") for code in out["location_candidates"])
