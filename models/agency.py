"""Agencies that act on cases, and the people who use SIGAP: staff, facilitators, coordinators."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.crypto import Encrypted
from models.base import Base, str_enum, utcnow


class AgencyKind(enum.StrEnum):
    DP3A = "dp3a"  # women's empowerment and child protection office (coordinator)
    UPTD_PPA = "uptd_ppa"  # protection service unit that handles cases
    POLICE_PPA = "police_ppa"  # police women's and children's unit
    SOCIAL = "dinsos"  # social services
    BP3MI = "bp3mi"  # migrant-worker protection agency


class Role(enum.StrEnum):
    STAFF = "staff"
    FACILITATOR = "facilitator"
    COORDINATOR = "coordinator"
    ADMIN = "admin"


class Agency(Base):
    __tablename__ = "agency"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Short stable name used in routing files and the CLI, e.g. UPTD-PPA-72.
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[AgencyKind] = mapped_column(str_enum(AgencyKind))
    #: The region the agency serves: a province, regency or city code.
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    is_active: Mapped[bool] = mapped_column(default=True)

    accounts: Mapped[list[Account]] = relationship(back_populates="agency")


class Account(Base):
    __tablename__ = "account"

    id: Mapped[int] = mapped_column(primary_key=True)
    role: Mapped[Role] = mapped_column(str_enum(Role))
    name: Mapped[str] = mapped_column(Encrypted())
    phone: Mapped[str | None] = mapped_column(Encrypted())
    #: Keyed hash of the E.164 number: how an SMS from staff is recognised.
    phone_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"), index=True)
    #: For facilitators: the district or village they work in.
    region_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"))
    is_active: Mapped[bool] = mapped_column(default=True)
    #: Hash of the PIN that closing a case by SMS (`SELESAI REF PIN`) needs; None: no closing
    #: by SMS. Set with `accounts set-pin`.
    sms_pin_hash: Mapped[str | None] = mapped_column(String(255))
    #: Wrong PINs in a row; at PIN_TRIES the PIN stops working until it is set again.
    sms_pin_failures: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: scrypt hash of the console password (console/passwords.py); None: no console login.
    password_hash: Mapped[str | None] = mapped_column(String(200))
    #: Console sessions started before this are over (a new password ends the old sessions).
    password_changed_at: Mapped[datetime | None]

    agency: Mapped[Agency | None] = relationship(back_populates="accounts")
