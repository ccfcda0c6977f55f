"""Personal data is unreadable at rest and still findable by number."""

import pytest
from sqlalchemy import select, text

from core import crypto
from core.config import ConfigError
from core.db import db
from models import Account, Role

PHONE = "+6280800000101"  # unallocated block: belongs to nobody
NAME = "Wulan Permatasari"  # invented


def _raw_dump() -> bytes:
    """Everything the database holds for the account table, as the server stores it."""
    if db.engine.dialect.name == "sqlite":
        db.session.commit()
        path = db.engine.url.database
        with open(path, "rb") as f:
            data = f.read()
        try:
            with open(path + "-wal", "rb") as f:
                data += f.read()
        except FileNotFoundError:
            pass
        return data
    db.session.commit()
    rows = db.session.execute(text("SELECT * FROM account")).all()
    return repr(rows).encode()


def test_phone_and_name_are_not_stored_in_plain(app):
    account = Account(role=Role.STAFF, name=NAME, phone=PHONE, phone_hash=crypto.lookup_hash(PHONE))
    db.session.add(account)
    raw = _raw_dump()
    assert PHONE.encode() not in raw
    assert PHONE[3:].encode() not in raw  # the local part either
    assert NAME.encode() not in raw
    db.session.expire_all()
    found = db.session.scalar(
        select(Account).where(Account.phone_hash == crypto.lookup_hash(PHONE))
    )
    assert (found.name, found.phone) == (NAME, PHONE)


def test_old_key_still_reads_after_rotation_and_wrong_key_refuses():
    old = crypto.Keyring("c2lnYXAgdGVzdCBrZXk7IG5ldmVyIHByb2R1Y3Rpb24=")
    token = old.encrypt("rahasia")
    new_key = "bmV3IHNpZ2FwIHRlc3Qga2V5OyBub3QgZm9yIHVzZSE="
    rotated = crypto.Keyring(f"{new_key},c2lnYXAgdGVzdCBrZXk7IG5ldmVyIHByb2R1Y3Rpb24=")
    assert rotated.decrypt(token) == "rahasia"
    with pytest.raises(ConfigError):
        crypto.Keyring(new_key).decrypt(token)


def test_lookup_hash_is_keyed():
    a = crypto.Keyring("c2lnYXAgdGVzdCBrZXk7IG5ldmVyIHByb2R1Y3Rpb24=")
    b = crypto.Keyring("bmV3IHNpZ2FwIHRlc3Qga2V5OyBub3QgZm9yIHVzZSE=")
    assert a.lookup_hash(PHONE) == a.lookup_hash(PHONE) != b.lookup_hash(PHONE)


@pytest.mark.parametrize("bad", ["", "short", "!!!not base64!!!"])
def test_bad_data_key_is_a_config_error(bad):
    with pytest.raises(ConfigError, match="SIGAP_DATA_KEY"):
        crypto.Keyring(bad)
