"""SQLAlchemy models, one aggregate per module; importing this package registers them all."""

from models.agency import Account, Agency, AgencyKind, Role
from models.audit import AuditEvent
from models.base import Base
from models.case import (
    AgeGroup,
    AgencyRole,
    Case,
    CaseAgency,
    CaseEvent,
    CaseStatus,
    ClosureReason,
    IncidentPlace,
    Relationship,
    Report,
    RoutingRule,
    Service,
    Sex,
    ViolenceForm,
)
from models.casework import (
    ClusterAlert,
    DeadlineNotice,
    FollowUpTask,
    ReferralService,
    ReferralStatus,
    ServiceReferral,
)
from models.dialog import Dialog, DialogStatus
from models.gateway import GatewayHeartbeat, GatewayReceipt
from models.login import LoginAttempt, LoginCode
from models.media import MediaFile, MediaStatus, MmsArrival, MmsHalf
from models.message import InboundMessage, InboundStatus, InboundTombstone
from models.outbox import Outbox, OutboxStatus, Purpose
from models.region import Region
from models.reporter import Reporter
from models.roster import AlertChain, RosterOverride, RosterRole, RosterSlot
from models.schedule import JobRun, Lease
from models.token import ApiToken, ApiUsage
from models.vocab import CaseEventKind, Category, Channel, Priority, RegionLevel, Victim

__all__ = [
    "Account",
    "AgeGroup",
    "Agency",
    "AgencyKind",
    "AgencyRole",
    "AlertChain",
    "ApiToken",
    "ApiUsage",
    "AuditEvent",
    "Base",
    "Case",
    "CaseAgency",
    "CaseEvent",
    "CaseEventKind",
    "CaseStatus",
    "Category",
    "Channel",
    "ClosureReason",
    "ClusterAlert",
    "DeadlineNotice",
    "Dialog",
    "DialogStatus",
    "FollowUpTask",
    "GatewayHeartbeat",
    "GatewayReceipt",
    "InboundMessage",
    "InboundStatus",
    "InboundTombstone",
    "IncidentPlace",
    "JobRun",
    "Lease",
    "LoginAttempt",
    "LoginCode",
    "MediaFile",
    "MediaStatus",
    "MmsArrival",
    "MmsHalf",
    "Outbox",
    "OutboxStatus",
    "Priority",
    "Purpose",
    "ReferralService",
    "ReferralStatus",
    "Region",
    "RegionLevel",
    "Relationship",
    "Report",
    "Reporter",
    "Role",
    "RosterOverride",
    "RosterRole",
    "RosterSlot",
    "RoutingRule",
    "Service",
    "ServiceReferral",
    "Sex",
    "Victim",
    "ViolenceForm",
]
