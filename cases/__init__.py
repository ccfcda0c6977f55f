"""Case work: file reports into cases, route them, move them through their workflow.

Services flush and never commit; the caller owns the transaction.
"""

from cases.commands import COMMAND_KINDS, handle_command
from cases.operations import (
    FiledReport,
    NotOnCase,
    ReferralRefused,
    ReportIn,
    acknowledge,
    add_note,
    agency_on_case,
    change_status,
    file_report,
    find_case,
    is_on_case,
    record_read,
    refer,
    relocate,
    split_report,
)
from cases.routing import RoutingFileError, route, seed_default_rules
from cases.timeline import TimelineIsAppendOnly
from cases.workflow import AWAITING_ACK, CLOSED, ReasonRequired, TransitionNotAllowed
from core.deployment import Deployment

__all__ = [
    "AWAITING_ACK",
    "CLOSED",
    "COMMAND_KINDS",
    "Deployment",
    "FiledReport",
    "NotOnCase",
    "ReasonRequired",
    "ReferralRefused",
    "ReportIn",
    "RoutingFileError",
    "TimelineIsAppendOnly",
    "TransitionNotAllowed",
    "acknowledge",
    "add_note",
    "agency_on_case",
    "change_status",
    "file_report",
    "find_case",
    "handle_command",
    "is_on_case",
    "record_read",
    "refer",
    "relocate",
    "route",
    "seed_default_rules",
    "split_report",
]
