"""``ncms hospital``, ``ncms user``, ``ncms client`` and ``ncms audit``."""

from __future__ import annotations

import click

from ncms.identity.v1 import identity_pb2

from .context import Context, message_dict, table

LEVELS = {1: "村卫生室", 2: "乡镇卫生院", 3: "县级", 4: "市级", 5: "省级及市外"}
ALGORITHMS = {"HMAC-SHA256": identity_pb2.DIGEST_ALGORITHM_HMAC_SHA256,
              "HMAC-SM3": identity_pb2.DIGEST_ALGORITHM_HMAC_SM3}
ALGORITHM_NAMES = {v: k for k, v in ALGORITHMS.items()}
STATES = {identity_pb2.USER_STATE_PENDING: "pending", identity_pb2.USER_STATE_ACTIVE: "active",
          identity_pb2.USER_STATE_DELETED: "deleted"}

pass_context = click.make_pass_decorator(Context)


def _hospital_dict(hospital) -> dict:
    data = message_dict(hospital)
    data["digest_algorithm"] = ALGORITHM_NAMES.get(hospital.digest_algorithm, "")
    return data


def _user_dict(user) -> dict:
    data = message_dict(user)
    data["state"] = STATES.get(user.state, "")
    return data


def _when(stamp) -> str:
    return stamp.ToDatetime().strftime("%Y-%m-%d %H:%M:%S") if stamp.seconds else ""


# --- hospital -------------------------------------------------------------------------

@click.group()
def hospital() -> None:
    """Designated hospitals (定点医疗机构) and their signing keys."""


@hospital.command("add")
@click.option("--code", required=True, help="医院代码 yydm, letters and digits.")
@click.option("--name", required=True, help="The hospital's name.")
@click.option("--level", required=True, type=click.IntRange(1, 5),
              help="1 村卫生室, 2 乡镇卫生院, 3 县级, 4 市级, 5 省级及市外.")
@click.option("--algorithm", type=click.Choice(list(ALGORITHMS)), default="HMAC-SHA256",
              show_default=True, help="Digest algorithm of the hospital's messages.")
@click.option("--endpoint", default="", help="The hospital's own SOAP address (for zysjcxjk).")
@click.option("--endpoint-user", default="", help="The hospital's user the NCMS calls the endpoint as.")
@click.option("--endpoint-password-file", type=click.File("r", encoding="utf-8"),
              help="A file holding that user's password (- for stdin).")
@click.option("--signing-key-file", type=click.File("r", encoding="utf-8"),
              help="Install this key instead of issuing one: on a hospital's own service, the key "
                   "its NCMS issued (- for stdin).")
@pass_context
def hospital_add(ctx: Context, code, name, level, algorithm, endpoint, endpoint_user,
                 endpoint_password_file, signing_key_file) -> None:
    """Register a hospital and print its new signing key (shown only once)."""
    if endpoint_user and endpoint_password_file is None:
        raise click.UsageError("--endpoint-user needs --endpoint-password-file")
    with ctx.calling("identity"):
        response = ctx.identity.CreateHospital(identity_pb2.CreateHospitalRequest(
            code=code, name=name, level=level, digest_algorithm=ALGORITHMS[algorithm],
            endpoint=endpoint, endpoint_user=endpoint_user,
            endpoint_password=_read_secret(endpoint_password_file),
            signing_key=_read_secret(signing_key_file)))
    data = {**_hospital_dict(response.hospital), "signing_key": response.signing_key}

    def human() -> None:
        h = response.hospital
        click.echo(f"hospital {h.code} {h.name} registered (level {h.level} {LEVELS[h.level]}, {algorithm})")
        if signing_key_file is not None:
            click.echo("signing key installed as given")
            return
        click.echo(f"signing key: {response.signing_key}")
        click.echo("Hand the key to the hospital out of band. It is not shown again; "
                   "`ncms hospital rotate-key` issues a new one.")

    ctx.emit(data, human)


def _read_secret(file) -> str:
    """The first line of a secret file (a trailing line break is not part of it)."""
    return "" if file is None else file.read().strip("\r\n")


@hospital.command("rotate-key")
@click.option("--code", required=True, help="医院代码 yydm.")
@click.option("--signing-key-file", type=click.File("r", encoding="utf-8"),
              help="Install this key instead of issuing one (on a hospital's own service: the new "
                   "key its NCMS issued; - for stdin).")
