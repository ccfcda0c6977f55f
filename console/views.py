"""The console's URL map for everyone signed in: sign-in, the case queue, a case, case work."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from sqlalchemy import and_, case, false, or_, select
from werkzeug.exceptions import HTTPException

from api import downloads, scope
from api.services.present import cases_out
from cases import (
    AWAITING_ACK,
    CLOSED,
    Deployment,
    NotOnCase,
    ReasonRequired,
    TransitionNotAllowed,
    acknowledge,
    add_note,
    change_status,
    is_on_case,
    record_read,
    refer,
)
from cases import timeline as timelines
from cases.media import MediaNotFound, MediaUnreadable, media_on_case, open_media
from cases.routing import CATEGORIES, PRIORITIES, VICTIMS
from cases.workflow import TRANSITIONS
from console import auth, codes, i18n, passwords, work
from core import clock
from core import deployment as deployments
from core.bounds import MAX_DB_INT
from core.db import db
from core.errors import ApiError
from models import (
    Account,
    Agency,
    Case,
    CaseEventKind,
    CaseStatus,
    ClosureReason,
    InboundMessage,
    Priority,
    Report,
    Role,
    Service,
)

bp = Blueprint(
    "console", __name__, url_prefix="/console", template_folder="templates", static_folder="static"
)
log = logging.getLogger(__name__)
#: Pages anyone may open without signing in.
PUBLIC = frozenset({"console.login", "console.login_code", "console.static"})
QUEUE_LIMIT = 100


def zone() -> ZoneInfo:
    return deployments.current().tz


def deployment() -> Deployment:
    return deployments.current()


@bp.before_request
def _session() -> ResponseReturnValue | None:
    """Check CSRF on every form, find who is signed in, send everyone else to sign in."""
    g.lang = i18n.language()
    if request.method == "POST" and not auth.csrf_ok():
        abort(400, description="csrf")
    g.caller = auth.current(db.session, clock.now())
    if g.caller is None and request.endpoint not in PUBLIC:
        return redirect(url_for("console.login", next=request.full_path))
    return None


@bp.after_request
def _headers(response: Any) -> Any:
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'",
    )
    return response


@bp.app_template_global("_")
def _translate(key: str, **params: object) -> str:
    return i18n.t(key, **params)


@bp.app_template_global("csrf_token")
def _csrf() -> str:
    return auth.csrf_token()


@bp.app_template_global("label")
def _label(group: str, value: object) -> str:
    return i18n.label(group, value)


@bp.app_template_filter("local")
def _local(at: datetime | date | None, fmt: str = "%d-%m-%Y %H:%M") -> str:
    if at is None:
        return "–"
    if isinstance(at, datetime):
        return at.astimezone(zone()).strftime(fmt)
    return at.strftime("%d-%m-%Y")


@bp.app_template_filter("duration")
def _duration(minutes: float | None) -> str:
    """Say a number of minutes as people say it: 45 mnt, 7 jam 55 mnt."""
    if minutes is None:
        return "–"
    whole = int(minutes)
    if whole < 120:
        return i18n.t("console.minutes", n=whole)
    return i18n.t("console.hours_minutes", h=whole // 60, m=whole % 60)


@bp.app_template_filter("countdown")
def _countdown(due: datetime | None) -> str:
    """Say how long until a deadline, or how long past it, in words."""
    if due is None:
        return "–"
    left = (due - clock.now()).total_seconds()
    minutes = int(abs(left) // 60)
    if minutes < 120:
        span = i18n.t("console.minutes", n=minutes)
    elif minutes < 48 * 60:
        span = i18n.t("console.hours", n=minutes // 60)
    else:
        span = i18n.t("console.days", n=minutes // 1440)
    return i18n.t("console.due_in" if left >= 0 else "console.overdue_by", span=span)


def _page_error(code: int, key: str) -> ResponseReturnValue:
    return render_template("console/error.html", code=code, message=i18n.t(key)), code


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> ResponseReturnValue:
    code = exc.code or 500
    if exc.description == "csrf":
        return _page_error(400, "console.error_csrf")
    return _page_error(
        code, f"console.error_{code}" if code in (400, 403, 404, 429) else "console.error_other"
    )


@bp.errorhandler(Exception)
def _unexpected(exc: Exception) -> ResponseReturnValue:
    # The type only, as core.errors does: a message may carry personal data.
    log.error("console: unhandled error type=%s", type(exc).__name__)
    db.session.rollback()
    return _page_error(500, "console.error_other")


@bp.errorhandler(ApiError)
def _scope_error(exc: ApiError) -> ResponseReturnValue:
    return _page_error(exc.status, f"console.error_{exc.status}")


def require(*roles: Role) -> None:
    """Answer 403 unless the signed-in account has one of these roles."""
    if g.caller.role not in roles:
        abort(403)


def _safe_next(target: str | None) -> str:
    """Only a path inside the console: never send someone off-site after sign-in."""
    if target and target.startswith("/console/") and not urlsplit(target).netloc:
        return target
    return url_for("console.queue")


# --- sign in and out -------------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Show the sign-in form; sign in with an account (or phone number) and password."""
    if request.method == "GET":
        auth.csrf_token()
        return render_template("console/login.html", next=request.args.get("next", ""))
    typed = request.form.get("account", "")
    password = request.form.get("password", "")
    now, address = clock.now(), auth.client_address()
    if auth.is_limited(db.session, typed, address, now):
        return _login_refused("console.login_limited", 429)
    account = auth.find_account(db.session, typed)
    if account is None:
        passwords.burn_time(password)
    ok = account is not None and passwords.verify_password(account.password_hash, password)
    auth.record_attempt(db.session, typed, address, now, ok and auth.may_sign_in(account))
    db.session.commit()
    if not ok:
        return _login_refused("console.login_wrong", 401)
    if not auth.may_sign_in(account):
        return _login_refused("console.login_inactive", 403)
    auth.start(account, now, g.lang)
    return redirect(_safe_next(request.form.get("next")))


