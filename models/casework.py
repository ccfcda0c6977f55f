"""Case work that follows through: service referrals, follow-up tasks, notices, clusters."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.crypto import Encrypted
from models.base import Base, str_enum, utcnow
from models.case import Case
from models.vocab import Category


class ReferralService(enum.StrEnum):
    """What one agency asks another for, beside the primary hand-off."""

    HEALTH = "kesehatan"
    LEGAL_AID = "bantuan_hukum"
    SHELTER = "rumah_aman"
    SOCIAL_REHABILITATION = "rehabilitasi_sosial"
    REPATRIATION = "pemulangan"  # TPPO: bringing a migrant worker home


class ReferralStatus(enum.StrEnum):
    REQUESTED = "diminta"
    ACCEPTED = "diterima"
    DECLINED = "ditolak"
    COMPLETED = "selesai"  # the receiving agency recorded the outcome


class ServiceReferral(Base):
    """One agency on a case asks another for a service; the receiver answers, then reports."""

    __tablename__ = "service_referral"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    from_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    #: While the referral is asked or accepted, this agency's staff may read the case.
    to_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    service: Mapped[ReferralService] = mapped_column(str_enum(ReferralService))
    status: Mapped[ReferralStatus] = mapped_column(
        str_enum(ReferralStatus), default=ReferralStatus.REQUESTED
    )
    requested_by_account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Free text (why it is asked, why declined, what came of it): encrypted.
    request_note: Mapped[str | None] = mapped_column(Encrypted())
    answered_by_account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    answered_at: Mapped[datetime | None]
    answer_reason: Mapped[str | None] = mapped_column(Encrypted())
    outcome: Mapped[str | None] = mapped_column(Encrypted())
    outcome_at: Mapped[datetime | None]


class FollowUpTask(Base):
    """Something an agency must do on a case by a date: a home visit, checking on the child."""

    __tablename__ = "follow_up_task"
    __table_args__ = (
        #: The reminder job reads only open tasks not yet reminded whose due time has come.
        Index("ix_follow_up_task_due", "reminded_at", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    #: What to do, as staff wrote it (may name people): encrypted, never sent by SMS.
    title: Mapped[str] = mapped_column(Encrypted())
    due_at: Mapped[datetime]
    created_by_account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reminded_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None]
    done_by_account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))


class DeadlineNotice(Base):
    """A deadline message that went out about a case; the unique key makes each go once."""

    __tablename__ = "deadline_notice"
    __table_args__ = (UniqueConstraint("case_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    #: e.g. "police_48h", "police_72h".
    kind: Mapped[str] = mapped_column(String(32))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)


class ClusterAlert(Base):
    """Coordinators were told of several reports of one category in one district."""

    __tablename__ = "cluster_alert"
    __table_args__ = (Index("ix_cluster_alert_area", "category", "district_code", "alerted_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[Category] = mapped_column(str_enum(Category, 32))
    district_code: Mapped[str] = mapped_column(String(13))
    alerted_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The case references that made the cluster (references only, never texts).
    references: Mapped[list[str]] = mapped_column(JSON, default=list)


#: Scheduled reads of cases by their dates touch only what is due.
Index("ix_cases_police_report_due_at", Case.police_report_due_at)
Index("ix_cases_opened_at", Case.opened_at)
