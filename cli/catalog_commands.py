"""``ncms catalog``: the NCMS catalog and the hospitals' mappings to it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click

from ncms.catalog.v1 import catalog_pb2, catalog_pb2_grpc

from .context import Context, message_dict, table
from .importing import Progress, check_csv, csv_rows

KINDS = {"drug": catalog_pb2.ITEM_KIND_DRUG, "service": catalog_pb2.ITEM_KIND_SERVICE}
KIND_NAMES = {v: k for k, v in KINDS.items()}
CLASSES = {catalog_pb2.CHARGE_CLASS_A: "甲", catalog_pb2.CHARGE_CLASS_B: "乙", catalog_pb2.CHARGE_CLASS_C: "丙"}
SOURCES = {catalog_pb2.MAPPING_SOURCE_NONE: "unmapped", catalog_pb2.MAPPING_SOURCE_PROPOSED: "proposed",
           catalog_pb2.MAPPING_SOURCE_APPROVAL_NUMBER: "approval number",
           catalog_pb2.MAPPING_SOURCE_NAME_AND_SPEC: "name and spec",
           catalog_pb2.MAPPING_SOURCE_MANUAL: "manual"}
REQUIRED = ("nhbm", "mc", "sfdj")
BATCH = 1000
IMPORT_TIMEOUT = 3600.0

pass_context = click.make_pass_decorator(Context)
kind_option = click.option("--kind", required=True, type=click.Choice(list(KINDS)),
                           help="drug (药品) or service (诊疗项目).")


def _stub(ctx: Context) -> catalog_pb2_grpc.CatalogServiceStub:
    return ctx.stub("catalog", catalog_pb2_grpc.CatalogServiceStub)


@click.group()
def catalog() -> None:
    """The NCMS catalog (农合目录) and hospital items' mappings to it."""


def _requests(path: Path, kind: int, skip_bad: bool, progress: Progress) -> Iterator[catalog_pb2.ImportNcmsCatalogRequest]:
    batch: list[catalog_pb2.ImportRow] = []
    sent = False
    for line, values in csv_rows(path):
        batch.append(catalog_pb2.ImportRow(line_number=line, values=values))
        if len(batch) >= BATCH:
            yield catalog_pb2.ImportNcmsCatalogRequest(kind=kind, skip_bad=skip_bad, rows=batch)
            progress.advance(len(batch))
            batch, sent = [], True
    if batch or not sent:
        yield catalog_pb2.ImportNcmsCatalogRequest(kind=kind, skip_bad=skip_bad, rows=batch)
        progress.advance(len(batch))


@catalog.command("import")
@kind_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--skip-bad", is_flag=True, help="Import the good lines and report the bad ones "
                                               "(default: a bad line stops the import, nothing kept).")
@pass_context
def catalog_import(ctx: Context, kind: str, file: Path, skip_bad: bool) -> None:
    """Load or update the NCMS catalog from a UTF-8 CSV file with a header row.

    Columns: nhbm (key), mc, gg, jx, dw, pzwh, sfdj (甲/乙/丙), zfbl (乙类 share; empty:
    the policy's default), xj (optional price limit). A changed item gets a new version; the old one is
    kept, so earlier settlements can still be explained.
    """
    rows = check_csv(file, REQUIRED, "nhbm, mc, gg, jx, dw, pzwh, sfdj, zfbl, xj")
    progress = Progress("importing", rows, quiet=ctx.json_output)
    with ctx.calling("catalog"):
        try:
            response = _stub(ctx).ImportNcmsCatalog(
                _requests(file, KINDS[kind], skip_bad, progress), timeout=IMPORT_TIMEOUT)
        finally:
            progress.done()
    data = message_dict(response)

    def human() -> None:
        click.echo(f"{kind} catalog imported from {file}: {response.inserted} new, "
                   f"{response.updated} changed, {response.unchanged} unchanged")
        if response.newly_mapped:
            click.echo(f"{response.newly_mapped} hospital items that were unmapped are mapped now")
        for line in response.skipped:
            click.echo(f"skipped line {line.line_number}: {line.reason}", err=True)

    ctx.emit(data, human)


