"""The administrator's pages: hospitals, their users (pending requests first), service
clients, the centre's staff. Auditors read them; only administrators change them (and
identity checks that again for every call)."""

from __future__ import annotations

import grpc
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from ncms.identity.v1 import identity_pb2, staff_pb2

from ..app import act, console, refusal, refused_back, requires
from ..exports import export
from ..templating import LEVEL_NAMES, ROLE_NAMES, named
from .common import ADMINISTRATOR, AUDITOR, export_format, hospitals, paging

blueprint = Blueprint("admin", __name__)
LETTERS = "ABCDEFGHIJ"
OVERLAP_HOURS = 72


def _lines(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]


def _letters(field: str = "letters") -> str:
    return "".join(letter for letter in LETTERS if letter in request.form.getlist(field))


# --- hospitals ----------------------------------------------------------------------------------

@blueprint.get("/hospitals")
@requires(ADMINISTRATOR, AUDITOR)
def hospital_list():
    pages = paging("code", {"code", "name", "level", "state"})
    rows = list(hospitals().values())
    query = request.args.get("q", "").strip()
    if query:
        rows = [h for h in rows if query in h.code or query in h.name]
    keys = {"code": lambda h: h.code, "name": lambda h: h.name, "level": lambda h: (h.level, h.code),
            "state": lambda h: (bool(h.disable_time.seconds), h.code)}
    rows.sort(key=keys[pages.sort.lstrip("-")], reverse=pages.sort.startswith("-"))
    wanted = export_format()
    if wanted:
        return export("hospitals", wanted, [g._("Code"), g._("Name"), g._("Level"), g._("Key version"),
                                            g._("State"), g._("Endpoint")],
                      [(h.code, h.name, f"{h.level} {named(LEVEL_NAMES, h.level)}", h.key_version,
                        g._("Disabled") if h.disable_time.seconds else g._("Normal"), h.endpoint) for h in rows])
    total = len(rows)
    shown = rows[(pages.page - 1) * pages.size:pages.page * pages.size]
    return render_template("hospitals.html", hospitals=shown, total=total, pages=pages, query=query)


@blueprint.route("/hospitals/new", methods=["GET", "POST"])
@requires(ADMINISTRATOR)
def hospital_new():
    if request.method == "GET":
        return render_template("hospital_new.html", form={})
    form = request.form
    try:
        level = int(form.get("level", "0"))
    except ValueError:
        level = 0
    try:
        created = console().backends.identity.CreateHospital(identity_pb2.CreateHospitalRequest(
            code=form.get("code", "").strip(), name=form.get("name", "").strip(), level=level,
            digest_algorithm=identity_pb2.DIGEST_ALGORITHM_HMAC_SM3 if form.get("algorithm") == "HMAC-SM3"
            else identity_pb2.DIGEST_ALGORITHM_HMAC_SHA256, endpoint=form.get("endpoint", "").strip()))
    except grpc.RpcError as error:
        message, status = refusal(error)
        return render_template("hospital_new.html", form=form, error=message), status
    return render_template("key_issued.html", hospital=created.hospital, key=created.signing_key)


@blueprint.get("/hospitals/<code>")
@requires(ADMINISTRATOR, AUDITOR)
def hospital(code: str):
    found = hospitals().get(code)
    if found is None:
        abort(404)
    users = console().backends.identity.ListUsers(identity_pb2.ListUsersRequest(hospital_code=code)).users
    return render_template("hospital.html", hospital=found, users=users, letters=LETTERS)


@blueprint.post("/hospitals/<code>/disable")
@requires(ADMINISTRATOR)
def hospital_disable(code: str):
    return act(lambda: console().backends.identity.DisableHospital(identity_pb2.DisableHospitalRequest(
        code=code, reason=request.form.get("reason", ""))), g._("The hospital is disabled."),
        url_for("admin.hospital", code=code))[0]


@blueprint.post("/hospitals/<code>/enable")
@requires(ADMINISTRATOR)
def hospital_enable(code: str):
    return act(lambda: console().backends.identity.EnableHospital(identity_pb2.EnableHospitalRequest(code=code)),
               g._("The hospital is enabled."), url_for("admin.hospital", code=code))[0]


@blueprint.post("/hospitals/<code>/end-overlap")
@requires(ADMINISTRATOR)
def hospital_end_overlap(code: str):
    return act(lambda: console().backends.identity.EndKeyOverlap(identity_pb2.EndKeyOverlapRequest(code=code)),
               g._("Only the current key verifies from now on."), url_for("admin.hospital", code=code))[0]


