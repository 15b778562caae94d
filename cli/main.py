"""``ncms``: the NCMS administrator's command (admin.md)."""

from __future__ import annotations

import json
import os
import sys

import click

from . import (
    catalog_commands,
    demo_command,
    enrollment_commands,
    identity_commands,
    inpatient_commands,
    migrate_command,
    reconcile_command,
    report_command,
    settlement_commands,
    up_command,
)
from .context import CommandError, Context


def _set_json(ctx: click.Context, _param, value: bool) -> None:
    if value:
        ctx.ensure_object(Context).json_output = True


def _with_json_option(command: click.Command) -> None:
    """Every command but `up` accepts --json (one JSON object on stdout)."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _with_json_option(sub)
        return
    if command.name != "up":
        command.params.append(click.Option(
            ["--json"], is_flag=True, expose_value=False, is_eager=True, callback=_set_json,
            help="Print exactly one JSON object on stdout."))


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="ncms-his-suite", prog_name="ncms")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Run and administer the NCMS–HIS interface suite.

    Commands talk to the running services over gRPC at the addresses in
    NCMS_IDENTITY_ADDRESS, NCMS_CATALOG_ADDRESS, ... (default 127.0.0.1:50051-50054),
    as the administrator client whose secret is NCMS_ADMIN_CLIENT_SECRET (or the file
    NCMS_ADMIN_CLIENT_SECRET_FILE; in development, $NCMS_DATA_DIR/secrets/).
    """
    ctx.call_on_close(ctx.ensure_object(Context).close)


cli.add_command(up_command.up)
cli.add_command(migrate_command.migrate)
cli.add_command(identity_commands.hospital)
cli.add_command(identity_commands.user)
cli.add_command(identity_commands.client)
cli.add_command(identity_commands.audit)
cli.add_command(catalog_commands.catalog)
cli.add_command(enrollment_commands.enrollment)
cli.add_command(settlement_commands.settlement)
cli.add_command(inpatient_commands.inpatient)
cli.add_command(demo_command.demo)
cli.add_command(reconcile_command.reconcile)
cli.add_command(report_command.report)
_with_json_option(cli)


def main() -> None:
    context = Context()
    try:
        cli.main(standalone_mode=False, prog_name="ncms", obj=context)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        if context.json_output:
            code = exc.code if isinstance(exc, CommandError) else "USAGE"
            click.echo(json.dumps({"error": {"code": code, "message": exc.format_message()}},
                                  ensure_ascii=False))
        sys.exit(exc.exit_code)
    except SystemExit:
        raise
    except Exception as exc:
        if os.environ.get("NCMS_DEBUG"):
            raise
        click.echo(f"error: unexpected failure ({type(exc).__name__}: {exc}); "
                   "set NCMS_DEBUG=1 to see the details", err=True)
        if context.json_output:
            click.echo(json.dumps({"error": {"code": "UNEXPECTED", "message": str(exc)}},
                                  ensure_ascii=False))
        sys.exit(1)
