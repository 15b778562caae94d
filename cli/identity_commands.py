"""``ncms hospital``, ``ncms user``, ``ncms client`` and ``ncms audit``: who may call
the suite, and everything an administrator changes about it (each change audited by
identity)."""

from __future__ import annotations

import os
import sys

import click

from .context import HOSPITAL, CommandError, Context, message_dict, pass_context, table
from .i18n import N_, _, ngettext, stamp_time

LEVELS = {1: N_("村卫生室 village clinic"), 2: N_("乡镇卫生院 township health centre"), 3: N_("县级 county"),
          4: N_("市级 city"), 5: N_("省级及市外 province and beyond")}
ALGORITHMS = {"HMAC-SHA256": "DIGEST_ALGORITHM_HMAC_SHA256", "HMAC-SM3": "DIGEST_ALGORITHM_HMAC_SM3"}
STATES = {1: N_("pending"), 2: N_("active"), 3: N_("deleted")}  # UserState
STATE_NAMES = {1: "pending", 2: "active", 3: "deleted"}
# The audit log's kinds and outcomes, as people read them (--json keeps the service's words).
AUDIT_WORDS = {"authenticate": N_("authenticate"), "outcome": N_("call outcome"), "admin": N_("administration"),
               "accepted": N_("accepted"), "refused": N_("refused"), "succeeded": N_("succeeded"),
               "failed": N_("failed")}
DEFAULT_OVERLAP_HOURS = 72.0
PROMPT = "\x00prompt"  # --password given without a value

USER = _("User name.")
YES = _("Do not ask for confirmation.")
REASON = _("Why (kept in the audit log).")


def _pb():
    from ncms.identity.v1 import identity_pb2

    return identity_pb2


def level_name(level: int) -> str:
    return f"{level} {_(LEVELS[level])}" if level in LEVELS else str(level)


def _algorithm_name(number: int) -> str:
    for name, enum_name in ALGORITHMS.items():
        if _pb().DigestAlgorithm.Value(enum_name) == number:
            return name
    return ""


def _hospital_dict(hospital) -> dict:
    data = message_dict(hospital)
    data["digest_algorithm"] = _algorithm_name(hospital.digest_algorithm)
    return data


def _user_dict(user) -> dict:
    data = message_dict(user)
    data["state"] = STATE_NAMES.get(user.state, "")
    return data


def _confirm(yes: bool, question: str) -> None:
    if not yes:
        click.confirm(question, abort=True)


def _read_secret(file) -> str:
    """The first line of a secret file (a trailing line break is not part of it)."""
    return "" if file is None else file.read().strip("\r\n")


def read_password(value: str | None, file, user: str, *, required: bool = True) -> str:
    """A password from a prompt (``--password`` alone), standard input (``--password -``)
    or a file (``--password-file``); never from the command line itself."""
    if value is not None and file is not None:
        raise click.UsageError(_("give either --password or --password-file, not both"))
    if file is not None:
        return _read_secret(file)
    if value == "-":
        line = sys.stdin.readline()
        if not line:
            raise CommandError(_("no password on standard input"))
        return line.strip("\r\n")
    if value == PROMPT or (value is None and required):
        return click.prompt(_("new password of {user}").format(user=user), hide_input=True,
                            confirmation_prompt=_("repeat the password"))
    if value is None:
        return ""
    raise click.BadParameter(_(
        "a password on the command line is seen by others (shell history, the process list); give "
        "--password alone to be asked for it, --password - to read it from standard input, or "
        "--password-file FILE"), param_hint="--password")


def password_options(function):
    function = click.option("--password-file", type=click.File("r", encoding="utf-8"),
                            help=_("Read the password from this file (its first line)."))(function)
    return click.option("--password", "password", is_flag=False, flag_value=PROMPT, default=None,
                        metavar="[-]",
                        help=_("Ask for the password (hidden, twice); `--password -` reads it from standard "
                               "input. Never give it on the command line."))(function)


# --- hospital -------------------------------------------------------------------------

