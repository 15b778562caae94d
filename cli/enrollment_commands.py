"""``ncms enrollment``: the insured households and members."""

from __future__ import annotations

from pathlib import Path

import click

from .catalog_commands import CHECK, ENCODING, SKIP_BAD
from .context import Context, message_dict, pass_context, table
from .i18n import N_, _
from .importing import ENROLLMENT_ALIASES, Progress, TableFile, refused_import, show_bad_lines

REQUIRED = ("chzh", "grbm", "xm", "cbnd", "cbzt", "rylb")
IMPORT_TIMEOUT = 4 * 3600.0
STATUSES = {"ENROLLMENT_STATUS_ACTIVE": "1 正常", "ENROLLMENT_STATUS_STOPPED": "0 停止",
            "ENROLLMENT_STATUS_NONE": N_("not enrolled (未参合)")}


def _pb():
    from ncms.enrollment.v1 import enrollment_pb2

    return enrollment_pb2


def _stub(ctx: Context):
    from ncms.enrollment.v1 import enrollment_pb2_grpc

    return ctx.stub("enrollment", enrollment_pb2_grpc.EnrollmentServiceStub)


@click.group(help=_("Enrolment (参合) records: households, members, years."))
def enrollment() -> None:
    pass


@enrollment.command("import", help=_(
    "Load or update enrolment records from a CSV file (UTF-8 or GBK) or an Excel workbook (.xlsx) with a "
    "header row, one row per member and year. Columns (or their Chinese names): chzh 参合证号, grbm 个人编码, "
    "xm 姓名, xb 性别, csrq 出生日期, sfzh 身份证号, yhzgx 与户主关系, hzxm 户主姓名, jtdz 家庭地址, "
    "xzqh 行政区划, cbnd 参合年度, cbzt 参合状态, rylb 人员类别. Importing the same file again changes "
    "nothing."))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@SKIP_BAD
@CHECK
@ENCODING
@pass_context
def enrollment_import(ctx: Context, file: Path, skip_bad: bool, check: bool, encoding: str | None) -> None:
    import grpc

    pb = _pb()
    source = TableFile(file, ENROLLMENT_ALIASES, REQUIRED, encoding)
    progress = Progress(_("checking") if check else _("importing"), source.rows, quiet=ctx.json_output)

    def requests():
        for chunk in source.csv_chunks(progress):
            yield pb.ImportEnrollmentRequest(skip_bad=skip_bad, check_only=check, csv_chunk=chunk)

    try:
        with ctx.calling("enrollment"):
            try:
                response = _stub(ctx).ImportEnrollment(requests(), timeout=IMPORT_TIMEOUT)
            except grpc.RpcError as exc:
                if exc.code() != grpc.StatusCode.INVALID_ARGUMENT:
                    raise
                raise refused_import(ctx, "enrollment", exc, ENROLLMENT_ALIASES) from None
    finally:
        progress.done()
    bad = [(line.line_number, line.reason) for line in response.skipped]
    counts = dict(rows=response.rows, file=file, new_members=response.members_inserted,
                  changed_members=response.members_updated, new_years=response.enrollments_inserted,
                  changed_years=response.enrollments_updated, unchanged=response.unchanged)

    def human() -> None:
        if check:
            if bad:
                show_bad_lines(bad, ENROLLMENT_ALIASES, err=False)
            click.echo(_("{rows:,} good rows in {file} ({encoding}), {bad:,} bad lines: an import would add "
                         "{new_members:,} members and change {changed_members:,}, add {new_years:,} enrolments "
                         "and change {changed_years:,}; nothing was imported").format(
                encoding=source.encoding, bad=response.skipped_total, **counts))
            return
        click.echo(_("{rows:,} rows from {file}: members {new_members:,} new, {changed_members:,} changed; "
                     "enrolments {new_years:,} new, {changed_years:,} changed; {unchanged:,} rows unchanged")
                   .format(**counts))
        for line, reason in bad:
            click.echo(_("skipped line {line}: {reason}").format(line=line, reason=reason), err=True)
        if response.skipped_total > len(response.skipped):
            click.echo(_("... {n:,} more lines skipped").format(n=response.skipped_total - len(response.skipped)),
                       err=True)

    ctx.emit({**message_dict(response), "encoding": source.encoding}, human)
    if check and response.skipped_total:
        raise SystemExit(1)


@enrollment.command("household", help=_("A household with its members and their enrolment in a year."))
@click.option("--card", required=True, help=_("参合证号 chzh."))
@click.option("--year", type=int, default=0, help=_("Enrolment year (default: this year)."))
@pass_context
def enrollment_household(ctx: Context, card: str, year: int) -> None:
    pb = _pb()
    with ctx.calling("enrollment"):
        response = _stub(ctx).GetHousehold(pb.GetHouseholdRequest(card=card, year=year))
    h = response.household

    def status(number: int) -> str:
        name = STATUSES.get(pb.EnrollmentStatus.Name(number), "")
        return _(name) if name else ""

    def human() -> None:
        click.echo(_("household {card}: head {head}, {address} ({region})").format(
            card=h.card, head=h.head_name, address=h.address, region=h.region_code))
        table([_("member"), _("name"), _("sex"), _("born"), _("relation"), _("year"), _("status"), _("category")],
              [[m.member.member_id, m.member.name, m.member.sex, m.member.birth_date, m.member.relation,
                m.enrollment.year, status(m.enrollment.status), m.enrollment.category]
               for m in response.members])

    ctx.emit(message_dict(response), human)
