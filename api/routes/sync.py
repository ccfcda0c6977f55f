"""Routes of the facilitator app: send reports made offline, fetch what became of them."""

from __future__ import annotations

from typing import Any

from flask import current_app

from alerts.escalation import merged_alerts
from api import limits, scope
from api.errors import ApiBlueprint
from api.schemas import ChangesOut, ChangesQuery, SyncBatchIn, SyncBatchOut, VillagesOut
from api.services import sync as service
from cases.audit import record_listing
from core import clock, deployment
from core.db import db
from intake import gazetteer
from models import Role

bp = ApiBlueprint("sync", __name__, url_prefix="/api/v1/sync", description="Facilitator sync.")
bp.before_request(scope.authenticate_request)
bp.before_request(limits.charge_request)


@bp.post("/reports")
@bp.arguments(SyncBatchIn)
@bp.response(200, SyncBatchOut)
@bp.errors(400, 403, 413, 415)
def sync_reports(batch: dict[str, Any]) -> dict[str, Any]:
    """File a batch of reports made offline; each item is answered on its own."""
    who = scope.caller()
    scope.require_role(who, Role.FACILITATOR)
    now, here = clock.now(), deployment.current()
    places = gazetteer.current()
    budget = limits.BatchBudget.for_batch(db.session, who.account, now)
    # One alert per officer for everything this batch opens, not one per case.
    with merged_alerts(db.session, now):
        results = [
            service.sync_item(db.session, who.account, i, raw, now, here, places, budget)
            for i, raw in enumerate(batch["items"])
        ]
    db.session.commit()
    current_app.logger.info(
        "sync account=%s items=%s created=%s",
        who.account.id,
        len(results),
        sum(r.outcome == "created" for r in results),
    )
    return {"results": results}


@bp.get("/changes")
@bp.arguments(ChangesQuery, location="query")
@bp.response(200, ChangesOut)
@bp.errors(403)
def sync_changes(query: dict[str, Any]) -> dict[str, Any]:
    """Say what changed on the caller's reports since the cursor."""
    who = scope.caller()
    scope.require_role(who, Role.FACILITATOR)
    position = service.decode_cursor(query["cursor"])
    changes, position, more = service.changes_since(
        db.session, who.account, position, query["limit"], clock.now()
    )
    references = [change["reference"] for change in changes]
    record_listing(db.session, who.account, "sync.changes", clock.now(), references)
    db.session.commit()
    return {"changes": changes, "cursor": service.encode_cursor(position), "has_more": more}


@bp.get("/villages")
@bp.response(200, VillagesOut)
@bp.errors(403)
def sync_villages() -> dict[str, Any]:
    """List the villages of the facilitator's area, for the app's offline picker."""
    who = scope.caller()
    scope.require_role(who, Role.FACILITATOR)
    return service.villages_of(db.session, who.account.region_code)
