"""Every body and query of the API, in and out; the OpenAPI document is made from these."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from datetime import UTC, date, datetime
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from cases.routing import CATEGORIES, PRIORITIES, VICTIMS
from models import AgencyRole, CaseStatus, ClosureReason, RosterRole, Service


def exactly(pattern: str, error: str) -> validate.Regexp:
    """Match the whole value; `(?!\n)` stops Python's `$` accepting a trailing newline."""
    return validate.Regexp(f"^(?:{pattern})$(?!\n)", error=error)


#: A Kemendagri code: province, regency, district or village (72, 72.10, 72.10.01, 72.10.01.2007).
REGION_CODE = exactly(r"[0-9]{2}(\.[0-9]{2}(\.[0-9]{2}(\.[0-9]{4})?)?)?", "Not a region code.")
MAX_BATCH = 100
STATUSES = tuple(s.value for s in CaseStatus)
CLOSURE_REASONS = tuple(r.value for r in ClosureReason)
SERVICES = tuple(s.value for s in Service)
#: Dates outside these years are typing mistakes, and would overflow time zone arithmetic.
DAYS = validate.Range(min=date(2000, 1, 1), max=date(2100, 12, 31))


class Text(fields.Str):
    """A string that can be stored: no NUL (PostgreSQL refuses it), no lone surrogates."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise ValidationError("Not valid text.") from None
        if "\x00" in text:
            raise ValidationError("Not valid text.")
        return text


#: An agency's code as routing files and the CLI write it, e.g. UPTD-PPA-72.
AGENCY_CODE = exactly(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}", "Not an agency code.")


def _plausible(moment: datetime) -> None:
    """Refuse moments no phone clock gives (a reset phone says 1970, so that is allowed)."""
    if not 1970 <= moment.year <= 2100:
        raise ValidationError("Not a plausible time.")
    moment.astimezone(UTC)


class ErrorBody(Schema):
    code = fields.Str(required=True, metadata={"description": "Machine-readable, e.g. not_found."})
    message = fields.Str(required=True)
    fields_ = fields.Dict(
        data_key="fields",
        keys=fields.Str(),
        values=fields.List(fields.Str()),
        metadata={"description": "Per field (dotted path, e.g. items.3.captured_at): reasons."},
    )


class ErrorOut(Schema):
    error = fields.Nested(ErrorBody, required=True)


# --- sync -----------------------------------------------------------------------------------


class SyncItemIn(Schema):
    """One report recorded on a phone: structured fields, or free text to triage, or both."""

    client_uuid = fields.UUID(required=True, metadata={"description": "Made on the phone."})
    captured_at = fields.AwareDateTime(
        required=True,
        validate=_plausible,
        metadata={"description": "The phone's time of capture, with its offset."},
    )
    text = Text(load_default=None, validate=validate.Length(min=1, max=4000))
    category = Text(load_default=None, validate=validate.OneOf(CATEGORIES))
    victim = Text(load_default=None, validate=validate.OneOf(VICTIMS))
    priority = Text(load_default=None, validate=validate.OneOf(PRIORITIES))
    region_code = Text(
        load_default=None,
        validate=REGION_CODE,
        metadata={"description": "The village's code (its district's when not known)."},
    )
    is_anonymous = fields.Bool(load_default=False)
    may_contact = fields.Bool(load_default=None)

    @validates_schema
    def _text_or_fields(self, data: dict[str, Any], **_: Any) -> None:
        given = [data.get(k) for k in ("category", "victim", "priority")]
        if not data.get("text") and None in given:
            raise ValidationError("Give category, victim and priority, or text to triage.")


class ItemField(fields.Nested):
    """A batch item: documented as SyncItemIn, checked one by one so one bad item stays alone."""

    def _deserialize(
        self,
        value: Any,
        attr: str | None,
        data: Mapping[str, Any] | None,
        partial: bool | Sequence[str] | AbstractSet[str] | None = None,
        **kwargs: Any,
    ) -> Any:
        return value


class SyncBatchIn(Schema):
    items = fields.List(
        ItemField(SyncItemIn),
        required=True,
        validate=validate.Length(min=1, max=MAX_BATCH),
        metadata={"description": f"At most {MAX_BATCH} reports."},
    )


class SyncResultOut(Schema):
    index = fields.Int(required=True)
    client_uuid = fields.Str(allow_none=True, required=True)
    outcome = fields.Str(
        required=True,
        validate=validate.OneOf(("created", "already_received", "rejected", "rate_limited")),
        metadata={"description": "`rate_limited`: not stored; send it again after `retry_after`."},
    )
    reference = fields.Str(allow_none=True, metadata={"description": "The case's reference."})
    status = fields.Str(allow_none=True, metadata={"description": "The case's status."})
    errors = fields.Dict(keys=fields.Str(), values=fields.List(fields.Str()), allow_none=True)
    retry_after = fields.Int(
        allow_none=True, metadata={"description": "Seconds to wait before sending it again."}
    )


class SyncBatchOut(Schema):
    results = fields.List(fields.Nested(SyncResultOut), required=True)


class ChangesQuery(Schema):
    cursor = Text(load_default=None, validate=validate.Length(max=200))
    limit = fields.Int(load_default=100, validate=validate.Range(min=1, max=500))


class CaseChangeOut(Schema):
    reference = fields.Str(required=True)
    status = fields.Str(required=True)
    agencies = fields.List(fields.Str(), required=True, metadata={"description": "Names."})
    updated_at = fields.AwareDateTime(required=True)
    client_uuids = fields.List(fields.Str(), required=True)


class ChangesOut(Schema):
    changes = fields.List(fields.Nested(CaseChangeOut), required=True)
    cursor = fields.Str(required=True, metadata={"description": "Send it back next time."})
    has_more = fields.Bool(required=True)


class VillageOut(Schema):
    code = fields.Str(required=True)
    name = fields.Str(required=True)
    district = fields.Str(allow_none=True, required=True, metadata={"description": "Its name."})


class AreaOut(Schema):
    code = fields.Str(required=True)
    name = fields.Str(required=True)


class VillagesOut(Schema):
    region = fields.Nested(
        AreaOut,
        allow_none=True,
        required=True,
        metadata={"description": "The facilitator's area; null when the account has none."},
    )
    villages = fields.List(fields.Nested(VillageOut), required=True)


# --- cases ----------------------------------------------------------------------------------


class CaseListQuery(Schema):
    status = Text(validate=validate.OneOf(STATUSES))
    priority = Text(validate=validate.OneOf(PRIORITIES))
    category = Text(validate=validate.OneOf(CATEGORIES))
    region = Text(validate=REGION_CODE, metadata={"description": "A code and its parts."})
    opened_from = fields.Date(validate=DAYS, metadata={"description": "First local day."})
    opened_to = fields.Date(validate=DAYS, metadata={"description": "Last local day, included."})
    page = fields.Int(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Int(load_default=25, validate=validate.Range(min=1, max=100))


class AgencyOnCaseOut(Schema):
    code = fields.Str(required=True)
    name = fields.Str(required=True)
    role = fields.Str(required=True, validate=validate.OneOf([r.value for r in AgencyRole]))
    is_active = fields.Bool(required=True)


class CaseOut(Schema):
    reference = fields.Str(required=True)
    status = fields.Str(required=True, validate=validate.OneOf(STATUSES))
    category = fields.Str(required=True)
    victim = fields.Str(required=True)
    priority = fields.Str(required=True)
    region_code = fields.Str(required=True)
    region_name = fields.Str(allow_none=True)
    opened_at = fields.AwareDateTime(required=True)
    ack_due_at = fields.AwareDateTime(required=True)
    acknowledged_at = fields.AwareDateTime(allow_none=True)
    closed_at = fields.AwareDateTime(allow_none=True)
    updated_at = fields.AwareDateTime(required=True)
    agencies = fields.List(fields.Nested(AgencyOnCaseOut), required=True)
    police_report_due_at = fields.AwareDateTime(
        allow_none=True, metadata={"description": "Sexual violence: UU TPKS art. 41, 3x24 hours."}
    )
    police_reported_at = fields.AwareDateTime(allow_none=True)
    closure_reason = fields.Str(allow_none=True, validate=validate.OneOf(CLOSURE_REASONS))
    services_given = fields.List(fields.Str(validate=validate.OneOf(SERVICES)))


class CaseListOut(Schema):
    items = fields.List(fields.Nested(CaseOut), required=True)
    page = fields.Int(required=True)
    per_page = fields.Int(required=True)
    total = fields.Int(required=True)
    next_page = fields.Int(allow_none=True, required=True)


class ReportOut(Schema):
    source = fields.Str(required=True)
    category = fields.Str(required=True)
    victim = fields.Str(required=True)
    priority = fields.Str(required=True)
    region_code = fields.Str(allow_none=True)
    is_anonymous = fields.Bool(required=True)
    captured_at = fields.AwareDateTime(allow_none=True)
    received_at = fields.AwareDateTime(required=True)
    text = fields.Str(
        allow_none=True, metadata={"description": "Only for staff on the case and coordinators."}
    )


class EventOut(Schema):
    at = fields.AwareDateTime(required=True)
    kind = fields.Str(required=True)
    actor = fields.Str(required=True)
    detail = fields.Dict(
        allow_none=True, metadata={"description": "Only for staff on the case and coordinators."}
    )


class MediaOut(Schema):
    id = fields.Int(required=True)
    content_type = fields.Str(required=True)
    status = fields.Str(
        required=True, validate=validate.OneOf(["pending", "stored", "refused", "failed"])
    )
    size = fields.Int(allow_none=True)
    received_at = fields.AwareDateTime(required=True)


class CaseDetailOut(CaseOut):
    reports = fields.List(fields.Nested(ReportOut), required=True)
    timeline = fields.List(fields.Nested(EventOut), required=True)
    media = fields.List(
        fields.Nested(MediaOut),
        required=True,
        metadata={
            "description": "Photos, voice notes and documents people sent; only for "
            "staff on the case and coordinators."
        },
    )


class StatusIn(Schema):
    status = Text(required=True, validate=validate.OneOf(STATUSES))
    reason = Text(load_default=None, validate=validate.Length(max=1000))
    closure_reason = Text(
        load_default=None,
        validate=validate.OneOf(CLOSURE_REASONS),
        metadata={"description": "Required to close (selesai)."},
    )
    services_given = fields.List(
        Text(validate=validate.OneOf(SERVICES)),
        load_default=None,
        validate=validate.Length(max=len(SERVICES)),
        metadata={"description": "SIMFONI-PPA services given, recorded on closing."},
    )


class NoteIn(Schema):
    text = Text(required=True, validate=validate.Length(min=1, max=4000))


class ReferIn(Schema):
    agency = Text(required=True, validate=AGENCY_CODE)
    reason = Text(load_default=None, validate=validate.Length(max=1000))


# --- coordination ---------------------------------------------------------------------------

_ANY = ("*", *CATEGORIES)


class RuleIn(Schema):
    category = Text(load_default="*", validate=validate.OneOf(_ANY))
    victim = Text(load_default="*", validate=validate.OneOf(("*", *VICTIMS)))
    priority = Text(load_default="*", validate=validate.OneOf(("*", *PRIORITIES)))
    region = Text(required=True, validate=REGION_CODE)
    agency = Text(required=True, validate=AGENCY_CODE)
    role = Text(required=True, validate=validate.OneOf([r.value for r in AgencyRole]))
    #: For the reader, as in a routing file; ignored when the table is replaced.
    region_name = Text(load_default=None, validate=validate.Length(max=200))
    agency_name = Text(load_default=None, validate=validate.Length(max=200))


class RuleOut(RuleIn):
    pass


class RoutingIn(Schema):
    rules = fields.List(fields.Nested(RuleIn), required=True, validate=validate.Length(max=5000))


class RoutingOut(Schema):
    rules = fields.List(fields.Nested(RuleOut), required=True)


class RoutingChangeOut(Schema):
    removed = fields.Int(required=True)
    added = fields.Int(required=True)


_CLOCK = exactly(r"([01][0-9]|2[0-3]):[0-5][0-9]|24:00", "Use HH:MM.")
_ROSTER_ROLES = [r.value for r in RosterRole]


class RosterSlotIn(Schema):
    weekdays = Text(
        load_default="mon-sun",
        validate=validate.Length(min=3, max=40),
        metadata={"description": "e.g. mon-fri, sat,sun, all"},
    )
    starts = Text(load_default="00:00", validate=_CLOCK)
    ends = Text(load_default="24:00", validate=_CLOCK)
    account_id = fields.Int(required=True, validate=validate.Range(min=1, max=2**31 - 1))
    role = Text(load_default="primary", validate=validate.OneOf(_ROSTER_ROLES))


class RosterSlotOut(Schema):
    weekday = fields.Str(required=True)
    starts = fields.Str(required=True)
    ends = fields.Str(required=True)
    account_id = fields.Int(required=True)
    role = fields.Str(required=True)


class RosterOverrideOut(Schema):
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    account_id = fields.Int(required=True)
    role = fields.Str(required=True)


class OnCallOut(Schema):
    primary = fields.Int(allow_none=True, required=True)
    backup = fields.Int(allow_none=True, required=True)
    supervisor = fields.Int(allow_none=True, required=True)


class RosterOut(Schema):
    agency = fields.Str(required=True)
    slots = fields.List(fields.Nested(RosterSlotOut), required=True)
    overrides = fields.List(fields.Nested(RosterOverrideOut), required=True)
    on_call = fields.Nested(OnCallOut, required=True)


class FiguresQuery(Schema):
    from_ = fields.Date(required=True, data_key="from", validate=DAYS)
    to = fields.Date(required=True, validate=DAYS, metadata={"description": "Last day, included."})

    @validates_schema
    def _range(self, data: dict[str, Any], **_: Any) -> None:
        days = (data["to"] - data["from_"]).days
        if not 0 <= days < 366:
            raise ValidationError("Give from <= to, at most a year apart.", "to")


class RegencyCount(Schema):
    code = fields.Str(required=True)
    name = fields.Str(allow_none=True, required=True)
    cases = fields.Int(required=True)


class WeekOut(Schema):
    start = fields.Str(required=True)
    end = fields.Str(required=True)
    cases = fields.Int(required=True)
    by_category = fields.Dict(keys=fields.Str(), values=fields.Int(), required=True)
    by_priority = fields.Dict(keys=fields.Str(), values=fields.Int(), required=True)
    by_regency = fields.List(fields.Nested(RegencyCount), required=True)
    acknowledged = fields.Int(required=True)
    unacknowledged = fields.Int(required=True)
    ack_minutes_median = fields.Float(allow_none=True, required=True)
    ack_minutes_worst = fields.Float(allow_none=True, required=True)
    deadlines_missed = fields.Int(required=True)


class FiguresOut(Schema):
    weeks = fields.List(fields.Nested(WeekOut), required=True)
