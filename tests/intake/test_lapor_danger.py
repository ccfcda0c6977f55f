"""The facilitator's form `LAPOR <kategori> <desa> <keterangan>` is read for danger."""

import pytest
from sqlalchemy import select

from cases import seed_default_rules
from core.db import db
from core.demo import seed_demo
from models import Case
from tests.signing import Phone


@pytest.fixture
def demo(app):
    seed_demo(db.session)
    seed_default_rules(db.session)
    db.session.commit()


@pytest.mark.usefixtures("demo")
@pytest.mark.parametrize(
    "text",
    [
        "LAPOR KDRT Sidera suami sedang pukul istri pakai parang",
        "LAPOR KDRT desa Sidera istri dikurung suami sejak siang",
        "LAPOR TPPO Sidera 2 gadis dibawa calo malam ini naik kapal",
        "LAPOR anak Sidera anak sedang dipukul ayahnya",
        "LAPOR KS Sidera korban disekap di rumah pelaku sejak tadi malam",
    ],
)
def test_a_form_describing_danger_now_opens_an_emergency(poster, text):
    reply = Phone(poster, "+6280800000401").say(text)
    case = db.session.scalar(select(Case))
    assert case is not None
    assert case.reference in reply
    assert (case.priority, case.region_code) == ("darurat", "72.10.01.2007")
