"""Classes of message the sixth blind round showed triage missing, in invented words.

Danger now said without the usual words: someone still tied or hung up, a child hurt who does
not wake or breathe, a child afraid to go home today to the one who hurts her. Grave but not
this hour's danger: a threat made as a habit ("sering ancam ... kalau dia lapor"), someone far
away and out of contact for months, someone kept back by a debt (told by another), a report
asked to be handled quickly, a child locked out of the house (neglect, not confinement).
"""

from __future__ import annotations

import pytest

from intake.triage import triage, triage_by_rules
from models import Priority


@pytest.mark.parametrize(
    "text",
    [
        # Still tied or hung up, not let down.
        "om itu gantung keponakannya di pintu pake sarung, sampai skrg masih tergantung",
        "my neighbour's little boy is still hanging by his wrists from the mango tree, his "
        "uncle did it",
        # A child hurt who does not wake, cry or breathe.
        "anak sy 2 thn didorong bapaknya sampai kepalanya kena lantai, tdk bisa bangun, tdk "
        "menangis lagi",
        "my nephew (2) was thrown against the wall by his dad and won't wake up",
        # A child afraid to go home today to the one who hurts her.
        "Our student (11) says she is terrified to go home today, her stepdad hurts her",
        "siswi sy 12 thn bilang takut sekali pulang hari ini, ayah tirinya suka pegang2 dia",
    ],
)
def test_danger_now_without_the_usual_words_is_darurat_by_the_rules(text: str) -> None:
    assert triage_by_rules(text).priority is Priority.DARURAT
    assert triage(text).priority is Priority.DARURAT


@pytest.mark.parametrize(
    "text",
    [
        # A threat made as a habit, none said to be now.
        "suaminya suka ancam mau bakar dia pakai bensin kalau dia lapor ke orang tuanya",
        "Her husband often threatens to kill her with his machete if she leaves him",
        "dorang pe papa sering ancam mo tikam pake pisau kalo anak2 ba ribut",
        # Far away and out of contact for months.
        "kakak sy kerja di Sabah, sdh 3 bulan tdk bisa dihubungi, terakhir dia sms hp nya mau "
        "diambil majikan",
        # Kept back by a debt, not shut in (someone else writing).
        "Two boys (14) work on a fishing raft near Ampana, the owner says they can't go home "
        "until their father's old debt to him is paid off",
        "adik sy 16 thn kerja di warung di Luwuk, bosnya bilang tdk boleh pulang sebelum utang "
        "tiket lunas",
        # A report asked to be handled quickly.
        "ada anak 15 thn mau dinikahkan dgn duda, mohon cepat ditangani",
        # Locked out of the house: neglect, not confinement.
        "her stepmother locks her outside when she comes home late, she is 9",
    ],
)
def test_grave_but_not_this_hours_danger_is_not_darurat_by_the_rules(text: str) -> None:
    assert triage_by_rules(text).is_report
    assert triage_by_rules(text).priority is not Priority.DARURAT
