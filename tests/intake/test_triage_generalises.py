"""Classes of messages triage used to miss, each in invented words of its own.

Danger now without "sekarang" or "tolong"; Sulawesi (Manado) Malay and English; sexual abuse
said indirectly; trafficking shown by its pattern; chain messages; elderly victims; places that
are not where the harm happened; "Village District" word order.
"""

from __future__ import annotations

import pytest

from intake.places import Gazetteer
from intake.triage import triage
from models import Category, Priority, Victim


@pytest.mark.parametrize(
    "text",
    [
        # Still going on, in other words than "sekarang".
        "penganiayaan kakak sy oleh suaminya masih berlangsung, kami dengar dari luar",
        "he is still hitting her, we can hear it through the wall",
        # A woman who says she wants to die.
        "sy sdh tdk kuat, sy mau mati saja, suami pukul sy tiap hari",
        "sy tdk kuat lg, sdh minum obat nyamuk, suami bilang sy lbh baik mati",
        "my friend says she will kill herself tonight",
        # Held and not let go.
        "kami dikurung di rumah bos sejak siang",
        "adik sy disekap di kapal, tidak boleh turun",
        "sy tdk boleh plg sblm utang sy lunas di rumah makan ini",
        "kita pe bos kapal nda kase kita pulang, so 4 bulan nda dapa gaji",
        # English urgency.
        "they are taking her tonight to the boat",
        "the girl next door, 14, is being sent to Malaysia tomorrow by an agent",
        "my neighbour locked his wife in the house since this morning, she is screaming",
        # A minor taken tonight or by boat with a promise of work.
        "dorang ada bawa kita pe ade pigi pake speed malam ini, katanya mo karja, dia baru 15",
        # A child alone, a phone about to die, a door being forced.
        "dua anak kecil (3 dan 5 th) sendirian di rumah sejak kemarin sore, ortu tdk tau kemana",
        "hp sy mau mati, suami masih di luar pegang parang",
        "A man has been trying to force my door for the last 20 minutes at my homestay",
    ],
)
def test_danger_now_in_other_words_is_darurat(text: str) -> None:
    assert triage(text).priority is Priority.DARURAT


@pytest.mark.parametrize(
    ("text", "category"),
    [
        # A baby or child sold, or "adopted" for payment.
        ("bidan tawarkan bayi untuk adopsi bayar 15 juta", Category.TPPO),
        ("ada ibu mau jual bayinya ke orang kota", Category.TPPO),
        ("a midwife in our village is selling newborn babies to couples from Java", Category.TPPO),
        # An online threat to spread an intimate video.
        (
            "mantannya ancam sebar video intim adik sy kalau tidak mau balikan",
            Category.KEKERASAN_SEKSUAL,
        ),
        ("my ex says he will post my nude video online", Category.KEKERASAN_SEKSUAL),
        # Sexual abuse said indirectly.
        (
            "anak sy (13) cerita disuruh tidur sama om nya, bajunya dibuka",
            Category.KEKERASAN_SEKSUAL,
        ),
        ("kadus bilang bantuan cair kalau sy mau tidur dgn dia", Category.KEKERASAN_SEKSUAL),
        (
            "anak sy 5 thn cerita om tetangga kasih permen lalu buka celananya",
            Category.KEKERASAN_SEKSUAL,
        ),
        (
            "my student, 13, says her uncle comes into her room at night and touches her",
            Category.KEKERASAN_SEKSUAL,
        ),
        # Made to serve guests, held by a boss: trafficking.
        ("sepupu sy disuruh temani tamu di kafe, tdk boleh keluar mess", Category.TPPO),
        ("the boat captain keeps the girls on board, they cannot go ashore", Category.TPPO),
    ],
)
def test_what_the_harm_is_when_it_is_not_named(text: str, category: Category) -> None:
    assert triage(text).category is category


@pytest.mark.parametrize(
    "text",
    [
        "sy mau minta tolong, sy sering pukul istri sy, sy mau berubah",
        "istri sy sering sy pukul, sy mau berhenti, tolong bantu sy",
    ],
)
def test_a_perpetrator_asking_for_help_is_kdrt_not_an_emergency(text: str) -> None:
    result = triage(text)
    assert result.category is Category.KDRT
    assert result.priority is not Priority.DARURAT


@pytest.mark.parametrize(
    "text",
    [
        "BC dari grup: hati2 ada penculik anak pakai mobil putih di Sigi, SEBARKAN!!",
        "pesan berantai: ada penculikan anak di Palu, waspada!",
        "forwarded: kidnappers in Donggala taking kids for organs, share to all groups",
        "Ada kabar di grup torang, orang pake mobil hitam culik anak for ambe ginjal, betul ka?",
        "Selamat! Anda menang undian 50 juta, kirim foto KTP ke nomor ini",
        "Is it true a child was kidnapped from a school in Talise yesterday?",
    ],
)
def test_chain_messages_hoaxes_and_scams_are_never_reports(text: str) -> None:
    result = triage(text)
    assert not result.is_report
    assert (result.category, result.priority) == (Category.LAINNYA, Priority.BIASA)
    assert result.reasons[0].startswith("not a report")


def test_an_elderly_victim_is_not_a_child_or_kdrt_case() -> None:
    result = triage("Kakek di sebelah rumah (80 th) sering dibentak dan tdk dikasih makan anaknya")
    assert (result.category, result.victim) == (Category.LAINNYA, Victim.TIDAK_DIKETAHUI)
    assert result.priority is Priority.TINGGI


@pytest.mark.parametrize(
    ("text", "code"),
    [
        # "Village District" with no "desa"/"kec", the district also a village elsewhere.
        ("Bugis Batui: anak dipukul ayahnya", "72.01.01.1006"),
        ("Tayadun Bokat: anak dipukul ayahnya", "72.05.03.2001"),
        ("suami pukul istri, Pinamula Momunu", "72.05.01.2002"),
        # English puts "village" after the name.
        ("in Tataba village, Buko, a boy was beaten by his uncle", "72.07.07.2013"),
        # An office or a workplace is not where the harm happened.
        (
            "I work for an NGO in Luwuk. Girls from Siuna near Pagimana are recruited",
            "72.01.07.2026",
        ),
    ],
)
def test_the_village_where_it_happened(sulteng: Gazetteer, text: str, code: str) -> None:
    result = triage(text, sulteng)
    assert result.location is not None
    assert result.location.code == code


@pytest.mark.parametrize(
    "text",
    [
        "adik sy kerja di Morowali, gajinya tdk dibayar 6 bulan",
        "my husband's family is at sea near Tolitoli, he hits me",
    ],
)
def test_a_workplace_or_the_sea_is_no_village(sulteng: Gazetteer, text: str) -> None:
    result = triage(text, sulteng)
    assert result.location is None or result.location.level.value != "village"