@click.group(help=_("Designated hospitals (定点医疗机构), their signing keys and endpoints."))
def hospital() -> None:
    pass


@hospital.command("add", help=_("Register a hospital and print its new signing key (shown only once)."))
@click.option("--code", required=True, help=HOSPITAL)
@click.option("--name", required=True, help=_("The hospital's name."))
@click.option("--level", required=True, type=click.IntRange(1, 5),
              help=_("1 村卫生室, 2 乡镇卫生院, 3 县级, 4 市级, 5 省级及市外."))
@click.option("--algorithm", type=click.Choice(list(ALGORITHMS)), default="HMAC-SHA256",
              show_default=True, help=_("Digest algorithm of the hospital's messages."))
@click.option("--endpoint", default="", help=_("The hospital's own SOAP address (for zysjcxjk)."))
@click.option("--endpoint-user", default="", help=_("The hospital's user the NCMS calls as."))
@click.option("--endpoint-password-file", type=click.File("r", encoding="utf-8"),
              help=_("A file holding that user's password (- for standard input)."))
@click.option("--signing-key-file", type=click.File("r", encoding="utf-8"),
              help=_("Install this key instead of issuing one: on a hospital's own service, the key "
                     "its NCMS issued (- for standard input)."))
@pass_context
def hospital_add(ctx: Context, code, name, level, algorithm, endpoint, endpoint_user,
                 endpoint_password_file, signing_key_file) -> None:
    pb = _pb()
    if endpoint_user and endpoint_password_file is None:
        raise click.UsageError(_("--endpoint-user needs --endpoint-password-file"))
    with ctx.calling("identity"):
        response = ctx.identity.CreateHospital(pb.CreateHospitalRequest(
            code=code, name=name, level=level, digest_algorithm=pb.DigestAlgorithm.Value(ALGORITHMS[algorithm]),
            endpoint=endpoint, endpoint_user=endpoint_user,
            endpoint_password=_read_secret(endpoint_password_file),
            signing_key=_read_secret(signing_key_file)))
    data = {**_hospital_dict(response.hospital), "signing_key": response.signing_key}

    def human() -> None:
        h = response.hospital
        click.echo(_("hospital {code} {name} registered (level {level}, {algorithm})").format(
            code=h.code, name=h.name, level=level_name(h.level), algorithm=algorithm))
        if signing_key_file is not None:
            click.echo(_("signing key installed as given"))
            return
        click.echo(_("signing key: {key}").format(key=response.signing_key))
        click.echo(_("Hand the key to the hospital out of band. It is not shown again; "
                     "`ncms hospital rotate-key` issues a new one."))

    ctx.emit(data, human)


def _overlap_default() -> float:
    text = os.environ.get("NCMS_KEY_OVERLAP_HOURS", "").strip()
    try:
        hours = float(text) if text else DEFAULT_OVERLAP_HOURS
    except ValueError:
        hours = -1
    if not 0 <= hours <= 90 * 24:
        raise CommandError(_("NCMS_KEY_OVERLAP_HOURS={value}: hours from 0 to 2160").format(value=text))
    return hours


def _hours(hours: float) -> str:
    return ngettext("{n} hour", "{n} hours", int(hours) if hours == int(hours) else 2).format(n=f"{hours:g}")


@hospital.command("rotate-key", help=_(
    "Issue a new signing key. The old key keeps verifying beside the new one for an overlap "
    "(--overlap, default NCMS_KEY_OVERLAP_HOURS or 72 hours) so that the hospital can install the new "
    "key meanwhile; it stops at the end of the overlap, or at once with --overlap 0. "
    "`ncms hospital end-overlap` ends the overlap early."))
@click.option("--code", required=True, help=HOSPITAL)
@click.option("--overlap", "overlap_hours", type=click.FloatRange(0, 90 * 24), default=None, metavar="HOURS",
              help=_("How long the old key keeps verifying (0: it stops at once)."))
@click.option("--signing-key-file", type=click.File("r", encoding="utf-8"),
              help=_("Install this key instead of issuing one (on a hospital's own service: the new "
                     "key its NCMS issued; - for standard input)."))