@blueprint.post("/hospitals/<code>/rotate-key")
@requires(ADMINISTRATOR)
def hospital_rotate_key(code: str):
    try:
        hours = int(request.form.get("overlap_hours", str(OVERLAP_HOURS)))
    except ValueError:
        hours = -1
    if not 0 <= hours <= 90 * 24:
        return _bad_overlap(code)
    try:
        rotated = console().backends.identity.RotateHospitalKey(identity_pb2.RotateHospitalKeyRequest(
            code=code, overlap_seconds=hours * 3600))
    except grpc.RpcError as error:
        message, status = refusal(error)
        return render_template("error.html", title=g._("Refused"), message=message), status
    return render_template("key_issued.html", hospital=rotated.hospital, key=rotated.signing_key, rotated=True)


def _bad_overlap(code: str):
    flash(g._("The overlap is a number of hours from 0 to 2160; nothing was changed."), "error")
    return redirect(url_for("admin.hospital", code=code))


@blueprint.post("/hospitals/<code>/endpoint")
@requires(ADMINISTRATOR)
def hospital_endpoint(code: str):
    form = request.form
    return act(lambda: console().backends.identity.SetHospitalEndpoint(identity_pb2.SetHospitalEndpointRequest(
        code=code, endpoint=form.get("endpoint", "").strip(), user=form.get("user", "").strip(),
        password=form.get("password", ""))), g._("The endpoint is saved."), url_for("admin.hospital", code=code))[0]


# --- hospital users -------------------------------------------------------------------------------

@blueprint.get("/users/pending")
@requires(ADMINISTRATOR, AUDITOR)
def pending():
    overview = console().backends.identity.GetIdentityOverview(staff_pb2.GetIdentityOverviewRequest(
        pending_limit=500))
    return render_template("pending.html", pending=overview.pending_users, total=overview.pending_total,
                           letters=LETTERS)


def _user_action(code: str, name: str, call, done: str):
    back = request.form.get("back") or url_for("admin.hospital", code=code)
    if not back.startswith("/"):
        back = url_for("admin.hospital", code=code)
    return act(call, done, back)[0]


@blueprint.post("/hospitals/<code>/users/<name>/approve")
@requires(ADMINISTRATOR)
def user_approve(code: str, name: str):
    return _user_action(code, name, lambda: console().backends.identity.ApproveUser(identity_pb2.ApproveUserRequest(
        hospital_code=code, name=name, permissions=_letters())),
        g._("{user} is approved with the letters {letters}.").format(user=name, letters=_letters() or "-"))


@blueprint.post("/hospitals/<code>/users/<name>/reject")
@requires(ADMINISTRATOR)
def user_reject(code: str, name: str):
    return _user_action(code, name, lambda: console().backends.identity.RejectUser(identity_pb2.RejectUserRequest(
        hospital_code=code, name=name, reason=request.form.get("reason", ""))),
        g._("The request for {user} is rejected.").format(user=name))


@blueprint.post("/hospitals/<code>/users/<name>/unlock")
@requires(ADMINISTRATOR)
def user_unlock(code: str, name: str):
    return _user_action(code, name, lambda: console().backends.identity.UnlockUser(identity_pb2.UnlockUserRequest(
        hospital_code=code, name=name)), g._("{user} is unlocked.").format(user=name))


@blueprint.post("/hospitals/<code>/users/<name>/reset-password")
@requires(ADMINISTRATOR)
def user_reset(code: str, name: str):
    return _user_action(code, name, lambda: console().backends.identity.ResetPassword(
        identity_pb2.ResetPasswordRequest(hospital_code=code, name=name, password=request.form.get("password", ""))),
        g._("The password of {user} is reset; the user must change it (yhklxgjk) before anything else.").format(
            user=name))


@blueprint.post("/hospitals/<code>/users/<name>/change")
@requires(ADMINISTRATOR)
def user_change(code: str, name: str):
    update = identity_pb2.UpdateUserRequest(hospital_code=code, name=name, permissions=_letters())
    update.allowed_ips.entries.extend(_lines(request.form.get("ips", "")))
    return _user_action(code, name, lambda: console().backends.identity.UpdateUser(update),
                        g._("{user} is changed.").format(user=name))


@blueprint.post("/hospitals/<code>/users/<name>/delete")
@requires(ADMINISTRATOR)
def user_delete(code: str, name: str):
    return _user_action(code, name, lambda: console().backends.identity.RemoveUser(identity_pb2.RemoveUserRequest(
        hospital_code=code, name=name, reason=request.form.get("reason", ""))),
        g._("{user} is deleted.").format(user=name))


