"""Classes of message the third blind round showed triage missing, in invented words.

Each class is the general rule behind a miss: danger now said indirectly (a farewell, pills
gathered, fuel and a lighter, a witness to violence as it happens), confinement at home, a
minor on the way to promised work, a girl gone and out of reach, the one writing afraid of what
he will do; sexual abuse said indirectly; who the victim is; what is and is not a chain message.
"""

from __future__ import annotations

import pytest

from intake.text import normalise
from intake.triage import triage
from models import Category, Priority, Victim


@pytest.mark.parametrize(
    "text",
    [
        # Suicidal intent said without the word: a farewell, a letter, pills gathered.
        "sy sdh siapkan surat untuk anak2 sy. obat tidur sdh sy kumpulkan. maaf sy tdk kuat",
        "adik sy kirim pesan: 'kalau besok saya sudah tidak ada, titip anak2 ya'. suaminya "
        "baru hajar dia",
        "My sister texted that she would rather disappear than go back to him.",
        # Fuel and a flame: a weapon, whatever the language.
        "tetangga siram bensin di lantai rumah, pegang korek api, istrinya di dalam",
        "her husband poured petrol on the floor and is holding a lighter",
        # A witness to violence as it happens, in the present tense, no "now".
        "ada orang pukul perempuan di rumah sebelah. Dusun Tiga",
        "a man is beating a woman in the street outside our homestay",
        # Kept in the house by a husband, or held and beaten.
        "suaminya tidak kasih dia keluar rumah sdh 5 hari, hp nya disita",
        "her husband has not let her out of the house since Sunday",
        "majikan pukul kakak sy dan dia tdk boleh keluar rumah, sdh 2 bulan",
        # A minor moving towards promised work, on a boat or at a port.
        "ponakan sy 16 thn naik kapal ke Tarakan, katanya dijanjikan kerja di rumah makan",
        "at the port in Ampana a woman has two girls, maybe 13, going to work in a hotel",
        # A girl gone, her phone off.
        "anak perempuan sy 14 thn pergi dgn org yg dikenal di fb, hpnya tidak aktif",
        # The one writing fears what he is about to do.
        "sy sdh minum, anak tiri sy di kamar sebelah, sy takut sama diri sy sendiri",
        # Taken by force, whoever it is.
        "seorang gadis diseret masuk mobil di depan sekolah",
        "two men pushed a young woman into a van near the market",
        # Manado: still fighting; a sibling locked in since noon and not fed.
        "Kita pe tanta ada dapa pukul deng om di dalam rumah, dorang masih baku hantam",
        "dorang kase kunci kita pe ade di kamar dari siang, nda dapa kase makan",
        # Suicidal intent in other words, and in English.
        "sy sdh tdk sanggup hidup, malam ini sy mau pergi selamanya",
        "I can't do this anymore, I've written letters to my children",
        # Threatened with boiling water, the one who threatens at home.
        "suami sy mengancam akan menyiram sy pakai air panas, dia skrg di dapur",
        # Held: the one writing cannot leave.
        "he's got my passport and I can't leave the plantation",
        # Bleeding, in English.
        "my neighbour's wife is bleeding on the floor",
        # A child chained all day; screaming next door for an hour (Manado); held in a hotel.
        "There is a boy chained under a house by the beach, he has been there all day",
        "torang dengar anak ba bataria dari rumah sebelah, dapa pukul pake kayu, so satu jam",
        "ngana, kita pe tamang di kamar hotel deng om-om, dia bilang nda bole kaluar",
        # Made to serve guests, and again tonight.
        "dorang suruh kita pe sodara 16 taong layani tamu, nanti malam ada tamu lagi",
    ],
)
def test_danger_said_indirectly_is_darurat(text: str) -> None:
    assert triage(text).priority is Priority.DARURAT


@pytest.mark.parametrize(
    "text",
    [
        # Drunk as a habit, not drunk now.
        "her brother slaps her when he is drunk, it happened again on Saturday",
        # Choked last night, safe at the writer's home now.
        "ipar sy dicekik suaminya semalam, skrg dia di rumah sy",
        # Locked up when he asks for his pay: regular, not now.
        "the boy says the owner locks him in the shed when he asks for his wages",
        # Chained yesterday, let go at midnight.
        "anak itu kemarin diikat di tiang seharian, baru dilepas tengah malam",
        # "tolong" as a courtesy before a report, not a cry.
        "tolong sy mau lapor, anak sy 9 thn dicabuli tetangga bulan lalu",
    ],
)
def test_harm_that_is_not_now_is_not_darurat(text: str) -> None:
    result = triage(text)
    assert result.is_report
    assert result.priority is Priority.TINGGI