@catalog.command("unmapped")
@click.option("--hospital", required=True, help="医院代码 yydm.")
@click.option("--kind", type=click.Choice(list(KINDS)), default=None, help="Only drugs or services.")
@pass_context
def catalog_unmapped(ctx: Context, hospital: str, kind: str | None) -> None:
    """Hospital items not mapped to the NCMS catalog (self-paid until mapped)."""
    stub = _stub(ctx)
    items, token, total = [], "", 0
    with ctx.calling("catalog"):
        while True:
            page = stub.ListUnmappedItems(catalog_pb2.ListUnmappedItemsRequest(
                hospital_code=hospital, kind=KINDS.get(kind or "", 0), page_size=1000, page_token=token))
            items += page.items
            total, token = page.total, page.next_page_token
            if not token:
                break
    ctx.emit({"total": total, "items": [_item_dict(i) for i in items]}, lambda: (table(
        ["kind", "item", "name", "spec", "approval no.", "price", "proposed nhbm"],
        [[KIND_NAMES[i.kind], i.code, i.name, i.specification, i.approval_number, i.price,
          i.proposed_ncms_code] for i in items]), click.echo(f"{total} unmapped")))


@catalog.command("map")
@click.option("--hospital", required=True, help="医院代码 yydm.")
@kind_option
@click.option("--item", "code", required=True, help="The hospital's item code (yyxmbm).")
@click.option("--nhbm", required=True, help="The NCMS catalog code to map it to.")
@pass_context
def catalog_map(ctx: Context, hospital: str, kind: str, code: str, nhbm: str) -> None:
    """Map one hospital item to an NCMS item by hand."""
    with ctx.calling("catalog"):
        item = _stub(ctx).MapItem(catalog_pb2.MapItemRequest(
            hospital_code=hospital, kind=KINDS[kind], code=code, ncms_code=nhbm)).item
    ctx.emit(_item_dict(item), lambda: click.echo(
        f"{kind} item {item.code} ({item.name}) of {hospital} mapped to {item.ncms_code}"))


@catalog.command("item")
@click.option("--hospital", required=True, help="医院代码 yydm.")
@kind_option
@click.option("--item", "code", required=True, help="The hospital's item code (yyxmbm).")
@pass_context
def catalog_item(ctx: Context, hospital: str, kind: str, code: str) -> None:
    """A hospital item with its history of changes and mappings."""
    with ctx.calling("catalog"):
        response = _stub(ctx).GetHospitalItem(catalog_pb2.GetHospitalItemRequest(
            hospital_code=hospital, kind=KINDS[kind], code=code))
    item = response.item

    def human() -> None:
        state = "deleted" if item.deleted else (f"mapped to {item.ncms_code} ({SOURCES[item.mapping_source]})"
                                                if item.ncms_code else "unmapped")
        click.echo(f"{kind} {item.code} {item.name} {item.specification} price {item.price}: {state}")
        table(["time (UTC)", "event", "name", "price", "proposed", "nhbm", "by rule", "actor"],
              [[e.time.ToDatetime().strftime("%Y-%m-%d %H:%M:%S"), e.event, e.name, e.price,
                e.proposed_ncms_code, e.ncms_code, SOURCES.get(e.mapping_source, ""), e.actor]
               for e in response.history])

    ctx.emit({"item": _item_dict(item), "history": [message_dict(e) for e in response.history]}, human)


@catalog.command("search")
@click.argument("query")
@click.option("--kind", type=click.Choice(list(KINDS)), default=None)
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 500))
@pass_context
def catalog_search(ctx: Context, query: str, kind: str | None, limit: int) -> None:
    """NCMS items whose code is QUERY or whose name contains it."""
    with ctx.calling("catalog"):
        items = _stub(ctx).SearchNcmsItems(catalog_pb2.SearchNcmsItemsRequest(
            query=query, kind=KINDS.get(kind or "", 0), page_size=limit)).items
    ctx.emit({"items": [message_dict(i) for i in items]}, lambda: table(
        ["kind", "nhbm", "name", "spec", "unit", "approval no.", "class", "zfbl", "xj"],
        [[KIND_NAMES[i.kind], i.code, i.name, i.specification, i.unit, i.approval_number,
          CLASSES[i.charge_class], i.self_pay_ratio, i.price_limit] for i in items]))


def _item_dict(item) -> dict:
    data = message_dict(item)
    data["kind"] = KIND_NAMES.get(item.kind, "")
    data["mapping_source"] = SOURCES.get(item.mapping_source, "")
    return data