@click.option("--yes", is_flag=True, help=YES)
@pass_context
def hospital_rotate_key(ctx: Context, code, overlap_hours, signing_key_file, yes) -> None:
    hours = _overlap_default() if overlap_hours is None else overlap_hours
    if hours:
        question = _("Issue a new key for hospital {code}? Its old key keeps working for {hours}.").format(
            code=code, hours=_hours(hours))
    else:
        question = _("Issue a new key for hospital {code}? Its old key stops working at once: every call "
                     "signed with it is refused (E1005) until the HIS has the new key.").format(code=code)
    _confirm(yes or ctx.json_output, question)
    with ctx.calling("identity"):
        response = ctx.identity.RotateHospitalKey(_pb().RotateHospitalKeyRequest(
            code=code, signing_key=_read_secret(signing_key_file), overlap_seconds=round(hours * 3600)))
    data = {**_hospital_dict(response.hospital), "signing_key": response.signing_key}
    h = response.hospital

    def human() -> None:
        click.echo(_("hospital {code}: key version {version}").format(code=code, version=h.key_version))
        if signing_key_file is None:
            click.echo(_("signing key: {key}").format(key=response.signing_key))
            click.echo(_("It is not shown again."))
        else:
            click.echo(_("The key given is installed."))
        if h.previous_key_version:
            click.echo(_("Key version {old} keeps verifying until {time}; `ncms hospital end-overlap --code "
                         "{code}` ends that early, once the HIS has the new key.").format(
                old=h.previous_key_version, time=stamp_time(h.previous_key_expire_time), code=code))
        else:
            click.echo(_("The previous key no longer verifies."))

    ctx.emit(data, human)


@hospital.command("end-overlap", help=_(
    "End a key overlap now: from this moment only the hospital's current key verifies."))
@click.option("--code", required=True, help=HOSPITAL)
@pass_context
def hospital_end_overlap(ctx: Context, code) -> None:
    with ctx.calling("identity"):
        response = ctx.identity.EndKeyOverlap(_pb().EndKeyOverlapRequest(code=code))
    ctx.emit({**_hospital_dict(response.hospital), "ended": response.ended}, lambda: click.echo(
        (_("hospital {code}: the overlap has ended; only key version {version} verifies")
         if response.ended else _("hospital {code} has no key overlap; only key version {version} verifies"))
        .format(code=code, version=response.hospital.key_version)))


@hospital.command("disable", help=_(
    "Disable a hospital: its calls are refused (E1007 医院已停用) until it is enabled again. "
    "Its users, keys and records are kept."))
@click.option("--code", required=True, help=HOSPITAL)
@click.option("--reason", default="", help=REASON)
@click.option("--yes", is_flag=True, help=YES)
@pass_context
def hospital_disable(ctx: Context, code, reason, yes) -> None:
    _confirm(yes or ctx.json_output,
             _("Disable hospital {code}? Every call of its HIS is refused until it is enabled.").format(code=code))
    with ctx.calling("identity"):
        h = ctx.identity.DisableHospital(_pb().DisableHospitalRequest(code=code, reason=reason)).hospital
    ctx.emit(_hospital_dict(h), lambda: click.echo(
        _("hospital {code} disabled since {time}").format(code=code, time=stamp_time(h.disable_time))))


@hospital.command("enable", help=_("Enable a disabled hospital again."))
@click.option("--code", required=True, help=HOSPITAL)
@pass_context
def hospital_enable(ctx: Context, code) -> None:
    with ctx.calling("identity"):
        h = ctx.identity.EnableHospital(_pb().EnableHospitalRequest(code=code)).hospital
    ctx.emit(_hospital_dict(h), lambda: click.echo(_("hospital {code} enabled").format(code=code)))


@hospital.command("message-header", help=_(
    "Require the MessageHeader (msgid, sendtime) against replay on every call of a hospital, or "
    "make it optional again. Required: calls without it are refused (E1008). Turn it on once the "
    "hospital's HIS sends it."))
