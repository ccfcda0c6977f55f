"""The column types every model shares: UTC timestamps and StrEnum columns."""

from __future__ import annotations

import enum
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, insert, select, text
from sqlalchemy.exc import StatementError

from models.base import UTCDateTime, str_enum


class Colour(enum.StrEnum):
    RED = "merah"
    GREEN = "hijau"


@pytest.fixture
def table():
    metadata = MetaData()
    table = Table(
        "thing",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("at", UTCDateTime()),
        Column("colour", str_enum(Colour)),
    )
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    with engine.begin() as connection:
        yield connection, table
    engine.dispose()


def test_a_timestamp_in_another_zone_reads_back_as_the_same_instant_in_utc(table):
    connection, thing = table
    wita = timezone(timedelta(hours=8))
    connection.execute(insert(thing).values(id=1, at=datetime(2026, 3, 10, 9, 0, tzinfo=wita)))
    at = connection.scalar(select(thing.c.at))
    assert at == datetime(2026, 3, 10, 1, 0, tzinfo=UTC)
    assert at.tzinfo is UTC


def test_a_naive_timestamp_is_refused(table):
    connection, thing = table
    with pytest.raises(StatementError, match="naive datetime"):
        connection.execute(insert(thing).values(id=1, at=datetime(2026, 3, 10, 9, 0)))  # noqa: DTZ001 (the point)


def test_an_enum_column_stores_the_value_and_reads_back_the_member(table):
    connection, thing = table
    connection.execute(insert(thing).values(id=1, colour=Colour.GREEN))
    assert connection.scalar(text("SELECT colour FROM thing")) == "hijau"
    assert connection.scalar(select(thing.c.colour)) is Colour.GREEN


def test_an_enum_column_refuses_a_string_outside_the_vocabulary(table):
    connection, thing = table
    with pytest.raises(StatementError):
        connection.execute(insert(thing).values(id=1, colour="ungu"))
