"""Classes of message the fourth and fifth blind rounds showed triage missing, in invented words.

Each class is the general rule behind misses: danger now said indirectly (a man shut in with a
child, the one who hurts at the door, writing in secret, a child going off tonight with someone
offering work, beaten if she refuses to serve guests, a farewell), and what is grave but not
this hour's danger (a plea relayed from someone else, a wedding next month, casework asked for,
"not urgent", a confinement that ended, the one who hurt her gone out to work, fled to kin);
chain messages that ask whether a story is true.
"""

from __future__ import annotations

import pytest

from intake.triage import triage, triage_by_rules
from models import Category, Priority


@pytest.mark.parametrize(
    "text",
    [
        # A man shut in a room with a child, the door locked from inside.
        "om itu masuk kamar anak sy yg kls 3 SD trus kunci pintu dari dalam, kami di luar",
        # The one who hurts at the door, or on his way.
        "mantan suami sy masih di depan pintu kamar, dia mabuk, sy di dalam sm bayi",
        "he texted that he is on his way here and will finish what he started",
        # Writing in secret, on a borrowed phone.
        "sy sms pakai hp tetangga, suami sy mabuk dan ancam sy. jgn telp balik, tolong",
        # A child going off tonight with someone offering work.
        "anak tetangga 14 thn mau ikut om2 ke Palu besok subuh, om itu janji kasih kerja di toko",
        # Made to serve guests, beaten if she refuses.
        "kakak sy 20 thn disuruh temani tamu di kafe, kalau tidak mau minum dia ditampar bos",
        # Someone kicking in the door.
        "pacarnya tendang2 pintu kos, temanku di dalam ketakutan",
        # A farewell, pills bought.
        "obatnya sdh sy beli. malam ini sy mau pergi saja selamanya, jaga diri kalian",
        # A wedding of a child on a day this week.
        "my pupil (14) will be married to a widower this Saturday, her parents took a dowry",
        # Shut in since morning, in Manado, with "kita" for "I".
        "dari pagi kita pe laki kunci kita deng anak2 di rumah, bilang kalo dia pulang kita abis",
        # Just now, "baru" before the harm.
        "sy baru diperkosa tetangga di kebun, sy tdk tau harus ke mana",
    ],
)
def test_danger_said_indirectly_is_darurat_by_the_rules_themselves(text: str) -> None:
    # The rules name the danger (staff read why in the reasons), not only the second opinion.
    assert triage_by_rules(text).priority is Priority.DARURAT
    assert triage(text).priority is Priority.DARURAT


@pytest.mark.parametrize(
    "text",
    [
        # A plea relayed from someone else: a wedding next month.
        "[Diteruskan dari ibu RT] tolong bantu, gadis 14 thn di dusun kami mau dinikahkan "
        "bulan depan dgn duda",
        # A harm planned after the holidays.
        "ada bayi mau dijual ibunya ke orang kota setelah lebaran, sdh terima uang 10 juta",
        # Casework asked for, in English and in Indonesian.
        "A woman in our group said her husband choked her last month. Please schedule a "
        "follow-up visit when you can.",
        "kader posyandu: balita 3 thn di dusun kami gizi buruk, ibunya sering pergi. mohon "
        "kunjungan segera",
        # Said to be not urgent.
        "Not urgent, but please: a girl in my class (12) says her aunt hit her with a machete.",
        # A confinement that ended; the one who hurt her gone out to work.
        "semalam sy dikunci suami di gudang sampai pagi, skrg dia sdh pergi kerja",
        # Fled to kin.
        "suaminya kemarin bilang dia tdk boleh keluar rumah lagi, skrg dia sdh lari ke rumah "
        "kakaknya",
    ],
)
def test_grave_but_not_this_hours_danger_is_not_darurat(text: str) -> None:
    result = triage(text)
    assert result.is_report
    assert result.priority is not Priority.DARURAT


@pytest.mark.parametrize(
    "text",
    [
        "Di grup orang tua murid ada kabar anak perempuan diculik dekat sekolah. Betul kah?",
        "katanya anak SD dijual lewat FB di Parigi, share biar rame!! cek link di bio",
        "Benar kah ada anak2 dijual di Tolitoli? Sy dpt dr grup WA, ada fotonya",
    ],
)
def test_a_story_going_round_is_a_chain_message_never_darurat(text: str) -> None:
    result = triage(text)
    assert not result.is_report
    assert result.priority is Priority.BIASA


def test_a_girls_baby_fathered_by_her_father_is_sexual_violence() -> None:
    result = triage(
        "I'm a nurse. A 14 year old gave birth here last night and says her father is the "
        "father of the baby. She goes home with him today."
    )
    assert result.category is Category.KEKERASAN_SEKSUAL
