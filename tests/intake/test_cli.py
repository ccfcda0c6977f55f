"""The ``triage TEXT`` command."""

import json

from click.testing import CliRunner

from intake.cli import make_triage_command
from intake.places import Gazetteer


def test_prints_one_json_object(sulteng: Gazetteer) -> None:
    command = make_triage_command(lambda: sulteng)
    result = CliRunner().invoke(command, ["sy dipukul suami kemarin", "di", "desa", "Sidera"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    reasons = out.pop("reasons")
    assert reasons[0] == "kdrt: harm between partners or at home (+3)"
    assert reasons[1].startswith("tinggi: ")
    assert '-1 past events: "kemarin"' in reasons
    assert out == {
        "category": "kdrt",
        "priority": "tinggi",
        "victim": "perempuan",
        "location": {"code": "72.10.01.2007", "name": "Sidera", "level": "village"},
        "location_candidates": [],
    }


def test_keeps_non_ascii_readable(sulteng: Gazetteer) -> None:
    command = make_triage_command(lambda: sulteng)
    result = CliRunner().invoke(command, ["ö terima kasih 🙏"])
    assert result.exit_code == 0
    assert json.loads(result.output)["category"] == "lainnya"


def test_requires_text() -> None:
    result = CliRunner().invoke(make_triage_command(lambda: None), [])
    assert result.exit_code != 0