@click.option("--code", required=True, help=HOSPITAL)
@click.option("--required/--optional", default=True, show_default=True,
              help=_("Required, or optional (the default of every hospital)."))
@pass_context
def hospital_message_header(ctx: Context, code, required) -> None:
    with ctx.calling("identity"):
        h = ctx.identity.SetMessageHeaderRequired(_pb().SetMessageHeaderRequiredRequest(
            code=code, required=required)).hospital
    ctx.emit(_hospital_dict(h), lambda: click.echo(
        (_("hospital {code}: calls without a MessageHeader are refused (E1008)") if h.message_header_required
         else _("hospital {code}: the MessageHeader is optional")).format(code=code)))


@hospital.command("endpoint", help=_("Where and as whom the NCMS calls the hospital's own service (zysjcxjk)."))
@click.option("--code", required=True, help=HOSPITAL)
@click.option("--url", required=True, help=_("The hospital's own SOAP address, e.g. "
                                             "https://his.example.cn/NcmsService.asmx; \"\" removes it."))
@click.option("--user", "endpoint_user", default="", help=_("The hospital's user the NCMS calls as."))
@click.option("--password-file", type=click.File("r", encoding="utf-8"),
              help=_("A file holding that user's password (- for standard input); asked for when omitted."))
@pass_context
def hospital_endpoint(ctx: Context, code, url, endpoint_user, password_file) -> None:
    password = ""
    if url:
        if not endpoint_user:
            raise click.UsageError(_("--user is needed with an endpoint"))
        password = (_read_secret(password_file) if password_file is not None
                    else click.prompt(_("password of {user} at {code}").format(user=endpoint_user, code=code),
                                      hide_input=True))
    with ctx.calling("identity"):
        h = ctx.identity.SetHospitalEndpoint(_pb().SetHospitalEndpointRequest(
            code=code, endpoint=url, user=endpoint_user, password=password)).hospital
    ctx.emit(_hospital_dict(h), lambda: click.echo(
        _("hospital {code}: endpoint {url}, calling as {user}").format(code=code, url=h.endpoint,
                                                                        user=h.endpoint_user)
        if h.endpoint else _("hospital {code}: endpoint removed").format(code=code)))


def _key_state(h) -> str:
    text = f"v{h.key_version}"
    if h.previous_key_version:
        text += " " + _("(v{old} too until {time})").format(old=h.previous_key_version,
                                                           time=stamp_time(h.previous_key_expire_time))
    return text


@hospital.command("list", help=_("The registered hospitals, with their keys (and any overlap) and state."))
@pass_context
def hospital_list(ctx: Context) -> None:
    with ctx.calling("identity"):
        hospitals = ctx.identity.ListHospitals(_pb().ListHospitalsRequest()).hospitals

    def human() -> None:
        table([_("code"), _("name"), _("level"), _("algorithm"), _("signing key"), _("state"), _("MessageHeader"),
               _("endpoint")],
              [[h.code, h.name, level_name(h.level), _algorithm_name(h.digest_algorithm), _key_state(h),
                (_("disabled: {reason}").format(reason=h.disable_reason or "-") if h.HasField("disable_time")
                 else _("active")), _("must be sent") if h.message_header_required else _("optional"), h.endpoint]
               for h in hospitals])
        click.echo(ngettext("{n} hospital", "{n} hospitals", len(hospitals)).format(n=len(hospitals)))

    ctx.emit({"hospitals": [_hospital_dict(h) for h in hospitals]}, human)


# --- user -------------------------------------------------------------------------------

@click.group(help=_("Hospital users: add, approve, reject, change, reset a password, unlock, delete."))
def user() -> None:
    pass


def _ips(text: str) -> list[str]:
    return [ip.strip() for ip in text.split(",") if ip.strip()]


@user.command("add", help=_("Add a user, authorised at once. The password is asked for (or read from "
                            "standard input or a file), never taken from the command line."))
