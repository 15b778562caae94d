"""Signing in and out, one's own password and second factor."""

from __future__ import annotations

import contextlib

import grpc
from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from ncms.identity.v1 import staff_pb2

from ..app import console, person_from, refusal, safe_next
from ..i18n import N_

blueprint = Blueprint("auth", __name__)

REASONS = {
    "BAD_CREDENTIALS": N_("The name or the password is wrong."),
    "LOCKED": N_("This account is locked after too many wrong passwords. Try again later, or ask an "
                 "administrator to unlock it."),
    "TOTP_REQUIRED": N_("Enter the six digits your authenticator app shows."),
    "BAD_TOTP": N_("The code is wrong or was used already."),
    "DISABLED": N_("This account is disabled."),
}


def _reason(error: grpc.RpcError) -> str:
    from runtime.rpc_errors import from_rpc_error

    found = from_rpc_error(error)
    text = REASONS.get(found.reason)
    return g._(text) if text else refusal(error)[0]


@blueprint.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    shared = console()
    target = safe_next(request.values.get("next"))
    if request.method == "GET":
        return render_template("sign_in.html", next=target, name="", ask_totp=False)
    name = request.form.get("name", "").strip()
    try:
        signed = shared.backends.console.SignIn(staff_pb2.SignInRequest(
            name=name, password=request.form.get("password", ""), totp_code=request.form.get("totp", ""),
            client_ip=g.client_ip))
    except grpc.RpcError as error:
        if error.code() != grpc.StatusCode.UNAUTHENTICATED:
            raise
        from runtime.rpc_errors import from_rpc_error

        ask = from_rpc_error(error).reason in ("TOTP_REQUIRED", "BAD_TOTP")
        return render_template("sign_in.html", next=target, name=name, ask_totp=ask, error=_reason(error)), 401
    found = person_from(signed.staff, signed.token, signed.token_expire_time, signed.must_change_password)
    shared.people.put(signed.session, found)
    response = redirect(url_for("auth.password") if signed.must_change_password else target, code=303)
    response.set_cookie(shared.session_cookie, signed.session, httponly=True, samesite="Lax", secure=shared.secure,
                        path="/")
    response.delete_cookie(shared.presession_cookie, path="/")
    return response


@blueprint.post("/sign-out")
def sign_out():
    shared = console()
    with contextlib.suppress(grpc.RpcError):  # the cookie goes all the same; identity ends idle sessions
        shared.backends.console.SignOut(staff_pb2.SignOutRequest(session=g.session, client_ip=g.client_ip))
    shared.people.forget(g.session)
    response = redirect(url_for("auth.sign_in"), code=303)
    response.delete_cookie(shared.session_cookie, path="/")
    return response


@blueprint.route("/account/password", methods=["GET", "POST"])
def password():
    shared = console()
    if request.method == "GET":
        return render_template("password.html")
    new, again = request.form.get("new_password", ""), request.form.get("again", "")
    if new != again:
        return render_template("password.html", error=g._("The two new passwords differ.")), 400
    try:
        changed = shared.backends.console.ChangeOwnPassword(staff_pb2.ChangeOwnPasswordRequest(
            session=g.session, old_password=request.form.get("old_password", ""), new_password=new))
    except grpc.RpcError as error:
        message, status = refusal(error)
        return render_template("password.html", error=message), status
    shared.people.put(g.session, person_from(changed.staff, changed.token, changed.token_expire_time, False))
    flash(g._("Your password is changed."), "success")
    return redirect(url_for("dashboard.index"), code=303)


@blueprint.route("/account/totp", methods=["GET", "POST"])
def totp():
    shared = console()
    if request.method == "GET":
        return render_template("totp.html", begun=None)
    if request.form.get("step") == "begin":
        begun = shared.backends.console.BeginTotp(staff_pb2.BeginTotpRequest(session=g.session))
        grouped = " ".join(begun.secret[i:i + 4] for i in range(0, len(begun.secret), 4))
        return render_template("totp.html", begun=begun, grouped=grouped)
    try:
        confirmed = shared.backends.console.ConfirmTotp(staff_pb2.ConfirmTotpRequest(
            session=g.session, code=request.form.get("code", "")))
    except grpc.RpcError as error:
        message, status = refusal(error)
        return render_template("totp.html", begun=None, error=message), status
    g.person.totp_enabled = confirmed.staff.totp_enabled
    flash(g._("The second factor is on: from now on you sign in with a code from your app."), "success")
    return redirect(url_for("dashboard.index"), code=303)
