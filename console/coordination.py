"""Coordinators' pages: the dashboard, the routing table, rosters, accounts and tokens, exports."""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import date, datetime, time, timedelta
from typing import Any

import segno
from flask import abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from markupsafe import Markup
from sqlalchemy import select

from alerts import rosters
from alerts.messages import places
from api import scope, tokens
from api.services import coordination as coordinating
from cases import routing
from channels import ChannelError, normalize_phone
from console import charts, exports, i18n, passwords
from console.views import bp, require, zone
from core import clock, deployment
from core.crypto import lookup_hash
from core.db import db
from models import Account, Agency, Case, Region, Role, RosterRole

WEEKS = 8


def _coordinator() -> None:
    require(*scope.DEPLOYMENT_WIDE)


# --- dashboard ------------------------------------------------------------------------------


def _monday(day: date) -> datetime:
    return datetime.combine(day - timedelta(days=day.weekday()), time(0), tzinfo=zone())


def dashboard_figures(now: datetime) -> dict[str, Any]:
    """Figures of the last weeks' cases: by week, category, regency; acknowledgement."""
    start = _monday(now.astimezone(zone()).date()) - timedelta(weeks=WEEKS - 1)
    found = db.session.scalars(
        select(Case).where(scope.visible(g.caller), Case.opened_at >= start)
    ).all()
    weeks = Counter(
        ((c.opened_at.astimezone(zone()).date() - start.date()).days // 7) for c in found
    )
    by_week = [
        ((start + timedelta(weeks=i)).strftime("%d-%m"), weeks.get(i, 0)) for i in range(WEEKS)
    ]
    regencies = Counter(".".join(c.region_code.split(".")[:2]) for c in found)
    acked = [(c, c.acknowledged_at) for c in found if c.acknowledged_at is not None]
    in_time = sum(1 for c, at in acked if at <= c.ack_due_at)
    waits = [(at - c.opened_at).total_seconds() / 60 for c, at in acked]
    due = [c for c in found if c.acknowledged_at is not None or c.ack_due_at <= now]
    return {
        "start": start,
        "total": len(found),
        "by_week": by_week,
        "by_category": [
            (i18n.label("category", k), v)
            for k, v in Counter(c.category for c in found).most_common()
        ],
        "by_regency": [(places(db.session, k)[0], v) for k, v in regencies.most_common(10)],
        "share_in_time": round(100 * in_time / len(due)) if due else None,
        "median_minutes": round(statistics.median(waits)) if waits else None,
    }


@bp.get("/dashboard")
def dashboard() -> ResponseReturnValue:
    """The weeks' picture for the coordination meeting, drawn as SVG on the server."""
    _coordinator()
    f = dashboard_figures(clock.now())
    svg = {
        "week": charts.bars(f["by_week"], i18n.t("console.chart_week")),
        "category": charts.bars(f["by_category"], i18n.t("console.chart_category")),
        "regency": charts.bars(f["by_regency"], i18n.t("console.chart_regency")),
    }
    return render_template("console/dashboard.html", f=f, svg=svg)


# --- routing --------------------------------------------------------------------------------


def _routing_text() -> str:
    import io

    out = io.StringIO()
    routing.export_rules(db.session, out)
    return out.getvalue()


@bp.route("/routing", methods=["GET", "POST"])
def routing_page() -> ResponseReturnValue:
    """The routing table as a file to edit; saved through the routing service and its checks."""
    _coordinator()
    problems: list[str] = []
    text = _routing_text()
    if request.method == "POST":
        text = request.form.get("rules", "")
        try:
            provinces = list(deployment.current().provinces)
            removed, added = routing.import_rules(db.session, text, provinces)
        except ValueError as exc:
            # RoutingFileError and every other refusal of the routing service (gaps
            # included) change nothing and are shown as they are.
            db.session.rollback()
            problems = getattr(exc, "problems", None) or [str(exc)]
        else:
            db.session.commit()
            flash(i18n.t("console.done_routing", added=added, removed=removed))
            return redirect(url_for("console.routing_page"))
    rules = coordinating.routing_rules(db.session)
    page = render_template("console/routing.html", text=text, rules=rules, problems=problems)
    return page, 400 if problems else 200


# --- rosters --------------------------------------------------------------------------------


def _agency(code: str) -> Agency:
    agency = db.session.scalar(select(Agency).where(Agency.code == code.upper()))
    if agency is None:
        abort(404)
    return agency


@bp.get("/rosters")
def rosters_index() -> ResponseReturnValue:
    _coordinator()
    agencies = db.session.scalars(select(Agency).order_by(Agency.code)).all()
    return render_template("console/rosters.html", agencies=agencies)


@bp.route("/rosters/<code>", methods=["GET", "POST"])
def roster_page(code: str) -> ResponseReturnValue:
    """An agency's weekly pattern and overrides, with forms to change both."""
    _coordinator()
    agency = _agency(code)
    error = None
    if request.method == "POST":
        error = _roster_change(agency, request.form)
        if error is None:
            db.session.commit()
            flash(i18n.t("console.done_roster"))
            return redirect(url_for("console.roster_page", code=agency.code))
        db.session.rollback()
    shown = coordinating.roster(db.session, agency, clock.now(), zone())
    staff = db.session.scalars(
        select(Account).where(Account.agency_id == agency.id, Account.is_active.is_(True))
    ).all()
    names = {a.id: a.name for a in staff}
    page = render_template(
        "console/roster.html",
        agency=agency,
        roster=shown,
        staff=staff,
        names=names,
        roles=list(RosterRole),
        error=error,
    )
    return page, 400 if error else 200


def _roster_change(agency: Agency, form: Any) -> str | None:
    """Apply a weekly slot or an override from a form; return an error key or None."""
    account = db.session.get(Account, int(form.get("account_id") or 0))
    if account is None or account.agency_id != agency.id or not account.is_active:
        return "console.error_roster_account"
    try:
        role = RosterRole(form.get("role", ""))
        if form.get("kind") == "override":
            first = date.fromisoformat(form.get("starts_on", ""))
            last = date.fromisoformat(form.get("ends_on") or form.get("starts_on", ""))
            rosters.add_override(db.session, agency, first, last, account, role)
        else:
            days = rosters.parse_weekdays(form.get("weekdays", ""))
            starts = rosters.parse_clock(form.get("starts", ""))
            ends = rosters.parse_clock(form.get("ends", ""))
            rosters.set_slots(db.session, agency, days, starts, ends, account, role)
    except ValueError:
        return "console.error_roster"
    return None


# --- accounts and tokens --------------------------------------------------------------------


@bp.route("/accounts", methods=["GET", "POST"])
def accounts_page() -> ResponseReturnValue:
    """Accounts: create one, deactivate or reactivate, give a facilitator's phone a token."""
    _coordinator()
    error = None
    if request.method == "POST":
        error = _create_account(request.form)
        if error is None:
            db.session.commit()
            flash(i18n.t("console.done_account"))
            return redirect(url_for("console.accounts_page"))
        db.session.rollback()
    rows = db.session.execute(
        select(Account, Agency.code)
        .outerjoin(Agency, Agency.id == Account.agency_id)
        .order_by(Account.id)
    ).all()
    agencies = db.session.scalars(select(Agency).order_by(Agency.code)).all()
    page = render_template(
        "console/accounts.html", rows=rows, agencies=agencies, roles=list(Role), error=error
    )
    return page, 400 if error else 200


def _create_account(form: Any) -> str | None:
    role = form.get("role", "")
    if role not in {r.value for r in Role} or not form.get("name", "").strip():
        return "console.error_account"
    agency = None
    if form.get("agency"):
        agency = db.session.scalar(select(Agency).where(Agency.code == form["agency"]))
    if role == Role.STAFF and agency is None:
        return "console.error_account_agency"
    region = form.get("region", "").strip() or None
    if (region and db.session.get(Region, region) is None) or (
        role == Role.FACILITATOR and not region
    ):
        return "console.error_account_region"
    number = None
    if form.get("phone", "").strip():
        try:
            number = normalize_phone(form["phone"])
        except ChannelError:
            return "console.error_account_phone"
        if db.session.scalar(select(Account.id).where(Account.phone_hash == lookup_hash(number))):
            return "console.error_account_phone_taken"
    db.session.add(
        Account(
            role=Role(role),
            name=form["name"].strip(),
            phone=number,
            phone_hash=lookup_hash(number) if number else None,
            agency_id=agency.id if agency else None,
            region_code=region,
        )
    )
    db.session.flush()
    return None


@bp.post("/accounts/<int:account_id>/active")
def account_active(account_id: int) -> ResponseReturnValue:
    """Deactivate or reactivate an account: its tokens and console sessions stop at once."""
    _coordinator()
    account = db.session.get(Account, account_id)
    if account is None:
        abort(404)
    if account.id == g.caller.account.id:
        abort(400)
    account.is_active = request.form.get("active") == "1"
    db.session.commit()
    flash(i18n.t("console.done_account"))
    return redirect(url_for("console.accounts_page"))


@bp.post("/accounts/<int:account_id>/token")
def account_token(account_id: int) -> ResponseReturnValue:
    """Make a token for an account and show it once, with a QR code for the phone to scan."""
    _coordinator()
    account = db.session.get(Account, account_id)
    if account is None or not account.is_active:
        abort(404)
    given = request.form.get("days", "")
    days = int(given) if given.isdigit() and int(given) else tokens.DEFAULT_DAYS
    _row, token = tokens.issue(db.session, account, clock.now(), min(days, tokens.MAX_DAYS))
    db.session.commit()
    # segno draws the SVG from the token alone (URL-safe characters): nothing to escape.
    qr = Markup(segno.make(token, error="m").svg_inline(scale=4, title="token"))  # noqa: S704
    return render_template("console/token.html", account=account, token=token, qr=qr)


@bp.post("/accounts/<int:account_id>/password")
def account_password(account_id: int) -> ResponseReturnValue:
    """Set another account's console password (a coordinator resetting a forgotten one)."""
    _coordinator()
    account = db.session.get(Account, account_id)
    if account is None:
        abort(404)
    new = request.form.get("password", "")
    problem = passwords.problem(new)
    if problem:
        flash(i18n.t(problem), "error")
        return redirect(url_for("console.accounts_page")), 303
    account.password_hash = passwords.hash_password(new)
    account.password_changed_at = clock.now()
    db.session.commit()
    flash(i18n.t("console.done_password"))
    return redirect(url_for("console.accounts_page"))


# --- exports --------------------------------------------------------------------------------


@bp.get("/export")
def export() -> ResponseReturnValue:
    """Cases opened in a period with the SIMFONI-PPA fields, as CSV or XLSX (audited)."""
    require(Role.STAFF, *scope.DEPLOYMENT_WIDE)
    try:
        first = date.fromisoformat(request.args["from"])
        last = date.fromisoformat(request.args["to"])
    except (KeyError, ValueError):
        return render_template("console/export.html", today=clock.now().astimezone(zone()).date())
    fmt = request.args.get("format", "xlsx")
    if fmt not in ("csv", "xlsx") or last < first:
        abort(400)
    start = datetime.combine(first, time(0), tzinfo=zone())
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone())
    found = exports.rows(db.session, g.caller, start, end, zone())
    exports.audit(db.session, g.caller, [c for c, _ in found], fmt, start, end, clock.now())
    db.session.commit()
    data = [row for _, row in found]
    header = lambda c: i18n.t(f"export.{c}")  # noqa: E731
    body = exports.to_csv(data, header) if fmt == "csv" else exports.to_xlsx(data, header)
    kind = (
        "text/csv; charset=utf-8"
        if fmt == "csv"
        else ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    )
    name = f"sigap-simfoni-{first.isoformat()}-{last.isoformat()}.{fmt}"
    return (
        body,
        200,
        {"Content-Type": kind, "Content-Disposition": f'attachment; filename="{name}"'},
    )