@click.option("--hospital", required=True, help=HOSPITAL)
@click.option("--user", "name", required=True, help=USER)
@password_options
@click.option("--ips", required=True, help=_("Allowed client IPs or CIDRs, comma-separated."))
@click.option("--permissions", required=True, help=_("Permission letters A-J, e.g. CDEF."))
@pass_context
def user_add(ctx: Context, hospital, name, password, password_file, ips, permissions) -> None:
    secret = read_password(password, password_file, name)
    with ctx.calling("identity"):
        created = ctx.identity.CreateUser(_pb().CreateUserRequest(
            hospital_code=hospital, name=name, password=secret, allowed_ips=_ips(ips),
            permissions=permissions)).user
    ctx.emit(_user_dict(created), lambda: click.echo(
        _("user {user} of {hospital} added: active, letters {letters}, from {ips}").format(
            user=created.name, hospital=created.hospital_code, letters=created.permissions or "-",
            ips=", ".join(created.allowed_ips))))


@user.command("approve", help=_("Authorise a user requested through Yhzjjk."))
@click.option("--hospital", required=True, help=HOSPITAL)
@click.option("--user", "name", required=True, help=_("The pending user."))
@click.option("--permissions", default=None, help=_("Grant only these letters (a subset of those requested)."))
@pass_context
def user_approve(ctx: Context, hospital, name, permissions) -> None:
    request = _pb().ApproveUserRequest(hospital_code=hospital, name=name)
    if permissions is not None:
        request.permissions = permissions
    with ctx.calling("identity"):
        approved = ctx.identity.ApproveUser(request).user
    ctx.emit(_user_dict(approved), lambda: click.echo(
        _("user {user} of {hospital} approved with letters {letters}").format(
            user=approved.name, hospital=approved.hospital_code, letters=approved.permissions or "-")))


@user.command("reject", help=_("Refuse a user requested through Yhzjjk; the name may be requested again."))
@click.option("--hospital", required=True, help=HOSPITAL)
@click.option("--user", "name", required=True, help=_("The pending user."))
@click.option("--reason", default="", help=REASON)
@pass_context
def user_reject(ctx: Context, hospital, name, reason) -> None:
    with ctx.calling("identity"):
        rejected = ctx.identity.RejectUser(_pb().RejectUserRequest(hospital_code=hospital, name=name,
                                                                   reason=reason)).user
    ctx.emit(_user_dict(rejected), lambda: click.echo(
        _("request for user {user} of {hospital} rejected").format(user=name, hospital=hospital)))


@user.command("change", help=_("Change a user's allowed addresses and/or permission letters."))
@click.option("--hospital", required=True, help=HOSPITAL)
@click.option("--user", "name", required=True, help=USER)
@click.option("--ips", default=None, help=_("The new list of allowed IPs or CIDRs (replaces the old one)."))
@click.option("--permissions", default=None, help=_("The new permission letters (replace the old ones)."))
@pass_context
def user_change(ctx: Context, hospital, name, ips, permissions) -> None:
    pb = _pb()
    if ips is None and permissions is None:
        raise click.UsageError(_("give --ips, --permissions or both"))
    request = pb.UpdateUserRequest(hospital_code=hospital, name=name)
    if ips is not None:
        request.allowed_ips.CopyFrom(pb.AddressList(entries=_ips(ips)))
    if permissions is not None:
        request.permissions = permissions
    with ctx.calling("identity"):
        changed = ctx.identity.UpdateUser(request).user
    ctx.emit(_user_dict(changed), lambda: click.echo(
        _("user {user} of {hospital}: letters {letters}, from {ips}").format(
            user=changed.name, hospital=changed.hospital_code, letters=changed.permissions or "-",
            ips=", ".join(changed.allowed_ips))))


@user.command("reset-password", help=_(
    "Set a new password for a user who forgot theirs, and lift any lock-out. Until the user changes it "
    "(yhklxgjk) every other call is refused (E1006)."))