def _login_refused(key: str, code: int) -> ResponseReturnValue:
    auth.csrf_token()
    page = render_template(
        "console/login.html", error=i18n.t(key), next=request.form.get("next", "")
    )
    return page, code


@bp.post("/login/code")
def login_code() -> ResponseReturnValue:
    """Sign in with a one-time code by SMS: send one, then type it in."""
    typed = request.form.get("account", "")
    now, address = clock.now(), auth.client_address()
    if auth.is_limited(db.session, typed, address, now):
        return _login_refused("console.login_limited", 429)
    account = auth.find_account(db.session, typed)
    if request.form.get("action") == "send":
        if account is not None:
            codes.send(db.session, account, now)
        db.session.commit()
        # The same answer whether or not the account exists or a code went out.
        sent = i18n.t("console.code_sent")
        form_next = request.form.get("next", "")
        return render_template("console/login.html", code_for=typed, sent=sent, next=form_next)
    ok = codes.redeem(db.session, account, request.form.get("code", ""), now)
    auth.record_attempt(db.session, typed, address, now, ok and auth.may_sign_in(account))
    db.session.commit()
    if not ok or not auth.may_sign_in(account):
        return _login_refused("console.code_wrong", 401)
    auth.start(account, now, g.lang)
    return redirect(_safe_next(request.form.get("next")))


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    auth.end()
    flash(i18n.t("console.logged_out"))
    return redirect(url_for("console.login"))


# --- the queue -----------------------------------------------------------------------------


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _queue_filters() -> dict[str, Any]:
    args = request.args
    return {
        "status": args.get("status", ""),
        "priority": args.get("priority") if args.get("priority") in PRIORITIES else None,
        "category": args.get("category") if args.get("category") in CATEGORIES else None,
        "region": (args.get("region") or "").strip() or None,
        "opened_from": _day(args.get("opened_from")),
        "opened_to": _day(args.get("opened_to")),
    }


_CODE = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")


def _region_codes(typed: str) -> list[str]:
    """A region filter as codes: a code as typed, or the places a name may be."""
    if _CODE.match(typed):
        return [typed]
    from intake.gazetteer import current

    gazetteer = current()
    match = gazetteer.resolve(typed) if gazetteer is not None else None
    if match is None:
        return []
    return [match.place.code] if match.place else match.candidate_codes


