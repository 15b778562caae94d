"""``ncms staff``: the people of the NCMS centre who sign in to the web console.

The first account is made here (``ncms staff add``); afterwards an administrator may
manage the others in the console as well. Passwords follow the contract's rules and
are never given on the command line (see ``ncms user add``).
"""

from __future__ import annotations

import click

from .context import Context, message_dict, pass_context, table
from .i18n import N_, _, stamp_time
from .identity_commands import REASON, YES, _confirm, password_options, read_password

ROLES = ("administrator", "catalog-clerk", "fund-officer", "auditor")
ROLE_NAMES = {"administrator": N_("administrator"), "catalog-clerk": N_("catalog clerk"),
              "fund-officer": N_("fund officer"), "auditor": N_("auditor")}
NAME = _("The person's login name (lower-case letters, digits, '.', '_', '-').")


def _pb():
    from ncms.identity.v1 import staff_pb2

    return staff_pb2


def _staff(ctx: Context):
    from ncms.identity.v1 import staff_pb2_grpc

    return ctx.services("identity", staff_pb2_grpc)


def _roles_text(roles) -> str:
    return "、".join(_(ROLE_NAMES.get(role, role)) for role in roles) or "-"


def _state(member) -> str:
    if member.disabled:
        return _("disabled")
    if member.locked_until.seconds:
        return _("locked until {time}").format(time=stamp_time(member.locked_until))
    return _("active") + (" (" + _("must change the password") + ")" if member.must_change_password else "")


@click.group(help=_("The centre's staff who sign in to the web console: add, list, roles, reset, unlock, "
                    "disable."))
def staff() -> None:
    pass


@staff.command("add", help=_(
    "Add a person with one or more roles. Unless --keep-password, the person chooses their own password at "
    "the first sign-in."))
@click.option("--name", required=True, help=NAME)
@click.option("--display-name", default="", help=_("The name people read, e.g. 王芳."))
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(ROLES),
              help=_("A role (give --role again for more)."))
@password_options
@click.option("--keep-password", is_flag=True,
              help=_("The person chose this password: no change at the first sign-in."))
@pass_context
def staff_add(ctx: Context, name, display_name, roles, password, password_file, keep_password) -> None:
    secret = read_password(password, password_file, name)
    with ctx.calling("identity"):
        added = _staff(ctx).CreateStaff(_pb().CreateStaffRequest(
            name=name, display_name=display_name or name, roles=list(roles), password=secret,
            keep_password=keep_password)).staff
    console = ctx.settings.console_public_url or f"http://{ctx.settings.console_address}/"
    ctx.emit(message_dict(added), lambda: click.echo(
        _("{name} ({display}) added: {roles}; signs in at {url}").format(
            name=added.name, display=added.display_name, roles=_roles_text(added.roles), url=console)
        + ("" if keep_password else "\n" + _("the password must be changed at the first sign-in"))))


@staff.command("list", help=_("Every person with their roles, state and last sign-in (Beijing time)."))
@pass_context
def staff_list(ctx: Context) -> None:
    with ctx.calling("identity"):
        found = _staff(ctx).ListStaff(_pb().ListStaffRequest()).staff
    ctx.emit({"staff": [message_dict(member) for member in found]}, lambda: table(
        [_("name"), _("display name"), _("roles"), _("state"), _("second factor"),
         _("last sign-in (Beijing time)")],
        [(m.name, m.display_name, _roles_text(m.roles), _state(m), _("on") if m.totp_enabled else _("off"),
          stamp_time(m.last_sign_in_time, zone=False)) for m in found]))


@staff.command("roles", help=_("Replace a person's roles."))
@click.option("--name", required=True, help=NAME)
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(ROLES),
              help=_("A role (give --role again for more)."))
@pass_context
def staff_roles(ctx: Context, name, roles) -> None:
    with ctx.calling("identity"):
        changed = _staff(ctx).UpdateStaff(_pb().UpdateStaffRequest(name=name, roles=list(roles), set_roles=True)).staff
    ctx.emit(message_dict(changed), lambda: click.echo(_("{name}: {roles}").format(
        name=changed.name, roles=_roles_text(changed.roles))))


@staff.command("reset-password", help=_(
    "Set a new password for a person who forgot theirs (they change it at the next sign-in); lifts a "
    "lock-out and ends their sessions."))
@click.option("--name", required=True, help=NAME)
@password_options
@pass_context
def staff_reset_password(ctx: Context, name, password, password_file) -> None:
    secret = read_password(password, password_file, name)
    with ctx.calling("identity"):
        reset = _staff(ctx).ResetStaffPassword(_pb().ResetStaffPasswordRequest(name=name, password=secret)).staff
    ctx.emit(message_dict(reset), lambda: click.echo(
        _("password of {name} reset; it must be changed at the next sign-in").format(name=reset.name)))


@staff.command("unlock", help=_("Lift a lock-out after failed sign-ins."))
@click.option("--name", required=True, help=NAME)
@pass_context
def staff_unlock(ctx: Context, name) -> None:
    with ctx.calling("identity"):
        answer = _staff(ctx).UnlockStaff(_pb().UnlockStaffRequest(name=name))
    ctx.emit({**message_dict(answer.staff), "was_locked": answer.was_locked}, lambda: click.echo(
        (_("{name} unlocked") if answer.was_locked else _("{name} was not locked; nothing to unlock")).format(
            name=answer.staff.name)))


@staff.command("disable", help=_("Disable an account: it cannot sign in, and its sessions end at once."))
@click.option("--name", required=True, help=NAME)
@click.option("--reason", default="", help=REASON)
@click.option("--yes", is_flag=True, help=YES)
@pass_context
def staff_disable(ctx: Context, name, reason, yes) -> None:
    _confirm(yes or ctx.json_output, _("Disable {name}?").format(name=name))
    with ctx.calling("identity"):
        disabled = _staff(ctx).DisableStaff(_pb().DisableStaffRequest(name=name, reason=reason)).staff
    ctx.emit(message_dict(disabled), lambda: click.echo(_("{name} disabled").format(name=disabled.name)))


@staff.command("enable", help=_("Enable a disabled account again."))
@click.option("--name", required=True, help=NAME)
@pass_context
def staff_enable(ctx: Context, name) -> None:
    with ctx.calling("identity"):
        enabled = _staff(ctx).EnableStaff(_pb().EnableStaffRequest(name=name)).staff
    ctx.emit(message_dict(enabled), lambda: click.echo(_("{name} enabled").format(name=enabled.name)))


@staff.command("remove-totp", help=_("Remove a person's second factor (a lost phone); they may enrol again."))
@click.option("--name", required=True, help=NAME)
@pass_context
def staff_remove_totp(ctx: Context, name) -> None:
    with ctx.calling("identity"):
        changed = _staff(ctx).RemoveStaffTotp(_pb().RemoveStaffTotpRequest(name=name)).staff
    ctx.emit(message_dict(changed), lambda: click.echo(
        _("second factor of {name} removed").format(name=changed.name)))
