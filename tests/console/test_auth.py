"""Signing in and out of the console: passwords, limits, timeouts, CSRF, cookies."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from console import auth, passwords
from core import clock
from core.db import db
from models import Account, LoginAttempt
from tests.console.conftest import PASSWORD, csrf, post, sign_in


def test_sign_in_opens_the_queue_and_sign_out_ends_it(app, people):
    client = app.test_client()
    response = sign_in(client, people.accounts["staff_a"].id)
    assert response.status_code == 302
    assert response.headers["Location"] == "/console/"
    assert people.cases["a"].reference in client.get("/console/").get_data(as_text=True)
    out = post(client, "/console/logout")
    assert out.headers["Location"] == "/console/login"
    assert client.get("/console/").headers["Location"].startswith("/console/login")


def test_sign_in_by_registered_phone_number(app, people):
    client = app.test_client()
    token = csrf(client)
    form = {"account": "0808 0000 0003", "password": PASSWORD, "csrf_token": token}
    assert client.post("/console/login", data=form).status_code == 302


def test_wrong_password_is_refused_without_saying_which_part(app, people):
    client = app.test_client()
    wrong = sign_in(client, people.accounts["staff_a"].id, "salah-salah-salah")
    unknown = sign_in(client, 9999, "salah-salah-salah")
    assert wrong.status_code == unknown.status_code == 401
    assert "Akun atau kata sandi salah." in wrong.get_data(as_text=True)
    assert client.get("/console/").status_code == 302


def test_five_failures_lock_the_account_for_a_while_even_with_the_right_password(app, people):
    account_id = people.accounts["staff_a"].id
    client = app.test_client()
    for _ in range(auth.ACCOUNT_LIMIT):
        assert sign_in(client, account_id, "tebakan-salah-1").status_code == 401
    refused = sign_in(client, account_id)
    assert refused.status_code == 429
    assert "Terlalu banyak percobaan" in refused.get_data(as_text=True)
    # Another account from the same address still signs in.
    assert sign_in(app.test_client(), people.accounts["staff_b"].id).status_code == 302
    clock.freeze(clock.now() + auth.WINDOW + timedelta(seconds=1))
    assert sign_in(app.test_client(), account_id).status_code == 302


def test_one_address_guessing_many_accounts_is_stopped(app, people):
    client = app.test_client()
    for n in range(auth.ADDRESS_LIMIT):
        sign_in(client, 5000 + n, "tebakan-salah-1")
    assert sign_in(client, people.accounts["staff_a"].id).status_code == 429


def test_attempts_keep_no_account_or_address_in_the_clear(app, people):
    sign_in(app.test_client(), people.accounts["staff_a"].id, "tebakan-salah-1")
    row = db.session.scalar(select(LoginAttempt))
    assert str(people.accounts["staff_a"].id) not in (row.account_key, row.address)
    assert "127.0.0.1" not in row.address


def test_deactivated_account_cannot_sign_in_and_its_session_ends_at_once(app, people):
    staff = people.accounts["staff_a"]
    live = app.test_client()
    assert sign_in(live, staff.id).status_code == 302
    assert live.get("/console/").status_code == 200
    staff.is_active = False
    db.session.commit()
    assert live.get("/console/").headers["Location"].startswith("/console/login")
    refused = sign_in(app.test_client(), staff.id)
    assert refused.status_code == 403
    assert "tidak aktif" in refused.get_data(as_text=True)


def test_facilitators_use_the_app_not_the_console(app, people):
    assert sign_in(app.test_client(), people.accounts["facilitator"].id).status_code == 403


def test_an_idle_session_times_out(app, people):
    client = app.test_client()
    sign_in(client, people.accounts["staff_a"].id)
    clock.freeze(clock.now() + auth.IDLE - timedelta(minutes=1))
    assert client.get("/console/").status_code == 200
    clock.freeze(clock.now() + auth.IDLE - timedelta(minutes=1))
    assert client.get("/console/").status_code == 200  # each use keeps it alive
    clock.freeze(clock.now() + auth.IDLE + timedelta(minutes=1))
    assert client.get("/console/").status_code == 302


def test_a_busy_session_still_ends_after_the_absolute_limit(app, people):
    client = app.test_client()
    sign_in(client, people.accounts["staff_a"].id)
    start = clock.now()
    while clock.now() - start < auth.ABSOLUTE - timedelta(minutes=20):
        clock.freeze(clock.now() + timedelta(minutes=20))
        assert client.get("/console/").status_code == 200
    clock.freeze(start + auth.ABSOLUTE + timedelta(minutes=1))
    assert client.get("/console/").status_code == 302


def test_a_new_password_ends_older_sessions(app, people, runner):
    staff = people.accounts["staff_a"]
    client = app.test_client()
    sign_in(client, staff.id)
    clock.freeze(clock.now() + timedelta(minutes=1))
    result = runner.invoke(
        args=["accounts", "set-password", str(staff.id)], input="baru-sekali-123\n"
    )
    assert result.exit_code == 0, result.output
    assert client.get("/console/").status_code == 302
    assert sign_in(app.test_client(), staff.id, "baru-sekali-123").status_code == 302


def test_set_password_reads_standard_input_and_hashes_with_scrypt(runner, people):
    staff = people.accounts["staff_b"]
    result = runner.invoke(
        args=["accounts", "set-password", str(staff.id)], input="rahasia-panjang-9\n"
    )
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    stored = db.session.get(Account, staff.id).password_hash
    assert stored.startswith("scrypt$")
    assert "rahasia" not in stored
    assert passwords.verify_password(stored, "rahasia-panjang-9")
    assert not passwords.verify_password(stored, "rahasia-panjang-8")


def test_set_password_refuses_a_short_password_and_an_unknown_account(runner, people):
    short = runner.invoke(
        args=["accounts", "set-password", str(people.accounts["staff_b"].id)], input="pendek\n"
    )
    assert short.exit_code != 0
    assert "10 characters" in short.output
    unknown = runner.invoke(args=["accounts", "set-password", "9999"], input="panjang-sekali-1\n")
    assert unknown.exit_code != 0
    assert "no account" in unknown.output


def test_forms_without_the_session_csrf_token_change_nothing(app, people, as_role):
    client = as_role("staff_a")
    case = people.cases["a"]
    forged = client.post(f"/console/cases/{case.reference}/acknowledge", data={"csrf_token": "x"})
    assert forged.status_code == 400
    missing = client.post("/console/login", data={"account": "1", "password": PASSWORD})
    assert missing.status_code == 400
    db.session.expire_all()
    assert case.status.value == "baru"


def test_session_cookie_is_httponly_samesite_and_secure_over_https(app, people):
    plain = app.test_client()
    sign_in(plain, people.accounts["staff_a"].id)
    cookie = plain.get_cookie("sigap_console", path="/console")
    assert cookie.http_only
    assert cookie.same_site == "Lax"
    assert not cookie.secure
    tls = app.test_client()
    tls.environ_base["wsgi.url_scheme"] = "https"
    page = tls.get("/console/login", base_url="https://localhost")
    assert "Secure" in page.headers["Set-Cookie"]
    assert "HttpOnly" in page.headers["Set-Cookie"]
    assert "SameSite=Lax" in page.headers["Set-Cookie"]


def test_after_sign_in_only_a_console_path_is_followed(app, people):
    client = app.test_client()
    token = csrf(client)
    for target, expected in (
        ("/console/dashboard", "/console/dashboard"),
        ("https://example.org/", "/console/"),
        ("//evil", "/console/"),
    ):
        form = {
            "account": str(people.accounts["coordinator"].id),
            "password": PASSWORD,
            "csrf_token": token,
            "next": target,
        }
        assert client.post("/console/login", data=form).headers["Location"] == expected
        token = csrf(client, "/console/")
        post(client, "/console/logout")
        token = csrf(client)


def test_pages_are_in_english_when_asked(app, people):
    client = app.test_client()
    assert "Kata sandi" in client.get("/console/login").get_data(as_text=True)
    assert "Password" in client.get("/console/login?lang=en").get_data(as_text=True)
    assert "Password" in client.get("/console/login").get_data(as_text=True)  # remembered