@click.option("--hospital", required=True, help=HOSPITAL)
@click.option("--user", "name", required=True, help=USER)
@password_options
@pass_context
def user_reset_password(ctx: Context, hospital, name, password, password_file) -> None:
    secret = read_password(password, password_file, name)
    with ctx.calling("identity"):
        reset = ctx.identity.ResetPassword(_pb().ResetPasswordRequest(
            hospital_code=hospital, name=name, password=secret)).user
    ctx.emit(_user_dict(reset), lambda: click.echo(
        _("password of {user} at {hospital} reset; the user must change it (yhklxgjk) before any other call")
        .format(user=name, hospital=hospital)))


@user.command("list", help=_("Users of a hospital with their state, addresses and letters."))
@click.option("--hospital", required=True, help=HOSPITAL)
@click.option("--pending", is_flag=True, help=_("Only users waiting for approval."))
@pass_context
def user_list(ctx: Context, hospital, pending) -> None:
    with ctx.calling("identity"):
        users = ctx.identity.ListUsers(_pb().ListUsersRequest(hospital_code=hospital, pending_only=pending)).users

    def state(u) -> str:
        text = _(STATES.get(u.state, "?"))
        return text + (" " + _("(must change password)") if u.must_change_password else "")

    def human() -> None:
        table([_("user"), _("state"), _("letters"), _("allowed IPs"), _("locked until (Beijing time)"),
               _("failures"), _("requested by")],
              [[u.name, state(u), u.permissions or "-", ",".join(u.allowed_ips),
                stamp_time(u.locked_until, zone=False), u.failed_attempts or "", u.requested_by] for u in users])

    ctx.emit({"users": [_user_dict(u) for u in users]}, human)


@user.command("unlock", help=_("Lift a lock-out after failed passwords."))
@click.option("--hospital", required=True, help=HOSPITAL)
@click.option("--user", "name", required=True, help=_("The locked user."))
@pass_context
def user_unlock(ctx: Context, hospital, name) -> None:
    with ctx.calling("identity"):
        response = ctx.identity.UnlockUser(_pb().UnlockUserRequest(hospital_code=hospital, name=name))
    ctx.emit({**_user_dict(response.user), "was_locked": response.was_locked}, lambda: click.echo(
        (_("user {user} of {hospital} unlocked") if response.was_locked else
         _("user {user} of {hospital} was not locked; nothing to unlock")).format(user=name, hospital=hospital)))


@user.command("delete", help=_("Delete a user (as Yhscjk does from the hospital's side); the name may be "
                               "given again later."))
@click.option("--hospital", required=True, help=HOSPITAL)
@click.option("--user", "name", required=True, help=USER)
@click.option("--reason", default="", help=REASON)
@click.option("--yes", is_flag=True, help=YES)
@pass_context
def user_delete(ctx: Context, hospital, name, reason, yes) -> None:
    _confirm(yes or ctx.json_output, _("Delete user {user} of {hospital}?").format(user=name, hospital=hospital))
    with ctx.calling("identity"):
        removed = ctx.identity.RemoveUser(_pb().RemoveUserRequest(hospital_code=hospital, name=name,
                                                                  reason=reason)).user
    ctx.emit(_user_dict(removed), lambda: click.echo(
        _("user {user} of {hospital} deleted").format(user=name, hospital=hospital)))


# --- client -------------------------------------------------------------------------------

@click.group(help=_("Service credentials for internal systems calling the suite over gRPC."))
def client() -> None:
    pass


def _client_dict(found) -> dict:
    return message_dict(found)


@client.command("add", help=_("Create a client and print its secret (shown only once)."))
@click.option("--name", required=True, help=_("Client name, e.g. billing-export."))
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(["internal", "admin", "gateway"]),
              help=_("Role(s): internal (read and act for hospitals), admin, gateway."))
@click.option("--hospital", default="", help=_("Bind the client to one hospital."))
@click.option("--permissions", default="", help=_("Permission letters A-J (for a bound client)."))
@pass_context
def client_add(ctx: Context, name, roles, hospital, permissions) -> None:
    with ctx.calling("identity"):
        response = ctx.identity.CreateClient(_pb().CreateClientRequest(
            name=name, roles=list(roles), hospital_code=hospital, permissions=permissions))

    def human() -> None:
        click.echo(_("client {name} created (roles {roles})").format(name=name, roles=", ".join(response.client.roles)))
        _show_client_secret(response.client_secret)

    ctx.emit({**_client_dict(response.client), "client_secret": response.client_secret}, human)


