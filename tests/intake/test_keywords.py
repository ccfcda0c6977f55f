"""Command words at the start of a message."""

import pytest

from intake.keywords import Command, CommandKind, normalise_reference, parse_command
from intake.places import Gazetteer
from models import Category


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("LAPOR", Command(CommandKind.LAPOR)),
        ("lapor: suami sy pukul sy", Command(CommandKind.LAPOR, rest="suami sy pukul sy")),
        ("Report my husband hits me", Command(CommandKind.LAPOR, rest="my husband hits me")),
        ("  darurat!!  tolong", Command(CommandKind.DARURAT, rest="tolong")),
        ("EMERGENCY", Command(CommandKind.DARURAT)),
        ("batal", Command(CommandKind.BATAL)),
        ("CANCEL.", Command(CommandKind.BATAL)),
        ("Bantuan", Command(CommandKind.BANTUAN)),
        ("help?", Command(CommandKind.BANTUAN)),
        ("STATUS K7M4C3", Command(CommandKind.STATUS, ref="K7M4C3")),
        ("status k7m-4c3", Command(CommandKind.STATUS, ref="K7M4C3")),
        ("Status: k7m 4c3", Command(CommandKind.STATUS, ref="K7M4C3")),
        ("STATUS", Command(CommandKind.STATUS)),
        ("OK K7M4C3", Command(CommandKind.TERIMA, ref="K7M4C3")),
        ("terima  k7m4c3", Command(CommandKind.TERIMA, ref="K7M4C3")),
        ("ack K7M-4C3", Command(CommandKind.TERIMA, ref="K7M4C3")),
        ("SELESAI k7m4c3", Command(CommandKind.SELESAI, ref="K7M4C3")),
        ("done K7M4C3", Command(CommandKind.SELESAI, ref="K7M4C3")),
        ("SELESAI K7M4C3 4821", Command(CommandKind.SELESAI, ref="K7M4C3", rest="4821")),
    ],
)
def test_commands(text: str, expected: Command) -> None:
    assert parse_command(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "tolong suami sy pukul sy",
        "laporan kekerasan di desa Sidera",
        "help, my husband is beating me",
        "batal nikah karena dipaksa",
        "terima kasih",
        "terima kasih atas bantuannya",
        "ok makasih",
        "OK K7M4C",
        "SELESAI",
        "OK K7M4Q0",
    ],
)
def test_plain_text_is_not_a_command(text: str) -> None:
    assert parse_command(text) is None


def test_status_with_a_bad_reference_keeps_what_was_typed() -> None:
    assert parse_command("status laporan sy") == Command(CommandKind.STATUS, rest="laporan sy")


@pytest.mark.parametrize(
    ("typed", "ref"),
    [
        ("k7m4c3", "K7M4C3"),
        (" K7M-4C3 ", "K7M4C3"),
        ("k7m 4c3", "K7M4C3"),
        ("K7M4Q0", None),
        ("K7M4C32", None),
        ("ILO123", None),
        ("", None),
    ],
)
def test_normalise_reference(typed: str, ref: str | None) -> None:
    assert normalise_reference(typed) == ref


def test_facilitator_form_splits_category_place_and_description(sulteng: Gazetteer) -> None:
    command = parse_command("LAPOR KDRT SIDERA istri dipukul suami tadi malam", sulteng)
    assert command == Command(
        CommandKind.LAPOR,
        rest="istri dipukul suami tadi malam",
        category=Category.KDRT,
        place="SIDERA",
    )


def test_facilitator_form_takes_a_place_of_several_words(sulteng: Gazetteer) -> None:
    command = parse_command("lapor kawinanak besusu barat anak 14 thn dinikahkan", sulteng)
    assert command is not None
    assert (command.category, command.place, command.rest) == (
        Category.PERKAWINAN_ANAK,
        "besusu barat",
        "anak 14 thn dinikahkan",
    )


@pytest.mark.parametrize(
    ("alias", "category"),
    [
        ("kdrt", Category.KDRT),
        ("SEKSUAL", Category.KEKERASAN_SEKSUAL),
        ("anak", Category.KEKERASAN_ANAK),
        ("TPPO", Category.TPPO),
        ("KAWINANAK", Category.PERKAWINAN_ANAK),
        ("lainnya", Category.LAINNYA),
    ],
)
def test_category_aliases(sulteng: Gazetteer, alias: str, category: Category) -> None:
    command = parse_command(f"LAPOR {alias} Tulo keterangan", sulteng)
    assert command is not None
    assert (command.category, command.place) == (category, "Tulo")


def test_ordinary_alias_without_a_place_stays_free_text(sulteng: Gazetteer) -> None:
    command = parse_command("lapor anak sy dipukul", sulteng)
    assert command == Command(CommandKind.LAPOR, rest="anak sy dipukul")


def test_form_without_gazetteer_takes_one_word_as_the_place() -> None:
    command = parse_command("LAPOR TPPO Pantoloan 5 gadis dibawa")
    assert command is not None
    assert (command.category, command.place, command.rest) == (
        Category.TPPO,
        "Pantoloan",
        "5 gadis dibawa",
    )