@pass_context
def hospital_rotate_key(ctx: Context, code, signing_key_file) -> None:
    """Issue a new signing key; the old one stops working at once."""
    with ctx.calling("identity"):
        response = ctx.identity.RotateHospitalKey(identity_pb2.RotateHospitalKeyRequest(
            code=code, signing_key=_read_secret(signing_key_file)))
    data = {**_hospital_dict(response.hospital), "signing_key": response.signing_key}

    def human() -> None:
        click.echo(f"hospital {code}: key version {response.hospital.key_version}")
        if signing_key_file is None:
            click.echo(f"signing key: {response.signing_key}")
            click.echo("The previous key no longer verifies. It is not shown again.")
        else:
            click.echo("The key given is installed; the previous key no longer verifies.")

    ctx.emit(data, human)


@hospital.command("endpoint")
@click.option("--code", required=True, help="医院代码 yydm.")
@click.option("--url", required=True, help="The hospital's own SOAP address, e.g. "
                                           "https://his.example.cn/NcmsService.asmx; \"\" removes it.")
@click.option("--user", "endpoint_user", default="", help="The hospital's user the NCMS calls as.")
@click.option("--password-file", type=click.File("r", encoding="utf-8"),
              help="A file holding that user's password (- for stdin); asked for when omitted.")
@pass_context
def hospital_endpoint(ctx: Context, code, url, endpoint_user, password_file) -> None:
    """Where and as whom the NCMS calls the hospital's own service (zysjcxjk)."""
    password = ""
    if url:
        if not endpoint_user:
            raise click.UsageError("--user is needed with an endpoint")
        password = (_read_secret(password_file) if password_file is not None
                    else click.prompt(f"password of {endpoint_user} at {code}", hide_input=True))
    with ctx.calling("identity"):
        hospital = ctx.identity.SetHospitalEndpoint(identity_pb2.SetHospitalEndpointRequest(
            code=code, endpoint=url, user=endpoint_user, password=password)).hospital
    ctx.emit(_hospital_dict(hospital), lambda: click.echo(
        f"hospital {code}: endpoint {hospital.endpoint}, calling as {hospital.endpoint_user}"
        if hospital.endpoint else f"hospital {code}: endpoint removed"))


@hospital.command("list")
@pass_context
def hospital_list(ctx: Context) -> None:
    """The registered hospitals."""
    with ctx.calling("identity"):
        hospitals = ctx.identity.ListHospitals(identity_pb2.ListHospitalsRequest()).hospitals
    ctx.emit({"hospitals": [_hospital_dict(h) for h in hospitals]}, lambda: table(
        ["code", "name", "level", "algorithm", "key", "endpoint"],
        [[h.code, h.name, f"{h.level} {LEVELS.get(h.level, '')}", ALGORITHM_NAMES.get(h.digest_algorithm),
          f"v{h.key_version}", h.endpoint] for h in hospitals]))


# --- user -------------------------------------------------------------------------------

@click.group()
def user() -> None:
    """Hospital users: add, approve, list, unlock."""


@user.command("add")
@click.option("--hospital", required=True, help="医院代码 yydm.")
@click.option("--user", "name", required=True, help="User name.")
@click.option("--password", required=True,
              help="At least 8 characters, 3 of upper/lower/digit/other, not containing the name.")
@click.option("--ips", required=True, help="Allowed client IPs or CIDRs, comma-separated.")
@click.option("--permissions", required=True, help="Permission letters A-J, e.g. CDEF.")
@pass_context
def user_add(ctx: Context, hospital, name, password, ips, permissions) -> None:
    """Add a user, authorised at once."""
    with ctx.calling("identity"):
        created = ctx.identity.CreateUser(identity_pb2.CreateUserRequest(
            hospital_code=hospital, name=name, password=password,
            allowed_ips=[ip.strip() for ip in ips.split(",") if ip.strip()],
            permissions=permissions)).user
    ctx.emit(_user_dict(created), lambda: click.echo(
        f"user {created.name} of {created.hospital_code} added: active, letters "
        f"{created.permissions or '-'}, from {', '.join(created.allowed_ips)}"))


@user.command("approve")
@click.option("--hospital", required=True, help="医院代码 yydm.")
@click.option("--user", "name", required=True, help="The pending user.")
@click.option("--permissions", default=None,
              help="Grant only these letters (a subset of those requested).")