def queue_query(filters: dict[str, Any], now: datetime) -> Any:
    """The caller's cases, overdue first, then the most urgent, then the nearest deadline."""
    query = select(Case).where(scope.visible(g.caller))
    status = filters["status"]
    if status in {s.value for s in CaseStatus}:
        query = query.where(Case.status == status)
    elif status != "all":
        query = query.where(Case.status.not_in(CLOSED))
    for name in ("priority", "category"):
        if filters[name]:
            query = query.where(getattr(Case, name) == filters[name])
    if filters["region"]:
        codes = _region_codes(filters["region"])
        query = query.where(or_(false(), *(scope.inside(Case.region_code, c) for c in codes)))
    if filters["opened_from"]:
        start = datetime.combine(filters["opened_from"], time(0), tzinfo=zone())
        query = query.where(Case.opened_at >= start)
    if filters["opened_to"]:
        end = datetime.combine(filters["opened_to"] + timedelta(days=1), time(0), tzinfo=zone())
        query = query.where(Case.opened_at < end)
    overdue = and_(Case.status.in_(AWAITING_ACK), Case.ack_due_at < now)
    urgency = case({Priority.DARURAT: 0, Priority.TINGGI: 1}, value=Case.priority, else_=2)
    return query.order_by(case((overdue, 0), else_=1), urgency, Case.ack_due_at, Case.id)


@bp.get("/")
def queue() -> ResponseReturnValue:
    """The case queue of the caller's agency (every case, for coordinators)."""
    filters = _queue_filters()
    now = clock.now()
    cases = db.session.scalars(queue_query(filters, now).limit(QUEUE_LIMIT)).all()
    rows = cases_out(db.session, list(cases))
    for row, c in zip(rows, cases, strict=True):
        row["overdue"] = c.status in AWAITING_ACK and c.ack_due_at < now
        row["awaiting"] = c.status in AWAITING_ACK
        row["may_ack"] = row["awaiting"] and g.caller.role == Role.STAFF
    return render_template(
        "console/queue.html",
        rows=rows,
        filters=filters,
        statuses=list(CaseStatus),
        categories=CATEGORIES,
        priorities=PRIORITIES,
        limit=QUEUE_LIMIT,
    )


# --- one case -------------------------------------------------------------------------------


def _media(reports: Sequence[Report]) -> dict[int, list[str]]:
    """The kinds of file each report's message carried (references only: never fetched here)."""
    ids = {r.inbound_message_id: r.id for r in reports if r.inbound_message_id}
    if not ids:
        return {}
    rows = db.session.execute(
        select(InboundMessage.id, InboundMessage.media).where(InboundMessage.id.in_(sorted(ids)))
    ).all()
    found: dict[int, list[str]] = {}
    for message_id, media in rows:
        kinds = [m.get("content_type") or "?" for m in json.loads(media or "[]")]
        if kinds:
            found[ids[message_id]] = kinds
    return found


