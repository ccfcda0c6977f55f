"""After messages went through intake, neither the database nor the logs hold them in plain."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import inspect, text

from core.db import db
from core.demo import seed_demo
from tests.signing import Phone

SENDERS = ["+6280800000301", "+6280800000302", "+447700900301"]
TEXTS = [
    "Tolong!! ibu di sebelah rumah sy di desa Kotarindau sedang dipukuli suaminya pakai kayu",
    "anak perempuan 10 thn di Pewunu dicabuli tetangga minggu lalu, keluarga takut lapor",
    "suami sy memukul sy semalam, sy takut pulang",
    "Sidera kec Sigi Biromaru",
    "my neighbour's daughter was sold to an agent, she is in Palu now",
]


def _database_bytes() -> bytes:
    """What the database server holds, as stored."""
    db.session.commit()
    if db.engine.dialect.name == "sqlite":
        path = db.engine.url.database
        data = b""
        for suffix in ("", "-wal"):
            try:
                with open(path + suffix, "rb") as f:
                    data += f.read()
            except FileNotFoundError:
                pass
        return data
    dump = []
    for table in inspect(db.engine).get_table_names():
        # Table names come from the schema itself, not from input.
        query = text(f'SELECT * FROM "{table}"')  # noqa: S608
        dump.append(repr(db.session.execute(query).all()))
    return "\n".join(dump).encode()


@pytest.fixture
def traffic(app, poster, caplog):
    from cases.routing import seed_default_rules

    seed_demo(db.session)
    seed_default_rules(db.session)
    db.session.commit()
    caplog.set_level(logging.DEBUG)
    for number in SENDERS:
        phone = Phone(poster, number)
        for message in TEXTS:
            phone.say(message)
    return caplog


def _needles() -> list[str]:
    needles = list(SENDERS) + [n.removeprefix("+") for n in SENDERS] + [n[3:] for n in SENDERS]
    return needles + [message[:24] for message in TEXTS]


def test_database_holds_no_number_or_text_in_plain(traffic):
    raw = _database_bytes()
    for needle in _needles():
        assert needle.encode() not in raw, needle


def test_logs_hold_no_number_or_text(traffic):
    records = traffic.get_records("setup")  # the traffic was sent while setting up
    logged = "\n".join(record.getMessage() for record in records)
    assert "inbound id=" in logged  # the logs do say what happened
    for needle in _needles():
        assert needle not in logged, needle