@pass_context
def user_approve(ctx: Context, hospital, name, permissions) -> None:
    """Authorise a user requested through Yhzjjk."""
    request = identity_pb2.ApproveUserRequest(hospital_code=hospital, name=name)
    if permissions is not None:
        request.permissions = permissions
    with ctx.calling("identity"):
        approved = ctx.identity.ApproveUser(request).user
    ctx.emit(_user_dict(approved), lambda: click.echo(
        f"user {approved.name} of {approved.hospital_code} approved with letters "
        f"{approved.permissions or '-'}"))


@user.command("list")
@click.option("--hospital", required=True, help="医院代码 yydm.")
@click.option("--pending", is_flag=True, help="Only users waiting for approval.")
@pass_context
def user_list(ctx: Context, hospital, pending) -> None:
    """Users of a hospital with their state, addresses and letters."""
    with ctx.calling("identity"):
        users = ctx.identity.ListUsers(identity_pb2.ListUsersRequest(
            hospital_code=hospital, pending_only=pending)).users
    ctx.emit({"users": [_user_dict(u) for u in users]}, lambda: table(
        ["user", "state", "letters", "allowed IPs", "locked until", "failures", "requested by"],
        [[u.name, STATES.get(u.state), u.permissions or "-", ",".join(u.allowed_ips),
          _when(u.locked_until), u.failed_attempts or "", u.requested_by] for u in users]))


@user.command("unlock")
@click.option("--hospital", required=True, help="医院代码 yydm.")
@click.option("--user", "name", required=True, help="The locked user.")
@pass_context
def user_unlock(ctx: Context, hospital, name) -> None:
    """Lift a lock-out after failed passwords."""
    with ctx.calling("identity"):
        unlocked = ctx.identity.UnlockUser(identity_pb2.UnlockUserRequest(
            hospital_code=hospital, name=name)).user
    ctx.emit(_user_dict(unlocked), lambda: click.echo(
        f"user {unlocked.name} of {unlocked.hospital_code} unlocked"))


# --- client -------------------------------------------------------------------------------

@click.group()
def client() -> None:
    """Service credentials for internal systems calling the suite over gRPC."""


@client.command("add")
@click.option("--name", required=True, help="Client name, e.g. billing-export.")
@click.option("--role", "roles", multiple=True, required=True,
              type=click.Choice(["internal", "admin", "gateway"]),
              help="Role(s): internal (read and act for hospitals), admin, gateway.")
@click.option("--hospital", default="", help="Bind the client to one hospital.")
@click.option("--permissions", default="", help="Permission letters A-J (for a bound client).")
@pass_context
def client_add(ctx: Context, name, roles, hospital, permissions) -> None:
    """Create a client and print its secret (shown only once)."""
    with ctx.calling("identity"):
        response = ctx.identity.CreateClient(identity_pb2.CreateClientRequest(
            name=name, roles=list(roles), hospital_code=hospital, permissions=permissions))
    data = {**message_dict(response.client), "client_secret": response.client_secret}

    def human() -> None:
        click.echo(f"client {name} created (roles {', '.join(response.client.roles)})")
        click.echo(f"client secret: {response.client_secret}")
        click.echo("Store it in the client's secret store; it is not shown again.")

    ctx.emit(data, human)


@client.command("list")
@pass_context
def client_list(ctx: Context) -> None:
    """The service clients."""
    with ctx.calling("identity"):
        clients = ctx.identity.ListClients(identity_pb2.ListClientsRequest()).clients
    ctx.emit({"clients": [message_dict(c) for c in clients]}, lambda: table(
        ["name", "roles", "hospital", "letters", "created"],
        [[c.name, ",".join(c.roles), c.hospital_code, c.permissions, _when(c.create_time)]
         for c in clients]))


# --- audit ---------------------------------------------------------------------------------

@click.command()
@click.option("--hospital", default="", help="Only this hospital.")
@click.option("--user", "name", default="", help="Only this user.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1000))
@pass_context
def audit(ctx: Context, hospital, name, limit) -> None:
    """The newest audit events (every call, accepted or refused, and admin actions)."""
    with ctx.calling("identity"):
        events = ctx.identity.ListAuditEvents(identity_pb2.ListAuditEventsRequest(
            hospital_code=hospital, user=name, page_size=limit)).events
    ctx.emit({"events": [message_dict(e) for e in events]}, lambda: table(
        ["time (UTC)", "kind", "hospital", "user", "ip", "operation", "outcome", "code", "detail"],
        [[_when(e.time), e.kind, e.hospital_code, e.user or e.actor, e.client_ip, e.operation,
          e.outcome, e.error_code, e.detail] for e in events]))
