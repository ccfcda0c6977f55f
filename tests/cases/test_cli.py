"""`flask routing export|import|defaults`: a readable file in, the same file out."""

import pytest
from sqlalchemy import func, select

from cases import routing
from core.db import db
from core.demo import seed_demo
from models import RoutingRule

DEFAULT_COUNT = len(routing.DEFAULTS_FILE.read_text().splitlines()) - 1


@pytest.fixture
def demo(app):
    seed_demo(db.session)
    db.session.commit()  # each command runs in its own app context and session


def rule_count():
    return db.session.scalar(select(func.count(RoutingRule.id)))


def test_defaults_load_once_then_only_on_request(runner, demo):
    result = runner.invoke(args=["routing", "defaults"])
    assert result.exit_code == 0, result.output
    assert f"{DEFAULT_COUNT} default rules loaded" in result.output
    again = runner.invoke(args=["routing", "defaults"])
    assert again.exit_code == 1
    assert "--replace" in again.output
    replaced = runner.invoke(args=["routing", "defaults", "--replace"])
    assert f"{DEFAULT_COUNT} replaced" in replaced.output
    assert rule_count() == DEFAULT_COUNT


def test_export_edit_import(runner, demo, tmp_path):
    runner.invoke(args=["routing", "defaults"])
    path = tmp_path / "routing.csv"
    result = runner.invoke(args=["routing", "export", str(path)])
    assert result.exit_code == 0, result.output
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == DEFAULT_COUNT + 1
    # A coordinator gives Poso its own line: kdrt there goes to the provincial police too.
    lines.append("kdrt,*,*,72.02,POLDA-PPA-72,supporting,,")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(args=["routing", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert f"{DEFAULT_COUNT + 1} rules loaded, {DEFAULT_COUNT} replaced" in result.output
    got = {r.agency.code for r in routing.route(db.session, "kdrt", "anak", "biasa", "72.02")}
    assert got == {"POLDA-PPA-72"}


def test_export_to_standard_output(runner, demo):
    runner.invoke(args=["routing", "defaults"])
    result = runner.invoke(args=["routing", "export", "-"])
    assert result.exit_code == 0
    assert "tppo,*,*,72,BP3MI-72,primary" in result.output


def test_a_bad_file_is_refused_line_by_line(runner, demo, tmp_path):
    runner.invoke(args=["routing", "defaults"])
    path = tmp_path / "bad.csv"
    path.write_text(
        "category,victim,priority,region,agency,role\nkdrt,*,*,72.10,DP3A-7210,utama\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["routing", "import", str(path)])
    assert result.exit_code == 1
    assert "line 2: role 'utama'" in result.output
    assert "Traceback" not in result.output
    assert rule_count() == DEFAULT_COUNT


#: The smallest table that leaves no case without an agency or without the police.
SMALLEST = (
    "category,victim,priority,region,agency,role\n"
    "*,*,*,72,UPTD-PPA-72,primary\n"
    "*,*,darurat,72,POLDA-PPA-72,primary\n"
    "kekerasan_seksual,*,*,72,POLDA-PPA-72,supporting\n"
)


def test_dry_run_changes_nothing(runner, demo, tmp_path):
    path = tmp_path / "small.csv"
    path.write_text(SMALLEST, encoding="utf-8")
    result = runner.invoke(args=["routing", "import", "--dry-run", str(path)])
    assert result.exit_code == 0, result.output
    assert "valid, 3 rules" in result.output
    assert rule_count() == 0


def test_a_file_that_leaves_cases_without_the_police_is_refused_with_its_gaps(
    runner, demo, tmp_path
):
    runner.invoke(args=["routing", "defaults"])
    path = tmp_path / "no-police.csv"
    path.write_text(SMALLEST.replace("POLDA-PPA-72", "DP3A-72"), encoding="utf-8")
    result = runner.invoke(args=["routing", "import", str(path)])
    assert result.exit_code == 1
    lost = "no police unit for */*/darurat, kekerasan_seksual/*/*"
    assert "72 SULAWESI TENGAH: " + lost in result.output
    assert "72.10 KABUPATEN SIGI: " + lost in result.output
    assert "routing file refused: 14 problem(s)" in result.output
    assert "Traceback" not in result.output
    assert rule_count() == DEFAULT_COUNT


def test_an_empty_file_is_refused(runner, demo, tmp_path):
    runner.invoke(args=["routing", "defaults"])
    path = tmp_path / "empty.csv"
    path.write_text("category,victim,priority,region,agency,role\n", encoding="utf-8")
    result = runner.invoke(args=["routing", "import", "--dry-run", str(path)])
    assert result.exit_code == 1
    assert "72.71 KOTA PALU: no agency for */*/*" in result.output
    assert rule_count() == DEFAULT_COUNT