def _show_client_secret(secret: str) -> None:
    click.echo(_("client secret: {secret}").format(secret=secret))
    click.echo(_("Store it in the client's secret store; it is not shown again."))


def _client_state(c) -> str:
    if c.HasField("revoke_time"):
        return _("revoked {time}").format(time=stamp_time(c.revoke_time, zone=False))
    return _("built in") if c.builtin else _("active")


@client.command("list", help=_("The service clients."))
@pass_context
def client_list(ctx: Context) -> None:
    with ctx.calling("identity"):
        clients = ctx.identity.ListClients(_pb().ListClientsRequest()).clients
    ctx.emit({"clients": [_client_dict(c) for c in clients]}, lambda: table(
        [_("name"), _("roles"), _("hospital"), _("letters"), _("state"), _("created (Beijing time)"),
         _("secret rotated")],
        [[c.name, ",".join(c.roles), c.hospital_code, c.permissions, _client_state(c),
          stamp_time(c.create_time, zone=False), stamp_time(c.secret_rotate_time, zone=False)] for c in clients]))


@client.command("rotate-secret", help=_(
    "Issue a new secret for a client and print it (shown only once); the old secret stops working at once "
    "(tokens already issued live until they expire, five minutes by default)."))
@click.option("--name", required=True, help=_("The client."))
@click.option("--yes", is_flag=True, help=YES)
@pass_context
def client_rotate_secret(ctx: Context, name, yes) -> None:
    _confirm(yes or ctx.json_output, _("Issue a new secret for client {name}? Its old secret stops working at "
                                       "once.").format(name=name))
    with ctx.calling("identity"):
        response = ctx.identity.RotateClientSecret(_pb().RotateClientSecretRequest(name=name))

    def human() -> None:
        click.echo(_("client {name}: new secret issued").format(name=name))
        _show_client_secret(response.client_secret)

    ctx.emit({**_client_dict(response.client), "client_secret": response.client_secret}, human)


@client.command("revoke", help=_(
    "Revoke a client: it gets no token any more (tokens already issued live until they expire)."))
@click.option("--name", required=True, help=_("The client."))
@click.option("--reason", default="", help=REASON)
@click.option("--yes", is_flag=True, help=YES)
@pass_context
def client_revoke(ctx: Context, name, reason, yes) -> None:
    _confirm(yes or ctx.json_output, _("Revoke client {name}? It cannot be used again.").format(name=name))
    with ctx.calling("identity"):
        revoked = ctx.identity.RevokeClient(_pb().RevokeClientRequest(name=name, reason=reason)).client
    ctx.emit(_client_dict(revoked), lambda: click.echo(_("client {name} revoked").format(name=name)))


# --- audit ---------------------------------------------------------------------------------

@click.command(help=_("The newest audit events (every call, accepted or refused, and administrative actions)."))
@click.option("--hospital", default="", help=_("Only this hospital."))
@click.option("--user", "name", default="", help=_("Only this user."))
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1000))
@pass_context
def audit(ctx: Context, hospital, name, limit) -> None:
    with ctx.calling("identity"):
        events = ctx.identity.ListAuditEvents(_pb().ListAuditEventsRequest(
            hospital_code=hospital, user=name, page_size=limit)).events
    ctx.emit({"events": [message_dict(e) for e in events]}, lambda: table(
        [_("time (Beijing time)"), _("kind"), _("hospital"), _("user"), _("ip"), _("operation"), _("outcome"),
         _("code"), _("detail")],
        [[stamp_time(e.time, zone=False), _audit_word(e.kind), e.hospital_code, e.user or e.actor, e.client_ip,
          e.operation, _audit_word(e.outcome), e.error_code, e.detail] for e in events]))


def _audit_word(word: str) -> str:
    return _(AUDIT_WORDS[word]) if word in AUDIT_WORDS else word
