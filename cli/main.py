"""``ncms``: the NCMS administrator's command (admin.md).

Each command's module is imported only when that command runs (or shows its help),
and gRPC, protobuf and the settings only when a command needs them: ``ncms --help``
starts in a fraction of a second.
"""

from __future__ import annotations

import importlib
import json
import os
import sys

import click

from .context import CommandError, Context
from .i18n import N_, _

# name -> (module, attribute, one line for `ncms --help`)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "up": ("cli.up_command", "up", N_("Start every service and the gateway on this machine; Ctrl-C stops them.")),
    "migrate": ("cli.migrate_command", "migrate", N_("Apply database migrations (all services, or those named).")),
    "hospital": ("cli.identity_commands", "hospital",
                 N_("Designated hospitals (定点医疗机构), their signing keys and endpoints.")),
    "user": ("cli.identity_commands", "user", N_("Hospital users: add, approve, reject, change, reset a password, unlock, delete.")),
    "client": ("cli.identity_commands", "client",
               N_("Service credentials for internal systems calling the suite over gRPC.")),
    "staff": ("cli.staff_commands", "staff",
              N_("The centre's staff who sign in to the web console (合管中心管理台).")),
    "audit": ("cli.identity_commands", "audit", N_("The newest audit events (every call, accepted or refused, and administrative actions).")),
    "policy": ("cli.policy_commands", "policy",
               N_("Compensation policies (补偿方案): check, import, show, compare, try.")),
    "catalog": ("cli.catalog_commands", "catalog",
                N_("The NCMS catalog (农合目录) and hospital items' mappings to it.")),
    "enrollment": ("cli.enrollment_commands", "enrollment", N_("Enrolment (参合) records: households, members, years.")),
    "settlement": ("cli.settlement_commands", "settlement", N_("Settlements (结算) and their calculation.")),
    "inpatient": ("cli.inpatient_commands", "inpatient",
                  N_("In-patients (住院) as their hospital's own system sees them right now.")),
    "reconcile": ("cli.reconcile_command", "reconcile",
                  N_("The NCMS side of a hospital's day and its latest reconciliations (dzjk).")),
    "report": ("cli.report_command", "report", N_("Supervision report of a period: CSV files and an HTML page.")),
    "demo": ("cli.demo_command", "demo", N_("Act as the sandbox hospital's HIS against the running suite.")),
}


def _set_json(ctx: click.Context, _param, value: bool) -> None:
    if value:
        ctx.ensure_object(Context).json_output = True


def _with_json_option(command: click.Command) -> None:
    """Every command but `up` accepts --json (one JSON object on stdout)."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _with_json_option(sub)
        return
    if command.name != "up" and not any(p.name == "json" for p in command.params):
        command.params.append(click.Option(
            ["--json"], is_flag=True, expose_value=False, is_eager=True, callback=_set_json,
            help=_("Print exactly one JSON object on stdout.")))


class LazyGroup(click.Group):
    """Commands imported when used; `--help` lists them from the table above."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attribute, _short = COMMANDS[name]
        command = getattr(importlib.import_module(module), attribute)
        _with_json_option(command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, _(short)) for name, (_module, _attribute, short) in COMMANDS.items()]
        with formatter.section(_("Commands")):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
             help=_("""Run and administer the NCMS–HIS interface suite.

Commands talk to the running services over gRPC at the addresses in
NCMS_IDENTITY_ADDRESS, NCMS_CATALOG_ADDRESS, ... (default 127.0.0.1:50051-50054), as
the administrator client whose secret is NCMS_ADMIN_CLIENT_SECRET (or the file
NCMS_ADMIN_CLIENT_SECRET_FILE; in development, $NCMS_DATA_DIR/secrets/).

Messages are in Simplified Chinese; with an English locale (LANG=en_US.UTF-8, or C)
in English."""))
@click.version_option(package_name="ncms-his-suite", prog_name="ncms")
@click.pass_context
def cli(ctx: click.Context) -> None:
    ctx.call_on_close(ctx.ensure_object(Context).close)


def main() -> None:
    context = Context()
    try:
        cli.main(standalone_mode=False, prog_name="ncms", obj=context)
    except click.exceptions.Abort:
        click.echo(_("aborted"), err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        if context.json_output:
            code = exc.code if isinstance(exc, CommandError) else "USAGE"
            details = exc.details if isinstance(exc, CommandError) else {}
            click.echo(json.dumps({"error": {"code": code, "message": exc.format_message(), **details}},
                                  ensure_ascii=False))
        sys.exit(exc.exit_code)
    except SystemExit:
        raise
    except Exception as exc:
        if os.environ.get("NCMS_DEBUG"):
            raise
        click.echo(_("error: unexpected failure ({kind}: {problem}); set NCMS_DEBUG=1 to see the details").format(
            kind=type(exc).__name__, problem=exc), err=True)
        if context.json_output:
            click.echo(json.dumps({"error": {"code": "UNEXPECTED", "message": str(exc)}},
                                  ensure_ascii=False))
        sys.exit(1)
