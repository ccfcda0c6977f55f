"""Bodies of the case-work routes: police report, service referrals, tasks, the reporter."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.schemas import AGENCY_CODE, Text, _plausible
from models import ReferralService, ReferralStatus

SERVICES = tuple(s.value for s in ReferralService)


class ReferralIn(Schema):
    agency = Text(required=True, validate=AGENCY_CODE, metadata={"description": "Asked agency."})
    service = Text(required=True, validate=validate.OneOf(SERVICES))
    note = Text(load_default=None, validate=validate.Length(max=1000))


class ReferralAnswerIn(Schema):
    reason = Text(load_default=None, validate=validate.Length(max=1000))


class ReferralDeclineIn(Schema):
    reason = Text(required=True, validate=validate.Length(min=1, max=1000))


class ReferralOutcomeIn(Schema):
    outcome = Text(required=True, validate=validate.Length(min=1, max=2000))


class ReferralOut(Schema):
    id = fields.Int(required=True)
    service = fields.Str(required=True, validate=validate.OneOf(SERVICES))
    status = fields.Str(required=True, validate=validate.OneOf([s.value for s in ReferralStatus]))
    from_agency = fields.Str(required=True)
    to_agency = fields.Str(required=True)
    requested_at = fields.AwareDateTime(required=True)
    answered_at = fields.AwareDateTime(allow_none=True)
    outcome_at = fields.AwareDateTime(allow_none=True)
    note = fields.Str(allow_none=True)
    answer_reason = fields.Str(allow_none=True)
    outcome = fields.Str(allow_none=True)


class ReferralListOut(Schema):
    items = fields.List(fields.Nested(ReferralOut), required=True)


class TaskIn(Schema):
    title = Text(required=True, validate=validate.Length(min=1, max=500))
    due_at = fields.AwareDateTime(required=True, validate=_plausible)
    agency = Text(
        load_default=None,
        validate=AGENCY_CODE,
        metadata={"description": "An agency on the case; the caller's own by default."},
    )


class TaskOut(Schema):
    id = fields.Int(required=True)
    agency = fields.Str(required=True)
    title = fields.Str(allow_none=True)
    due_at = fields.AwareDateTime(required=True)
    created_at = fields.AwareDateTime(required=True)
    reminded_at = fields.AwareDateTime(allow_none=True)
    done_at = fields.AwareDateTime(allow_none=True)


class TaskListOut(Schema):
    items = fields.List(fields.Nested(TaskOut), required=True)


class MessageIn(Schema):
    text = Text(required=True, validate=validate.Length(min=1, max=300))


class MessageOut(Schema):
    status = fields.Str(required=True, metadata={"description": "queued"})


class ContactOut(Schema):
    phone = fields.Str(required=True)
