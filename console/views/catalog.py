"""The catalog clerk's pages: the mapping work queue with the NCMS catalog searchable
beside it, one-click mapping with the reason kept, and an item's history."""

from __future__ import annotations

import grpc
from flask import Blueprint, abort, g, render_template, request, url_for

from ncms.catalog.v1 import catalog_pb2

from ..app import act, console, refusal, requires
from ..exports import export
from ..templating import ITEM_KINDS, named
from .common import ANYONE, CLERK, Paging, export_format, hospitals, paging

blueprint = Blueprint("catalog", __name__)
KINDS = {"drug": catalog_pb2.ITEM_KIND_DRUG, "service": catalog_pb2.ITEM_KIND_SERVICE}


def _kind(slug: str) -> int:
    if slug not in KINDS:
        abort(404)
    return KINDS[slug]


def _queue_request(pages, size: int | None = None) -> catalog_pb2.ListMappingQueueRequest:
    args = request.args
    return catalog_pb2.ListMappingQueueRequest(
        hospital_code=args.get("hospital", "").strip(), kind=KINDS.get(args.get("kind", ""), 0),
        query=args.get("q", "").strip(), changed_only=args.get("changed") == "1", order_by=pages.sort,
        page_size=size or pages.size, page=pages.page)


@blueprint.get("/catalog/queue")
@requires(*ANYONE)
def queue():
    pages = paging("updated", {"updated", "hospital", "code", "name"})
    backends = console().backends
    wanted = export_format()
    if wanted:
        rows, page = [], 1
        while True:
            found = backends.catalog.ListMappingQueue(_queue_request(Paging(page, 500, pages.sort)))
            rows += found.items
            if len(found.items) < 500 or len(rows) >= 50_000:
                break
            page += 1
        return export("mapping-queue", wanted, [
            g._("Hospital"), g._("Kind"), g._("Item code"), g._("Name"), g._("Generic name"), g._("Specification"),
            g._("Approval number"), g._("Price (yuan)"), g._("Changed"), g._("Updated (Beijing time)")],
            [(q.item.hospital_code, named(ITEM_KINDS, q.item.kind), q.item.code, q.item.name, q.item.generic_name,
              q.item.specification, q.item.approval_number, q.item.price, g._("yes") if q.changed else "",
              q.item.update_time.ToDatetime().strftime("%Y-%m-%d %H:%M:%S")) for q in rows])
    found = backends.catalog.ListMappingQueue(_queue_request(pages))
    selected = None
    code = request.args.get("item", "")
    for queued in found.items:
        if code and queued.item.code == code and queued.item.hospital_code == request.args.get("item_hospital", ""):
            selected = queued.item
    search = request.args.get("search", "").strip()
    if selected is None and found.items and not code:
        selected = found.items[0].item
    if selected is not None and not search:
        search = selected.generic_name or selected.name
    results = _search(search, selected.kind if selected is not None else 0) if search else []
    return render_template("queue.html", queue=found.items, total=found.total_count, pages=pages,
                           selected=selected, search=search, results=results, hospitals=hospitals())


def _search(text: str, kind: int) -> list:
    return list(console().backends.catalog.SearchNcmsItems(catalog_pb2.SearchNcmsItemsRequest(
        query=text[:100], kind=kind, page_size=30)).items)


@blueprint.get("/catalog/ncms")
@requires(*ANYONE)
def ncms_search():
    """The NCMS catalog, searched: a page of its own, or the panel beside the queue (htmx)."""
    text = request.args.get("search", "").strip()
    kind = KINDS.get(request.args.get("kind", ""), 0)
    results = _search(text, kind) if text else []
    selected = None
    code, hospital = request.args.get("item", ""), request.args.get("item_hospital", "")
    if code and hospital and kind:
        selected = console().backends.catalog.GetHospitalItem(catalog_pb2.GetHospitalItemRequest(
            hospital_code=hospital, kind=kind, code=code)).item
    template = "ncms_results.html" if request.headers.get("HX-Request") else "ncms_search.html"
    return render_template(template, results=results, search=text, selected=selected)


@blueprint.post("/catalog/items/<hospital>/<kind>/<code>/map")
@requires(CLERK)
def map_item(hospital: str, kind: str, code: str):
    ncms_code = request.form.get("ncms_code", "").strip()
    back = request.form.get("back", "")
    if not back.startswith("/") or back.startswith("//"):
        back = url_for("catalog.queue")
    return act(lambda: console().backends.catalog.MapItem(catalog_pb2.MapItemRequest(
        hospital_code=hospital, kind=_kind(kind), code=code, ncms_code=ncms_code,
        reason=request.form.get("reason", ""))),
        g._("{item} is mapped to {ncms}; the next bill is priced with it.").format(item=code, ncms=ncms_code), back)[0]


@blueprint.get("/catalog/items/<hospital>/<kind>/<code>")
@requires(*ANYONE)
def item(hospital: str, kind: str, code: str):
    try:
        found = console().backends.catalog.GetHospitalItem(catalog_pb2.GetHospitalItemRequest(
            hospital_code=hospital, kind=_kind(kind), code=code))
    except grpc.RpcError as error:
        if error.code() == grpc.StatusCode.NOT_FOUND:
            abort(404)
        raise
    ncms = None
    if found.item.ncms_code:
        try:
            ncms = console().backends.catalog.GetNcmsItem(catalog_pb2.GetNcmsItemRequest(
                kind=found.item.kind, code=found.item.ncms_code)).item
        except grpc.RpcError as error:
            g.notice = refusal(error)[0]
    return render_template("item.html", item=found.item, history=list(reversed(found.history)), ncms=ncms,
                           kind=kind, hospitals=hospitals())
