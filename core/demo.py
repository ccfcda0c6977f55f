"""Demo data: the Sulawesi Tengah protection agencies, with invented staff.

Agency names are the real institutions; every person is invented, and every number is in
+62 808, a block of Indonesia's numbering plan allocated to no operator, so a demo message
can never reach a real phone.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.crypto import lookup_hash
from models import Account, Agency, AgencyKind, Role

#: (code, name, kind, region)
AGENCIES = (
    ("DP3A-72", "DP3A Provinsi Sulawesi Tengah", AgencyKind.DP3A, "72"),
    ("UPTD-PPA-72", "UPTD PPA Provinsi Sulawesi Tengah", AgencyKind.UPTD_PPA, "72"),
    (
        "POLDA-PPA-72",
        "Subdit Renakta Ditreskrimum Polda Sulawesi Tengah",
        AgencyKind.POLICE_PPA,
        "72",
    ),
    ("POLRESTA-PALU-PPA", "Unit PPA Satreskrim Polresta Palu", AgencyKind.POLICE_PPA, "72.71"),
    ("POLRES-SIGI-PPA", "Unit PPA Satreskrim Polres Sigi", AgencyKind.POLICE_PPA, "72.10"),
    ("DINSOS-72", "Dinas Sosial Provinsi Sulawesi Tengah", AgencyKind.SOCIAL, "72"),
    ("BP3MI-72", "BP3MI Sulawesi Tengah", AgencyKind.BP3MI, "72"),
    ("DP3A-7210", "DP3A Kabupaten Sigi", AgencyKind.DP3A, "72.10"),
    ("UPTD-PPA-7271", "UPTD PPA Kota Palu", AgencyKind.UPTD_PPA, "72.71"),
)

#: Invented first names for invented staff.
_NAMES = (
    "Rahmawati",
    "Andi Saputra",
    "Nurhayati",
    "Moh. Rizal",
    "Sitti Aminah",
    "Yohanis",
    "Fitriani",
    "Hendra Lamato",
    "Dewi Lestari",
    "Arman Pakaya",
    "Ni Wayan Sari",
    "Ferdi",
    "Marlina",
    "Iwan Setiawan",
    "Ratna",
    "Jufri",
    "Kartini Lasimpo",
    "Budiman",
    "Sri Wahyuni",
    "Yusran",
    "Agustina",
    "Samsul",
    "Herlina",
    "Taufik",
    "Maria Tanod",
    "Rusdin",
    "Nirmala",
)
STAFF_PER_AGENCY = 3  # on call, backup, supervisor


def demo_phone(n: int) -> str:
    """An invented number in the unallocated +62 808 block."""
    return f"+6280800{n:06d}"


def seed_demo(session: Session) -> dict[str, int]:
    """Create demo agencies, staff and a coordinator unless they exist; return what was added."""
    added = {"agencies": 0, "accounts": 0}
    have = set(session.scalars(select(Agency.code)))
    names = iter(_NAMES)
    for i, (code, name, kind, region) in enumerate(AGENCIES):
        if code in have:
            continue
        agency = Agency(code=code, name=name, kind=kind, region_code=region)
        session.add(agency)
        added["agencies"] += 1
        for j in range(STAFF_PER_AGENCY):
            phone = demo_phone(100 + i * 10 + j)
            agency.accounts.append(
                Account(
                    role=Role.STAFF, name=next(names), phone=phone, phone_hash=lookup_hash(phone)
                )
            )
            added["accounts"] += 1
    if not session.scalar(select(Account.id).where(Account.role == Role.COORDINATOR).limit(1)):
        phone = demo_phone(900)
        session.add(
            Account(
                role=Role.COORDINATOR,
                name="Koordinator Demo",
                phone=phone,
                phone_hash=lookup_hash(phone),
            )
        )
        added["accounts"] += 1
    session.flush()
    return added
