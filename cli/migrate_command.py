"""``ncms migrate``: bring the service databases to the current schema."""

from __future__ import annotations

import click

from runtime.db import Database, new_revision, pending_migrations
from runtime.db import migrate as apply_migrations

from .context import CommandError, Context
from .services import SERVICES

pass_context = click.make_pass_decorator(Context)


@click.command()
@click.argument("services", nargs=-1, type=click.Choice(sorted(SERVICES)))
@click.option("--check", is_flag=True, help="Only report pending migrations; exit 1 if any.")
@click.option("--new-revision", "message", metavar="MESSAGE",
              help="(Developers) write a migration for one service from its model changes.")
@pass_context
def migrate(ctx: Context, services: tuple[str, ...], check: bool, message: str | None) -> None:
    """Apply database migrations (all services, or those named).

    Each service owns its database (NCMS_<SERVICE>_DATABASE_URL; default a SQLite
    file under NCMS_DATA_DIR). In production run this before starting a new version;
    in development the services apply migrations themselves when they start.
    """
    names = list(services) or sorted(SERVICES)
    if message is not None:
        if len(names) != 1:
            raise CommandError("--new-revision needs exactly one service")
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
            raise CommandError(f"{name}: migration failed: {exc}") from None
        finally:
            db.dispose()

    def human() -> None:
        for name, pending in report.items():
            if not pending:
                click.echo(f"{name}: up to date")
            elif check:
                click.echo(f"{name}: {len(pending)} pending ({', '.join(reversed(pending))})")
            else:
                click.echo(f"{name}: applied {', '.join(reversed(pending))}")

    ctx.emit({"services": {n: {"pending" if check else "applied": list(reversed(p))}
                           for n, p in report.items()}}, human)
    if check and any(report.values()):
        raise SystemExit(1)
