"""Cases, the reports that make them, the agencies on them, and their append-only timeline."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.crypto import Encrypted
from models.base import Base, str_enum, utcnow
from models.vocab import CaseEventKind, Category, Priority, Victim


class CaseStatus(enum.StrEnum):
    BARU = "baru"  # new, nobody has acknowledged it
    DITERIMA = "diterima"  # acknowledged by an agency
    DITANGANI = "ditangani"  # being handled
    DIRUJUK = "dirujuk"  # referred to another agency
    SELESAI = "selesai"  # closed
    DITOLAK = "ditolak"  # not a case


class ClosureReason(enum.StrEnum):
    """Why a case was closed: a fixed list, so figures can be counted."""

    SERVICES_COMPLETED = "layanan_selesai"  # services completed
    VICTIM_DECLINED = "korban_menolak"  # victim declined further help
    REFERRED_OUT = "dirujuk_luar_provinsi"  # referred out of the province
    DUPLICATE = "duplikat"
    NOT_A_CASE = "bukan_kasus"
    UNREACHABLE = "tidak_terjangkau"  # victim and reporter could not be reached


class Service(enum.StrEnum):
    """Services given to a victim, as SIMFONI-PPA records them."""

    COMPLAINT = "pengaduan"
    HEALTH = "kesehatan"
    LEGAL_AID = "bantuan_hukum"
    LAW_ENFORCEMENT = "penegakan_hukum"
    SOCIAL_REHABILITATION = "rehabilitasi_sosial"
    REINTEGRATION = "reintegrasi"
    REPATRIATION = "pemulangan"


class IncidentPlace(enum.StrEnum):
    """Where the violence happened, as SIMFONI-PPA records it."""

    HOUSEHOLD = "rumah_tangga"
    WORKPLACE = "tempat_kerja"
    SCHOOL = "sekolah"
    PUBLIC_PLACE = "fasilitas_umum"
    OTHER = "lainnya"


class ViolenceForm(enum.StrEnum):
    """The form of violence, as SIMFONI-PPA records it."""

    PHYSICAL = "fisik"
    PSYCHOLOGICAL = "psikis"
    SEXUAL = "seksual"
    EXPLOITATION = "eksploitasi"
    TRAFFICKING = "trafficking"
    NEGLECT = "penelantaran"
    OTHER = "lainnya"


class AgeGroup(enum.StrEnum):
    """SIMFONI-PPA's age groups, in years."""

    AGE_0_5 = "0-5"
    AGE_6_12 = "6-12"
    AGE_13_17 = "13-17"
    AGE_18_24 = "18-24"
    AGE_25_44 = "25-44"
    AGE_45_59 = "45-59"
    AGE_60_UP = "60+"


class Sex(enum.StrEnum):
    FEMALE = "perempuan"
    MALE = "laki_laki"


class Relationship(enum.StrEnum):
    """The perpetrator's relationship to the victim, as SIMFONI-PPA records it."""

    PARENT = "orang_tua"
    FAMILY = "keluarga"
    SPOUSE = "suami_istri"
    PARTNER = "pacar"
    FRIEND = "teman"
    TEACHER = "guru"
    EMPLOYER = "majikan"
    NEIGHBOUR = "tetangga"
    STRANGER = "orang_lain"
    OTHER = "lainnya"


