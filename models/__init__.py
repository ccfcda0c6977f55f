"""SQLAlchemy models, one aggregate per module; importing this package registers them all."""

from models.agency import Account, Agency, AgencyKind, Role
from models.base import Base
from models.case import (
    AgencyRole,
    Case,
    CaseAgency,
    CaseEvent,
    CaseStatus,
    ClosureReason,
    Report,
    RoutingRule,
    Service,
)
from models.dialog import Dialog, DialogStatus
from models.gateway import GatewayHeartbeat, GatewayReceipt
from models.media import MediaFile, MediaStatus
from models.message import InboundMessage, InboundStatus
from models.outbox import Outbox, OutboxStatus, Purpose
from models.region import Region, RegionLevel
from models.reporter import Reporter
from models.roster import AlertChain, RosterOverride, RosterRole, RosterSlot
from models.schedule import JobRun, Lease
from models.token import ApiToken

__all__ = [
    "Account",
    "Agency",
    "AgencyKind",
    "AgencyRole",
    "AlertChain",
    "ApiToken",
    "Base",
    "Case",
    "CaseAgency",
    "CaseEvent",
    "CaseStatus",
    "ClosureReason",
    "Dialog",
    "DialogStatus",
    "GatewayHeartbeat",
    "GatewayReceipt",
    "InboundMessage",
    "InboundStatus",
    "JobRun",
    "Lease",
    "MediaFile",
    "MediaStatus",
    "Outbox",
    "OutboxStatus",
    "Purpose",
    "Region",
    "RegionLevel",
    "Report",
    "Reporter",
    "Role",
    "RosterOverride",
    "RosterRole",
    "RosterSlot",
    "RoutingRule",
    "Service",
]