@blueprint.post("/hospitals/<code>/users")
@requires(ADMINISTRATOR)
def user_add(code: str):
    form = request.form
    return _user_action(code, form.get("name", ""), lambda: console().backends.identity.CreateUser(
        identity_pb2.CreateUserRequest(hospital_code=code, name=form.get("name", "").strip(),
                                       password=form.get("password", ""), allowed_ips=_lines(form.get("ips", "")),
                                       permissions=_letters())),
        g._("{user} is added.").format(user=form.get("name", "").strip()))


# --- service clients ----------------------------------------------------------------------------

@blueprint.get("/clients")
@requires(ADMINISTRATOR, AUDITOR)
def clients():
    found = console().backends.identity.ListClients(identity_pb2.ListClientsRequest()).clients
    return render_template("clients.html", clients=found)


@blueprint.post("/clients")
@requires(ADMINISTRATOR)
def client_add():
    form = request.form
    try:
        created = console().backends.identity.CreateClient(identity_pb2.CreateClientRequest(
            name=form.get("name", "").strip(), roles=["internal"], hospital_code=form.get("hospital", "").strip(),
            permissions=_letters()))
    except grpc.RpcError as error:
        return refused_back(error, url_for("admin.clients"))
    return render_template("secret_issued.html", client=created.client, secret=created.client_secret)


@blueprint.post("/clients/<name>/rotate")
@requires(ADMINISTRATOR)
def client_rotate(name: str):
    try:
        rotated = console().backends.identity.RotateClientSecret(identity_pb2.RotateClientSecretRequest(name=name))
    except grpc.RpcError as error:
        return refused_back(error, url_for("admin.clients"))
    return render_template("secret_issued.html", client=rotated.client, secret=rotated.client_secret)


@blueprint.post("/clients/<name>/revoke")
@requires(ADMINISTRATOR)
def client_revoke(name: str):
    return act(lambda: console().backends.identity.RevokeClient(identity_pb2.RevokeClientRequest(
        name=name, reason=request.form.get("reason", ""))), g._("The client is revoked."), url_for("admin.clients"))[0]


# --- the centre's staff -----------------------------------------------------------------------------

@blueprint.get("/staff")
@requires(ADMINISTRATOR, AUDITOR)
def staff():
    found = console().backends.identity.ListStaff(staff_pb2.ListStaffRequest()).staff
    return render_template("staff.html", staff=found, roles=ROLE_NAMES)


def _roles() -> list[str]:
    return [role for role in ROLE_NAMES if role in request.form.getlist("roles")]


@blueprint.post("/staff")
@requires(ADMINISTRATOR)
def staff_add():
    form = request.form
    return act(lambda: console().backends.identity.CreateStaff(staff_pb2.CreateStaffRequest(
        name=form.get("name", "").strip(), display_name=form.get("display_name", "").strip(), roles=_roles(),
        password=form.get("password", ""))),
        g._("{name} is added; they choose their own password at the first sign-in.").format(
            name=form.get("name", "").strip()), url_for("admin.staff"))[0]


@blueprint.post("/staff/<name>/roles")
@requires(ADMINISTRATOR)
def staff_roles(name: str):
    return act(lambda: console().backends.identity.UpdateStaff(staff_pb2.UpdateStaffRequest(
        name=name, roles=_roles(), set_roles=True)), g._("The roles of {name} are changed.").format(name=name),
        url_for("admin.staff"))[0]


@blueprint.post("/staff/<name>/<action>")
@requires(ADMINISTRATOR)
def staff_action(name: str, action: str):
    identity = console().backends.identity
    calls = {
        "unlock": (lambda: identity.UnlockStaff(staff_pb2.UnlockStaffRequest(name=name)), g._("{name} is unlocked.")),
        "disable": (lambda: identity.DisableStaff(staff_pb2.DisableStaffRequest(
            name=name, reason=request.form.get("reason", ""))), g._("{name} is disabled.")),
        "enable": (lambda: identity.EnableStaff(staff_pb2.EnableStaffRequest(name=name)), g._("{name} is enabled.")),
        "remove-totp": (lambda: identity.RemoveStaffTotp(staff_pb2.RemoveStaffTotpRequest(name=name)),
                        g._("The second factor of {name} is removed.")),
        "reset-password": (lambda: identity.ResetStaffPassword(staff_pb2.ResetStaffPasswordRequest(
            name=name, password=request.form.get("password", ""))),
            g._("The password of {name} is reset; they must change it at the next sign-in.")),
    }
    if action not in calls:
        abort(404)
    call, done = calls[action]
    return act(call, done.format(name=name), url_for("admin.staff"))[0]
