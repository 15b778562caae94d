"""``ncms enrollment``: the insured households and members."""

from __future__ import annotations

from pathlib import Path

import click

from ncms.enrollment.v1 import enrollment_pb2, enrollment_pb2_grpc

from .context import Context, message_dict, table
from .importing import Progress, check_csv, file_chunks

COLUMNS = "chzh, grbm, xm, xb, csrq, sfzh, yhzgx, hzxm, jtdz, xzqh, cbnd, cbzt, rylb"
REQUIRED = ("chzh", "grbm", "xm", "cbnd", "cbzt", "rylb")
IMPORT_TIMEOUT = 4 * 3600.0
STATUSES = {enrollment_pb2.ENROLLMENT_STATUS_ACTIVE: "1 正常", enrollment_pb2.ENROLLMENT_STATUS_STOPPED: "0 停止",
            enrollment_pb2.ENROLLMENT_STATUS_NONE: "未参合"}

pass_context = click.make_pass_decorator(Context)


def _stub(ctx: Context) -> enrollment_pb2_grpc.EnrollmentServiceStub:
    return ctx.stub("enrollment", enrollment_pb2_grpc.EnrollmentServiceStub)


@click.group()
def enrollment() -> None:
    """Enrolment (参合) records: households, members, years."""


@enrollment.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--skip-bad", is_flag=True, help="Import the good lines and report the bad ones "
                                               "(default: a bad line stops the import, nothing kept).")
@pass_context
def enrollment_import(ctx: Context, file: Path, skip_bad: bool) -> None:
    """Load or update enrolment records from a UTF-8 CSV file with a header row.

    One row per member and year; columns: chzh, grbm, xm, xb, csrq, sfzh, yhzgx, hzxm,
    jtdz, xzqh, cbnd, cbzt, rylb. Importing the same file again changes nothing.
    """
    rows = check_csv(file, REQUIRED, COLUMNS)
    progress = Progress("importing", rows, quiet=ctx.json_output)

    def requests():
        for chunk in file_chunks(file, progress):
            yield enrollment_pb2.ImportEnrollmentRequest(skip_bad=skip_bad, csv_chunk=chunk)

    with ctx.calling("enrollment"):
        try:
            response = _stub(ctx).ImportEnrollment(requests(), timeout=IMPORT_TIMEOUT)
        finally:
            progress.done()

    def human() -> None:
        click.echo(f"{response.rows:,} rows from {file}: members {response.members_inserted:,} new, "
                   f"{response.members_updated:,} changed; enrolments {response.enrollments_inserted:,} new, "
                   f"{response.enrollments_updated:,} changed; {response.unchanged:,} rows unchanged")
        for line in response.skipped:
            click.echo(f"skipped line {line.line_number}: {line.reason}", err=True)
        if response.skipped_total > len(response.skipped):
            click.echo(f"... {response.skipped_total - len(response.skipped):,} more lines skipped", err=True)

    ctx.emit(message_dict(response), human)


@enrollment.command("household")
@click.option("--card", required=True, help="参合证号 chzh.")
@click.option("--year", type=int, default=0, help="Enrolment year (default: this year).")
@pass_context
def enrollment_household(ctx: Context, card: str, year: int) -> None:
    """A household with its members and their enrolment in a year."""
    with ctx.calling("enrollment"):
        response = _stub(ctx).GetHousehold(enrollment_pb2.GetHouseholdRequest(card=card, year=year))
    h = response.household

    def human() -> None:
        click.echo(f"household {h.card}: head {h.head_name}, {h.address} ({h.region_code})")
        table(["member", "name", "sex", "born", "relation", "year", "status", "category"],
              [[m.member.member_id, m.member.name, m.member.sex, m.member.birth_date, m.member.relation,
                m.enrollment.year, STATUSES.get(m.enrollment.status, ""), m.enrollment.category]
               for m in response.members])

    ctx.emit(message_dict(response), human)
