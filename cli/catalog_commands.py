"""``ncms catalog``: the NCMS catalog and the hospitals' mappings to it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click

from .context import HOSPITAL, Context, message_dict, pass_context, table
from .i18n import N_, _, stamp_time
from .importing import CATALOG_ALIASES, Progress, Row, TableFile, refused_import, show_bad_lines

KINDS = {"drug": "ITEM_KIND_DRUG", "service": "ITEM_KIND_SERVICE"}
CLASSES = {"CHARGE_CLASS_A": "甲", "CHARGE_CLASS_B": "乙", "CHARGE_CLASS_C": "丙"}
SOURCES = {"MAPPING_SOURCE_NONE": N_("unmapped"), "MAPPING_SOURCE_PROPOSED": N_("proposed"),
           "MAPPING_SOURCE_APPROVAL_NUMBER": N_("approval number"),
           "MAPPING_SOURCE_NAME_AND_SPEC": N_("name and spec"), "MAPPING_SOURCE_MANUAL": N_("manual")}
REQUIRED = ("nhbm", "mc", "sfdj")
BATCH = 1000
IMPORT_TIMEOUT = 3600.0

kind_option = click.option("--kind", required=True, type=click.Choice(list(KINDS)),
                           help=_("drug (药品) or service (诊疗项目)."))
ITEM = _("The hospital's item code (yyxmbm).")
ENCODING = click.option(
    "--encoding", type=click.Choice(["utf-8", "gbk", "gb18030"], case_sensitive=False), default=None,
    help=_("The CSV file's encoding (default: found out; UTF-8 with or without BOM, or GBK/GB18030)."))
CHECK = click.option("--check", is_flag=True,
                     help=_("Check every line and list each bad one (line, column, reason); import nothing."))
SKIP_BAD = click.option("--skip-bad", is_flag=True, help=_(
    "Import the good lines and report the bad ones (default: a bad line stops the import, nothing kept)."))


def _pb():
    from ncms.catalog.v1 import catalog_pb2

    return catalog_pb2


def _kind(name: str) -> int:
    return _pb().ItemKind.Value(KINDS[name]) if name else 0


def _kind_name(number: int) -> str:
    return next((name for name, enum in KINDS.items() if _pb().ItemKind.Value(enum) == number), "")


def _class_name(number: int) -> str:
    return CLASSES.get(_pb().ChargeClass.Name(number), "")


def _source_name(number: int) -> str:
    name = SOURCES.get(_pb().MappingSource.Name(number))
    return _(name) if name else ""


def _stub(ctx: Context):
    from ncms.catalog.v1 import catalog_pb2_grpc

    return ctx.stub("catalog", catalog_pb2_grpc.CatalogServiceStub)


@click.group(help=_("The NCMS catalog (农合目录) and hospital items' mappings to it."))
def catalog() -> None:
    pass


def _requests(rows: Iterator[Row], kind: int, columns: int, skip_bad: bool, check: bool, progress: Progress):
    pb = _pb()
    batch: list = []
    sent = False

    def message():
        return pb.ImportNcmsCatalogRequest(kind=kind, skip_bad=skip_bad, rows=batch, header_columns=columns,
                                           check_only=check)

    for row in rows:
        batch.append(pb.ImportRow(line_number=row.line, values=row.values, cells=row.cells))
        if len(batch) >= BATCH:
            yield message()
            progress.advance(len(batch))
            batch, sent = [], True
    if batch or not sent:
        yield message()
        progress.advance(len(batch))


@catalog.command("import", help=_(
    "Load or update the NCMS catalog from a CSV file (UTF-8 or GBK) or an Excel workbook (.xlsx) with a "
    "header row. Columns (or their Chinese names): nhbm 农合目录编码 (the key), mc 名称, gg 规格, jx 剂型, "
    "dw 单位, pzwh 批准文号, sfdj 收费等级 (甲/乙/丙), zfbl 自付比例 (乙类 share; empty: the policy's "
    "default), xj 限价 (optional price limit). A changed item gets a new version; the old one is kept, so "
    "earlier settlements can still be explained."))
@kind_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@SKIP_BAD
@CHECK
@ENCODING
@pass_context
def catalog_import(ctx: Context, kind: str, file: Path, skip_bad: bool, check: bool, encoding: str | None) -> None:
    import grpc

    source = TableFile(file, CATALOG_ALIASES, REQUIRED, encoding)
    progress = Progress(_("checking") if check else _("importing"), source.rows, quiet=ctx.json_output)
    try:
        with ctx.calling("catalog"):
            try:
                response = _stub(ctx).ImportNcmsCatalog(
                    _requests(source.read(), _kind(kind), source.header.cells, skip_bad, check, progress),
                    timeout=IMPORT_TIMEOUT)
            except grpc.RpcError as exc:
                if exc.code() != grpc.StatusCode.INVALID_ARGUMENT:
                    raise
                raise refused_import(ctx, "catalog", exc, CATALOG_ALIASES) from None
    finally:
        progress.done()
    bad = [(line.line_number, line.reason) for line in response.skipped]

    def human() -> None:
        if check:
            if bad:
                show_bad_lines(bad, CATALOG_ALIASES, err=False)
            click.echo(_("{file} checked ({encoding}): {new} new, {changed} changed, {unchanged} unchanged, "
                         "{bad} bad lines; nothing was imported").format(
                file=file, encoding=source.encoding, new=response.inserted, changed=response.updated,
                unchanged=response.unchanged, bad=response.skipped_total))
            return
        click.echo(_("{kind} catalog imported from {file}: {new} new, {changed} changed, {unchanged} unchanged")
                   .format(kind=kind, file=file, new=response.inserted, changed=response.updated,
                           unchanged=response.unchanged))
        if response.newly_mapped:
            click.echo(_("{n} hospital items that were unmapped are mapped now").format(n=response.newly_mapped))
        for line, reason in bad:
            click.echo(_("skipped line {line}: {reason}").format(line=line, reason=reason), err=True)

    ctx.emit({**message_dict(response), "encoding": source.encoding}, human)
    if check and response.skipped_total:
        raise SystemExit(1)


@catalog.command("unmapped", help=_("Hospital items not mapped to the NCMS catalog (self-paid until mapped)."))
@click.option("--hospital", required=True, help=HOSPITAL)
@click.option("--kind", type=click.Choice(list(KINDS)), default=None, help=_("Only drugs or services."))
@pass_context
def catalog_unmapped(ctx: Context, hospital: str, kind: str | None) -> None:
    pb = _pb()
    stub = _stub(ctx)
    items, token, total = [], "", 0
    with ctx.calling("catalog"):
        while True:
            page = stub.ListUnmappedItems(pb.ListUnmappedItemsRequest(
                hospital_code=hospital, kind=_kind(kind or ""), page_size=1000, page_token=token))
            items += page.items
            total, token = page.total, page.next_page_token
            if not token:
                break

    def human() -> None:
        table([_("kind"), _("item"), _("name"), _("spec"), _("approval no."), _("price"), _("proposed nhbm")],
              [[_kind_name(i.kind), i.code, i.name, i.specification, i.approval_number, i.price,
                i.proposed_ncms_code] for i in items])
        click.echo(_("{n} unmapped").format(n=total))

    ctx.emit({"total": total, "items": [_item_dict(i) for i in items]}, human)


@catalog.command("map", help=_("Map one hospital item to an NCMS item by hand."))
@click.option("--hospital", required=True, help=HOSPITAL)
@kind_option
@click.option("--item", "code", required=True, help=ITEM)
@click.option("--nhbm", required=True, help=_("The NCMS catalog code to map it to."))
@pass_context
def catalog_map(ctx: Context, hospital: str, kind: str, code: str, nhbm: str) -> None:
    with ctx.calling("catalog"):
        item = _stub(ctx).MapItem(_pb().MapItemRequest(
            hospital_code=hospital, kind=_kind(kind), code=code, ncms_code=nhbm)).item
    ctx.emit(_item_dict(item), lambda: click.echo(
        _("{kind} item {item} ({name}) of {hospital} mapped to {nhbm}").format(
            kind=kind, item=item.code, name=item.name, hospital=hospital, nhbm=item.ncms_code)))


@catalog.command("item", help=_("A hospital item with its history of changes and mappings."))
@click.option("--hospital", required=True, help=HOSPITAL)
@kind_option
@click.option("--item", "code", required=True, help=ITEM)
@pass_context
def catalog_item(ctx: Context, hospital: str, kind: str, code: str) -> None:
    with ctx.calling("catalog"):
        response = _stub(ctx).GetHospitalItem(_pb().GetHospitalItemRequest(
            hospital_code=hospital, kind=_kind(kind), code=code))
    item = response.item

    def human() -> None:
        if item.deleted:
            state = _("deleted")
        elif item.ncms_code:
            state = _("mapped to {nhbm} ({source})").format(nhbm=item.ncms_code,
                                                             source=_source_name(item.mapping_source))
        else:
            state = _("unmapped")
        click.echo(_("{kind} {item} {name} {spec} price {price}: {state}").format(
            kind=kind, item=item.code, name=item.name, spec=item.specification, price=item.price, state=state))
        table([_("time (Beijing time)"), _("event"), _("name"), _("price"), _("proposed"), "nhbm", _("by rule"),
               _("actor")],
              [[stamp_time(e.time, zone=False), e.event, e.name, e.price, e.proposed_ncms_code, e.ncms_code,
                _source_name(e.mapping_source) if e.mapping_source else "", e.actor] for e in response.history])

    ctx.emit({"item": _item_dict(item), "history": [message_dict(e) for e in response.history]}, human)


@catalog.command("search", help=_("NCMS items whose code is QUERY or whose name contains it."))
@click.argument("query")
@click.option("--kind", type=click.Choice(list(KINDS)), default=None)
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 500))
@pass_context
def catalog_search(ctx: Context, query: str, kind: str | None, limit: int) -> None:
    with ctx.calling("catalog"):
        items = _stub(ctx).SearchNcmsItems(_pb().SearchNcmsItemsRequest(
            query=query, kind=_kind(kind or ""), page_size=limit)).items
    ctx.emit({"items": [message_dict(i) for i in items]}, lambda: table(
        [_("kind"), "nhbm", _("name"), _("spec"), _("unit"), _("approval no."), _("class"), "zfbl", "xj"],
        [[_kind_name(i.kind), i.code, i.name, i.specification, i.unit, i.approval_number,
          _class_name(i.charge_class), i.self_pay_ratio, i.price_limit] for i in items]))


def _item_dict(item) -> dict:
    data = message_dict(item)
    data["kind"] = _kind_name(item.kind)
    data["mapping_source"] = SOURCES.get(_pb().MappingSource.Name(item.mapping_source), "")  # untranslated
    return data
