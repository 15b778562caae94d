"""``ncms migrate``: bring the service databases to the current schema."""

from __future__ import annotations

import click

from .context import CommandError, Context, pass_context
from .i18n import _
from .services import SERVICES


@click.command(help=_("Apply database migrations (all services, or those named).") + "\n\n" + _(
    "Each service owns its database "
    "(NCMS_<SERVICE>_DATABASE_URL; default a SQLite file under NCMS_DATA_DIR). In production run this before "
    "starting a new version; in development the services apply migrations themselves when they start."))
@click.argument("services", nargs=-1, type=click.Choice(sorted(SERVICES)))
@click.option("--check", is_flag=True, help=_("Only report pending migrations; exit 1 if any."))
@click.option("--new-revision", "message", metavar="MESSAGE",
              help=_("(Developers) write a migration for one service from its model changes."))
@pass_context
def migrate(ctx: Context, services: tuple[str, ...], check: bool, message: str | None) -> None:
    from runtime.db import Database, new_revision, pending_migrations
    from runtime.db import migrate as apply_migrations

    names = list(services) or sorted(SERVICES)
    if message is not None:
        if len(names) != 1:
            raise CommandError(_("--new-revision needs exactly one service"))
        db = Database(ctx.settings.database_url(names[0]))
        try:
            new_revision(db, SERVICES[names[0]].migrations, message)
        finally:
            db.dispose()
        return
    report: dict[str, list[str]] = {}
    for name in names:
        db = Database(ctx.settings.database_url(name))
        try:
            package = SERVICES[name].migrations
            report[name] = pending_migrations(db, package)
            if report[name] and not check:
                apply_migrations(db, package)
        except Exception as exc:
            raise CommandError(_("{service}: migration failed: {problem}").format(service=name, problem=exc)) \
                from None
        finally:
            db.dispose()

    def human() -> None:
        for name, pending in report.items():
            if not pending:
                click.echo(_("{service}: up to date").format(service=name))
            elif check:
                click.echo(_("{service}: {n} pending ({revisions})").format(
                    service=name, n=len(pending), revisions=", ".join(reversed(pending))))
            else:
                click.echo(_("{service}: applied {revisions}").format(service=name,
                                                                      revisions=", ".join(reversed(pending))))

    ctx.emit({"services": {n: {"pending" if check else "applied": list(reversed(p))}
                           for n, p in report.items()}}, human)
    if check and any(report.values()):
        raise SystemExit(1)