class AgencyRole(enum.StrEnum):
    PRIMARY = "primary"
    SUPPORTING = "supporting"


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        #: Escalation reads only unacknowledged cases whose deadline is due.
        Index("ix_case_ack_due", "status", "ack_due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: What people type and say on the phone, e.g. K7M4CH.
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    status: Mapped[CaseStatus] = mapped_column(str_enum(CaseStatus), default=CaseStatus.BARU)
    category: Mapped[Category] = mapped_column(str_enum(Category, 32))
    victim: Mapped[Victim] = mapped_column(str_enum(Victim, 32))
    priority: Mapped[Priority] = mapped_column(str_enum(Priority, 16))
    #: The most precise place known: a village, else a district, regency or province.
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    assigned_account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Deadline for an agency to acknowledge, from the priority's SLA.
    ack_due_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    #: Acknowledged by SMS only, where a sender's number can be forged: the other agencies'
    #: alert chains keep running until they acknowledge too, or someone does in the API.
    acknowledged_by_sms: Mapped[bool] = mapped_column(default=False)
    #: Sexual violence: the 3x24h deadline to report to the police (UU TPKS art. 41).
    police_report_due_at: Mapped[datetime | None]
    police_reported_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    closure_reason: Mapped[ClosureReason | None] = mapped_column(str_enum(ClosureReason))
    #: Service values given to the victim, for SIMFONI-PPA.
    services_given: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, index=True)
    # SIMFONI-PPA fields: staff fill them; triage prefills what a report tells (cases/simfoni.py).
    incident_on: Mapped[date | None]
    incident_place: Mapped[IncidentPlace | None] = mapped_column(str_enum(IncidentPlace))
    violence_form: Mapped[ViolenceForm | None] = mapped_column(str_enum(ViolenceForm))
    victim_age_group: Mapped[AgeGroup | None] = mapped_column(str_enum(AgeGroup))
    victim_sex: Mapped[Sex | None] = mapped_column(str_enum(Sex))
    #: None: not known yet.
    victim_has_disability: Mapped[bool | None]
    perpetrator_sex: Mapped[Sex | None] = mapped_column(str_enum(Sex))
    perpetrator_age_group: Mapped[AgeGroup | None] = mapped_column(str_enum(AgeGroup))
    perpetrator_relationship: Mapped[Relationship | None] = mapped_column(str_enum(Relationship))

    agencies: Mapped[list[CaseAgency]] = relationship(
        back_populates="case", cascade="all, delete-orphan"
    )
    reports: Mapped[list[Report]] = relationship(back_populates="case")
    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case", order_by="CaseEvent.id", cascade="all, delete-orphan"
    )


class CaseAgency(Base):
    __tablename__ = "case_agency"
    __table_args__ = (UniqueConstraint("case_id", "agency_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    role: Mapped[AgencyRole] = mapped_column(str_enum(AgencyRole))
    #: False once the case was referred away from this agency; history keeps the row.
    is_active: Mapped[bool] = mapped_column(default=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[Case] = relationship(back_populates="agencies")


class Report(Base):
    """One report from one person (or one facilitator entry), joined to a case."""

    __tablename__ = "report"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "sms", "whatsapp" or "app" (facilitator sync).
    source: Mapped[str] = mapped_column(String(16))
    #: The phone's own id for a synced report: a resent sync finds it here.
    client_uuid: Mapped[str | None] = mapped_column(String(36), unique=True)
    inbound_message_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_message.id"))
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("reporter.id"), index=True)
    facilitator_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"), index=True)
    text: Mapped[str] = mapped_column(Encrypted())
    #: JSON list: why triage read the text as it did, for staff; encrypted (quotes the text).
    triage_reasons: Mapped[str | None] = mapped_column(Encrypted())
    category: Mapped[Category] = mapped_column(str_enum(Category, 32))
    victim: Mapped[Victim] = mapped_column(str_enum(Victim, 32))
    priority: Mapped[Priority] = mapped_column(str_enum(Priority, 16))
    region_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"))
    is_anonymous: Mapped[bool] = mapped_column(default=False)
    may_contact: Mapped[bool | None]
    #: When the phone says it was captured (its clock may be off); received_at is ours.
    captured_at: Mapped[datetime | None]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    #: Given to whoever filed a report that joined another person's case, in place of the
    #: case's own: staff reach the shared case by it, and STATUS answers it to its reporter
    #: only. Empty for the report that opened its case and for a reporter's later reports.
    reference: Mapped[str | None] = mapped_column(String(12), unique=True)

    case: Mapped[Case | None] = relationship(back_populates="reports")


class CaseEvent(Base):
    """One line of a case's timeline; rows are only ever added."""

    __tablename__ = "case_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[CaseEventKind] = mapped_column(str_enum(CaseEventKind, 32))
    actor_account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    #: "system", "reporter", "scheduler" when no account acted.
    actor: Mapped[str] = mapped_column(String(32), default="system")
    #: JSON details; encrypted because notes and reasons are free text.
    detail: Mapped[str | None] = mapped_column(Encrypted())

    case: Mapped[Case] = relationship(back_populates="events")


class RoutingRule(Base):
    """(category, victim, region) to an agency; empty category or victim matches any."""

    __tablename__ = "routing_rule"
    __table_args__ = (UniqueConstraint("category", "victim", "region_code", "agency_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[Category | None] = mapped_column(str_enum(Category, 32))
    victim: Mapped[Victim | None] = mapped_column(str_enum(Victim, 32))
    #: Only for this priority (e.g. police for darurat); empty matches any.
    priority: Mapped[Priority | None] = mapped_column(str_enum(Priority, 16))
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    role: Mapped[AgencyRole] = mapped_column(str_enum(AgencyRole))
