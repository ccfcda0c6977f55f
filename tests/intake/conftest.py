"""Fixtures shared by the intake tests: gazetteers built once per session."""

from pathlib import Path

import pytest

from intake.places import Gazetteer

WILAYAH = Path(__file__).resolve().parents[2] / "data" / "wilayah"


@pytest.fixture(scope="session")
def sulteng() -> Gazetteer:
    """Return the Sulawesi Tengah (province 72) gazetteer."""
    return Gazetteer.from_csv_dir(WILAYAH, provinces={"72"})


@pytest.fixture(scope="session")
def country() -> Gazetteer:
    """Return the whole-country gazetteer (slow to build: use in slow tests only)."""
    return Gazetteer.from_csv_dir(WILAYAH)