@pytest.mark.parametrize(
    ("text", "category"),
    [
        # Touched, said with a keypad reduplication or a typo.
        ("murid sy bilang dia dipegang2 omnya tiap mamanya pergi", Category.KEKERASAN_SEKSUAL),
        ("ank tetangga di cbuli penjaga kebun", Category.KEKERASAN_SEKSUAL),
        # Made to sleep in his bed; kept as a "wife"; "something that must not happen".
        (
            "her uncle makes her sleep in his bed when her aunt is away",
            Category.KEKERASAN_SEKSUAL,
        ),
        (
            "laki2 tua itu jadikan istri anak gadis 13 thn yg dia pelihara",
            Category.KEKERASAN_SEKSUAL,
        ),
        (
            "sdh terjadi hal yg tdk pantas antara kakek dan cucunya 10 thn",
            Category.KEKERASAN_SEKSUAL,
        ),
        # Filmed in the bathroom; grooming with money, then soiled clothes.
        (
            "a pupil (11) says her mum's boyfriend comes into the bathroom when she showers",
            Category.KEKERASAN_SEKSUAL,
        ),
        (
            "penjaga kebun suka kasih uang ke ponakan sy lalu ajak ke pondok, celananya kotor",
            Category.KEKERASAN_SEKSUAL,
        ),
        # Promised a job, then something else: trafficking.
        (
            "adik sy diajak kerja jaga toko, ternyata disuruh tidur dgn tamu",
            Category.TPPO,
        ),
        # A girl's boyfriend hitting her is dating violence, though she is 16.
        ("pacar adik sy (16 thn) sering tampar dia kalau cemburu", Category.KDRT),
        # "-ku": my husband hits me, with a baby named.
        ("suamiku pukul aku trs, anakku msh bayi", Category.KDRT),
        # Her husband named: the woman is the one hurt, though children are named too.
        ("kakaknya ditampar suaminya di depan anak2 mereka", Category.KDRT),
        # A child of a given age hurt, in a message that names a workplace.
        (
            "sy kerja di rumah majikan, anaknya umur 12 dipukul ayahnya pake rotan",
            Category.KEKERASAN_ANAK,
        ),
    ],
)
def test_harm_said_indirectly_finds_its_category(text: str, category: Category) -> None:
    assert triage(text).category is category


def test_a_girl_being_sold_tonight_is_trafficking_and_darurat() -> None:
    result = triage("the girl (15) who cleans our shop says her uncle is selling her tonight")
    assert (result.category, result.priority) == (Category.TPPO, Priority.DARURAT)


def test_a_married_off_girls_age_is_not_the_mans() -> None:
    # "a 40 year old man" is the man's age: the student is still a child.
    result = triage("her father married my student off to a 40 year old man last month")
    assert (result.category, result.victim) == (Category.PERKAWINAN_ANAK, Victim.ANAK)


def test_a_broadcast_is_a_chain_message_not_a_report() -> None:
    # "BC" in a group chat is a broadcast, not "because".
    result = triage("BC dari grup: anak hilang di Parigi, ternyata diculik, hati2 ya bu ibu")
    assert not result.is_report
    assert result.priority is Priority.BIASA


def test_a_question_about_ones_own_past_harm_is_a_report() -> None:
    result = triage("apakah bisa lapor? sy dulu dipukuli mantan suami sampai keguguran")
    assert result.is_report
    assert result.category is Category.KDRT


def test_a_sponsor_gathering_girls_for_their_papers_is_recruiting_not_a_scam() -> None:
    result = triage(
        "sponsor kumpulkan anak2 perempuan tamatan SMP, dijanjikan kerja pabrik di Batam, "
        "minta foto KTP ortu"
    )
    assert result.category is Category.TPPO
    scam = triage("kirim foto KTP dan KK anda utk pencairan bantuan, segera")
    assert not scam.is_report


@pytest.mark.parametrize(
    ("text", "victim"),
    [
        ("Our housemaid (19) says the employer's son forced himself on her", Victim.PEREMPUAN),
        (
            "sy janda anak 2, bos sy bilang gaji cair kalau sy mau temani dia nginap",
            Victim.PEREMPUAN,
        ),
        ("I'm 20 and I have been touching my little cousin (7)", Victim.ANAK),
    ],
)
def test_who_the_victim_is(text: str, victim: Victim) -> None:
    assert triage(text).victim is victim


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("kerja dr subuh smp malam", "kerja dari subuh sampai malam"),
        ("dia pegang kaki sy smp paha", "dia pegang kaki saya sampai paha"),
        ("anak sy kelas 2 smp", "anak saya kelas 2 smp"),
        ("tamatan SMP", "tamatan smp"),
        ("murid SMP 3 Luwuk", "murid smp 3 luwuk"),
    ],
)
def test_smp_is_until_unless_it_is_the_school(text: str, expected: str) -> None:
    assert normalise(text) == expected


@pytest.mark.parametrize(
    ("text", "category"),
    [
        # A child chained or locked up by a parent: child abuse, not a household quarrel.
        ("anak 6 thn diikat di tiang dapur sm ayahnya krn nakal", Category.KEKERASAN_ANAK),
        # A small child left alone by both parents: the child is the one neglected.
        (
            "balita 3 thn sendirian di rumah, mama dan papa pergi ke kota sejak pagi",
            Category.KEKERASAN_ANAK,
        ),
        # A wife writing that her husband leaves her and the children without keep: kdrt.
        ("suami sy sdh sebulan tdk pulang dan tdk kasih uang, anak2 kelaparan", Category.KDRT),
        # An injury in English words.
        ("her husband broke her arm last week", Category.KDRT),
        # Snatched into a car: the writers file it as trafficking.
        ("seorang gadis diseret masuk mobil di depan sekolah", Category.TPPO),
    ],
)
def test_who_is_harmed_at_home_decides_the_category(text: str, category: Category) -> None:
    assert triage(text).category is category


def test_harm_still_to_come_is_not_filed_as_over() -> None:
    # A past event told on the way does not make a wedding planned for next month "over".
    result = triage(
        "dulu sy sdh bicara sm kakak, tp skrg ponakan sy umur 14 mau dikawinkan bulan depan "
        "dgn juragan, apa sy bisa cegah?"
    )
    assert result.category is Category.PERKAWINAN_ANAK
    assert result.priority is not Priority.BIASA
