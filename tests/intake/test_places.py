"""Place names in free text, resolved against the gazetteer."""

import time

import pytest

from intake.places import Gazetteer, PlaceMatch
from models import RegionLevel


def _code(match: PlaceMatch) -> str | None:
    return match.place.code if match.place else None


@pytest.fixture(scope="module")
def tiny() -> Gazetteer:
    """Return a hand-made gazetteer with a shared village name and a word-like name."""
    return Gazetteer.from_rows(
        provinces=[("72", None, "SULAWESI TENGAH")],
        regencies=[("72.10", "72", "KABUPATEN SIGI"), ("72.71", "72", "KOTA PALU")],
        districts=[("72.10.12", "72.10", "Dolo"), ("72.71.02", "72.71", "Palu Barat")],
        villages=[
            ("72.10.12.2001", "72.10.12", "Tulo"),
            ("72.10.12.2009", "72.10.12", "Baru"),
            ("72.71.02.1008", "72.71.02", "Baru"),
            ("72.71.02.1009", "72.71.02", "Lere"),
        ],
    )


def test_from_rows_keeps_hierarchy_for_display(tiny: Gazetteer) -> None:
    place = tiny.get("72.10.12.2001")
    assert place is not None
    assert (place.name, place.level, place.district, place.regency) == (
        "Tulo",
        RegionLevel.VILLAGE,
        "Dolo",
        "Kabupaten Sigi",
    )
    assert place.label() == "Tulo, Kec. Dolo, Kabupaten Sigi"
    assert tiny.get("99.99") is None


def test_villages_named_ignores_case_and_spacing(tiny: Gazetteer) -> None:
    assert [p.code for p in tiny.villages_named(" BARU ")] == ["72.10.12.2009", "72.71.02.1008"]
    assert tiny.villages_named("Dolo") == []


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("tolong di desa Sidera ada kdrt", "72.10.01.2007"),
        ("DS. SIDERA", "72.10.01.2007"),
        ("sy tinggal di kotarindau", "72.10.12.2007"),
        ("sy tinggal di Kota Rindau", "72.10.12.2007"),
        ("di kel.Lere ada anak dikunci", "72.71.02.1009"),
        ("kelurahan besusu barat", "72.71.01.1004"),
        ("dekat pasar Tipo", "72.71.05.1006"),
        ("lapor kdrt ds sidondo 2 kec sigi biromaru", "72.10.01.2001"),
        ("desa Sidondo II", "72.10.01.2001"),
    ],
)
def test_resolves_villages_with_markers_and_case(sulteng: Gazetteer, text: str, code: str) -> None:
    assert _code(sulteng.resolve(text)) == code


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("di desa Kotarindua ada kdrt", "72.10.12.2007"),
        ("ds langalesso", "72.10.12.2002"),
        ("sy di Kawatnua", "72.71.08.1007"),
        ("kel. Besusu Brat", "72.71.01.1004"),
    ],
)
def test_tolerates_typos_after_a_marker(sulteng: Gazetteer, text: str, code: str) -> None:
    assert _code(sulteng.resolve(text)) == code


def test_shared_name_settled_by_district(sulteng: Gazetteer) -> None:
    assert _code(sulteng.resolve("desa Taripa kec Sindue")) == "72.03.10.2003"
    assert _code(sulteng.resolve("desa Taripa, kecamatan Pamona Timur")) == "72.02.05.2001"


def test_shared_name_settled_by_regency(tiny: Gazetteer) -> None:
    assert _code(tiny.resolve("desa Baru kab. Sigi")) == "72.10.12.2009"
    assert _code(tiny.resolve("kel Baru, kota Palu")) == "72.71.02.1008"


def test_shared_name_left_open_with_every_candidate(sulteng: Gazetteer) -> None:
    match = sulteng.resolve("kekerasan di desa Sabang, anak dipukul ibunya")
    assert match.place is None
    assert match.candidate_codes == ["72.03.06.2003", "72.04.08.2010", "72.07.17.1009"]


def test_district_or_regency_alone_gives_that_level(sulteng: Gazetteer) -> None:
    district = sulteng.resolve("ada kdrt di kecamatan Dolo")
    assert district.place is not None
    assert (district.place.code, district.place.level) == ("72.10.12", RegionLevel.DISTRICT)
    regency = sulteng.resolve("sy di kab Sigi")
    assert regency.place is not None
    assert (regency.place.code, regency.place.level) == ("72.10", RegionLevel.REGENCY)


def test_village_preferred_over_district_named_alongside(sulteng: Gazetteer) -> None:
    assert _code(sulteng.resolve("ds langaleso kec dolo")) == "72.10.12.2002"
    assert _code(sulteng.resolve("girls from Bahodopi")) == "72.06.10.2006"


@pytest.mark.parametrize(
    "text",
    [
        "anak sy baru pulang dari rumah tengah malam",
        "suami mau ke pasar lalu ke sawah",
        "di rumah ortu",
        "di jalan dekat pasar",
        "pemerkosaan baru ketahuan tadi siang",
        "dia kerja di kota",
        "ditinggal di desa",
        "pacar sy kasar",
        "",
        "!!! ??? ...",
    ],
)
def test_ordinary_words_are_not_places(sulteng: Gazetteer, text: str) -> None:
    assert sulteng.resolve(text) == PlaceMatch()


def test_ordinary_word_is_a_place_after_a_strong_marker_or_capitalised(tiny: Gazetteer) -> None:
    assert tiny.resolve("desa baru").candidate_codes == ["72.10.12.2009", "72.71.02.1008"]
    assert tiny.resolve("sy tinggal di Baru").place is None
    assert len(tiny.resolve("sy tinggal di Baru").candidates) == 2
    assert tiny.resolve("sy tinggal di baru pulang").candidates == []


def test_street_names_are_not_villages(sulteng: Gazetteer) -> None:
    assert sulteng.resolve("rumah di jalan Tondo no 5").candidates == []


def test_resolve_is_indexed_not_a_scan(sulteng: Gazetteer) -> None:
    text = "tolong di desa Kotarindua kec Dolo suami pukul istri " * 20
    start = time.perf_counter()
    for _ in range(50):
        sulteng.resolve(text)
    assert (time.perf_counter() - start) / 50 < 0.05


@pytest.mark.slow
def test_whole_country_still_resolves_quickly(country: Gazetteer) -> None:
    assert len(country) > 90_000
    assert _code(country.resolve("desa Taripa kec Sindue")) == "72.03.10.2003"
    assert _code(country.resolve("ds. Kotarindau, Sigi")) == "72.10.12.2007"
    assert _code(country.resolve("di desa Kotarindua kec Dolo")) == "72.10.12.2007"
    assert country.resolve("di desa Bora").place is None
    assert len(country.resolve("di desa Bora").candidates) > 1
    assert _code(country.resolve("desa Bora kab Sigi")) == "72.10.01.2003"
    start = time.perf_counter()
    for _ in range(200):
        country.resolve("tlg sy di desa Kotarindua, suami pukul sy pakai kayu sekarang")
    assert (time.perf_counter() - start) / 200 < 0.01


def test_name_of_a_district_and_of_villages_elsewhere_stays_open(sulteng: Gazetteer) -> None:
    # Labuan is a district of Donggala with a village Labuan, and a village in three others.
    match = sulteng.resolve("ada gadis di Labuan mau dijual")
    assert match.place is None
    assert len(match.candidates) == 4
    assert _code(sulteng.resolve("desa Labuan kec Labuan")) == "72.03.09.2001"