def _names(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = db.session.execute(select(Account.id, Account.name).where(Account.id.in_(sorted(ids))))
    return dict(rows.all())


@bp.get(f"/cases/<reference>/media/<int(min=1, max={MAX_DB_INT}):media_id>")
def case_media(reference: str, media_id: int) -> ResponseReturnValue:
    """One file of a case, as the API serves it: decrypted, a download, the read audited."""
    who = g.caller
    found = scope.find(db.session, who, reference)
    if not scope.may_read_text(db.session, who, found):
        abort(403)
    try:
        opened = open_media(db.session, found, media_id, who.account, clock.now())
    except MediaNotFound:
        abort(404)
    except MediaUnreadable:
        abort(503)
    db.session.commit()
    return downloads.attachment(opened, found.reference)


@bp.get("/cases/<reference>")
def case_page(reference: str) -> ResponseReturnValue:
    """A case: reports, deadlines, agencies, timeline, who read it, and what can be done."""
    who = g.caller
    found = scope.find(db.session, who, reference)
    record_read(db.session, found, who.account, clock.now())
    db.session.commit()
    return render_template("console/case.html", **_case_view(who, found))


def _case_view(who: scope.Caller, found: Case) -> dict[str, Any]:
    """What the case page shows and offers to this caller."""
    reports = db.session.scalars(
        select(Report).where(Report.case_id == found.id).order_by(Report.id)
    ).all()
    events = list(found.events)
    # The latest read of each reader, in the order they last read it.
    readers = {
        e.actor_account_id: e.at
        for e in events
        if e.kind == CaseEventKind.READ and e.actor_account_id
    }
    works = who.role in scope.DEPLOYMENT_WIDE or (
        who.role == Role.STAFF and is_on_case(db.session, found, who.account)
    )
    moves = TRANSITIONS[found.status]
    readable = scope.may_read_text(db.session, who, found)
    return {
        "case": found,
        "summary": cases_out(db.session, [found])[0],
        "reports": reports,
        "readable": readable,
        "media": _media(reports) if readable else {},
        "files": media_on_case(db.session, found.id) if readable else [],
        "events": events,
        "names": _names({e.actor_account_id for e in events if e.actor_account_id}),
        "details": timelines.details,
        "readers": sorted(readers.items(), key=lambda r: r[1]),
        "agencies": db.session.scalars(
            select(Agency).where(Agency.is_active.is_(True)).order_by(Agency.code)
        ).all(),
        "works": works,
        "may_ack": found.status in AWAITING_ACK and who.role == Role.STAFF and works,
        "next_statuses": [s for s in moves if s not in (CaseStatus.DIRUJUK, CaseStatus.SELESAI)],
        "may_close": CaseStatus.SELESAI in moves,
        "may_refer": CaseStatus.DIRUJUK in moves,
        "reasons": list(ClosureReason),
        "services": list(Service),
        "simfoni": work.SIMFONI_FIELDS,
    }


def _done(reference: str, key: str) -> ResponseReturnValue:
    db.session.commit()
    flash(i18n.t(key))
    target = request.form.get("next")
    return redirect(
        _safe_next(target) if target else url_for("console.case_page", reference=reference)
    )


def _invalid(reference: str, key: str) -> ResponseReturnValue:
    db.session.rollback()
    flash(i18n.t(key), "error")
    return redirect(url_for("console.case_page", reference=reference)), 303


@bp.post("/cases/<reference>/acknowledge")
def acknowledge_case(reference: str) -> ResponseReturnValue:
    who = g.caller
    found = scope.find(db.session, who, reference)
    try:
        acknowledge(db.session, found, who.account, clock.now())
    except NotOnCase:
        abort(403)
    return _done(found.reference, "console.done_acknowledged")


@bp.post("/cases/<reference>/status")
def set_status(reference: str) -> ResponseReturnValue:
    who, found = scope.case_to_work_on(db.session, reference)
    wanted = request.form.get("status", "")
    if wanted not in {s.value for s in CaseStatus} or wanted == CaseStatus.SELESAI:
        return _invalid(found.reference, "console.bad_status")
    reason = request.form.get("reason", "").strip() or None
    try:
        change_status(db.session, found, wanted, clock.now(), who.account, reason, "staff")
    except TransitionNotAllowed:
        return _invalid(found.reference, "console.bad_status")
    except (ReasonRequired, ValueError):
        return _invalid(found.reference, "console.reason_required")
    return _done(found.reference, "console.done_status")


@bp.post("/cases/<reference>/note")
def note(reference: str) -> ResponseReturnValue:
    who, found = scope.case_to_work_on(db.session, reference)
    try:
        add_note(db.session, found, request.form.get("text", ""), clock.now(), who.account)
    except ValueError:
        return _invalid(found.reference, "console.note_empty")
    return _done(found.reference, "console.done_note")


@bp.post("/cases/<reference>/refer")
def refer_case(reference: str) -> ResponseReturnValue:
    who, found = scope.case_to_work_on(db.session, reference)
    code = request.form.get("agency", "").upper()
    agency = db.session.scalar(select(Agency).where(Agency.code == code))
    if agency is None or not agency.is_active:
        return _invalid(found.reference, "console.bad_agency")
    reason = request.form.get("reason", "").strip() or None
    try:
        refer(db.session, found, agency, clock.now(), who.account, reason, "staff", deployment())
    except TransitionNotAllowed:
        return _invalid(found.reference, "console.bad_status")
    except ReasonRequired:
        return _invalid(found.reference, "console.reason_required")
    return _done(found.reference, "console.done_referred")


@bp.post("/cases/<reference>/close")
def close_case(reference: str) -> ResponseReturnValue:
    who, found = scope.case_to_work_on(db.session, reference)
    try:
        reason = ClosureReason(request.form.get("closure_reason", ""))
        services = [Service(s) for s in request.form.getlist("services")]
    except ValueError:
        return _invalid(found.reference, "console.bad_closure")
    note_text = request.form.get("reason", "").strip() or None
    try:
        work.close(db.session, found, reason, services, clock.now(), who.account, note_text)
    except TransitionNotAllowed:
        return _invalid(found.reference, "console.bad_status")
    return _done(found.reference, "console.done_closed")


@bp.post("/cases/<reference>/police-report")
def police_report(reference: str) -> ResponseReturnValue:
    who, found = scope.case_to_work_on(db.session, reference)
    work.record_police_report(db.session, found, clock.now(), who.account)
    return _done(found.reference, "console.done_police")


@bp.post("/cases/<reference>/simfoni")
def simfoni(reference: str) -> ResponseReturnValue:
    who, found = scope.case_to_work_on(db.session, reference)
    values, bad = work.parse_simfoni(request.form.to_dict())
    if bad:
        return _invalid(found.reference, "console.bad_simfoni")
    work.set_simfoni(db.session, found, values, clock.now(), who.account)
    return _done(found.reference, "console.done_simfoni")


# --- a case filed by staff ------------------------------------------------------------------


def _place_choices(text: str) -> tuple[str | None, list[Any]]:
    """Resolve a typed place: its code, or the places it could be."""
    from intake.gazetteer import current

    gazetteer = current()
    if not text.strip() or gazetteer is None:
        return None, []
    match = gazetteer.resolve(text)
    return (match.place.code if match.place else None), match.candidates


@bp.route("/cases/new", methods=["GET", "POST"])
def new_case() -> ResponseReturnValue:
    """File a case taken down by staff: triage helps, filing and routing are the usual ones."""
    require(Role.STAFF, Role.COORDINATOR, Role.ADMIN)
    form = request.form.to_dict() if request.method == "POST" else {"source": "walk_in"}
    errors: list[str] = []
    candidates: list[Any] = []
    if request.method == "POST" and request.form.get("action") == "triage":
        _triage_into(form)
    elif request.method == "POST":
        case_ = _file_from(form, errors, candidates)
        if case_ is not None:
            flash(i18n.t("console.done_filed", reference=case_.reference))
            return redirect(url_for("console.case_page", reference=case_.reference))
    elif request.args.get("place"):
        form["place"] = request.args["place"]
    page = render_template(
        "console/new_case.html",
        form=form,
        errors=errors,
        candidates=candidates,
        sources=work.STAFF_SOURCES,
        categories=CATEGORIES,
        victims=VICTIMS,
        priorities=PRIORITIES,
        default_priority=Priority.BIASA,
    )
    return page, 400 if errors else 200


def _triage_into(form: dict[str, str]) -> None:
    """Fill the form's empty choices with what triage makes of the text."""
    from intake.gazetteer import current
    from intake.triage import triage

    found = triage(form.get("text", ""), current())
    form["category"] = str(found.category)
    form["victim"] = str(found.victim)
    form["priority"] = str(found.priority)
    if found.location is not None and not form.get("place"):
        form["place"] = found.location.name
        form["region_code"] = found.location.code
    form["triaged"] = "1"


def _file_from(form: dict[str, str], errors: list[str], candidates: list[Any]) -> Case | None:
    text = form.get("text", "").strip()
    if not text:
        errors.append("console.error_text")
    for name, allowed in (
        ("category", CATEGORIES),
        ("victim", VICTIMS),
        ("priority", PRIORITIES),
        ("source", work.STAFF_SOURCES),
    ):
        if form.get(name) not in allowed:
            errors.append(f"console.error_{name}")
    region = form.get("region_code") or None
    if region is None and form.get("place", "").strip():
        region, found = _place_choices(form["place"])
        if region is None:
            candidates.extend(found)
            errors.append("console.error_place_unclear" if found else "console.error_place")
    if errors:
        return None
    contact = {"ya": True, "tidak": False}.get(form.get("may_contact", ""))
    item = work.StaffReport(
        form["source"],
        text,
        form["category"],
        form["victim"],
        form["priority"],
        region,
        form.get("is_anonymous") == "1",
        contact,
    )
    case_ = work.file_for_staff(db.session, item, g.caller.account, clock.now(), deployment())
    db.session.commit()
    return case_
