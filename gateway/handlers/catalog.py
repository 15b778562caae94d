"""ypmljk, zlmljk: the hospital's drug and treatment catalogs, served by catalog.

When the catalog has recorded an upload, the answer waits (a few seconds at most) until
settlement's copy of the catalog has applied it, so that the hospital's next bill is
priced with what it just sent.
"""

from __future__ import annotations

from legacy.calls import Call, LegacyFields, LegacyTable
from ncms.catalog.v1 import catalog_pb2
from ncms.settlement.v1 import settlement_pb2
from runtime.errors import ServiceUnavailable

# DataSet column -> HospitalItemChange field.
_FIELDS = {"xmmc": "name", "tym": "generic_name", "gg": "specification", "jx": "dosage_form",
           "dw": "unit", "cd": "manufacturer", "pzwh": "approval_number", "xmnh": "description",
           "nhbm": "proposed_ncms_code"}
_COLUMNS = {field: column for column, field in _FIELDS.items()} | {"code": "yyxmbm", "price": "dj",
                                                                   "operation": "czlx"}


def _operation(row: dict) -> int:
    """czlx D deletes; A and M are both applied as add-or-update, so that a re-sent call
    is harmless."""
    if row.get("czlx") == "D":
        return catalog_pb2.CHANGE_OPERATION_DELETE
    return catalog_pb2.CHANGE_OPERATION_UPSERT


def _apply(call: Call, parameter: str, table: str, kind: int) -> str:
    changes = []
    for row in call.rows(parameter):
        change = catalog_pb2.HospitalItemChange(operation=_operation(row), code=row["yyxmbm"])
        for column, field in _FIELDS.items():
            if row.get(column):
                setattr(change, field, row[column])
        if row.get("dj") is not None:
            change.price = row["dj"]
        changes.append(change)
    applied = call.service(call.backends.catalog.ApplyHospitalCatalog,
                           catalog_pb2.ApplyHospitalCatalogRequest(kind=kind, changes=changes),
                           LegacyFields(tables={"changes": LegacyTable(parameter, table, _COLUMNS)}))
    # The wait has its own budget (projection_wait_seconds), not the deadline of an
    # ordinary call: settlement answers "not yet" just before the call's deadline.
    wait = call.backends.settings.projection_wait_seconds
    if applied.sequence and not call.service(
            call.backends.projections.AwaitProjection, settlement_pb2.AwaitProjectionRequest(
                source=settlement_pb2.PROJECTION_SOURCE_CATALOG, sequence=applied.sequence, timeout_seconds=wait),
            deadline=max(wait + 1.0, call.backends.settings.grpc_deadline_seconds)).applied:
        # Recorded, but settlement has not taken it in yet: the next bill could still be
        # priced without it. Sending the same rows again is harmless and waits again.
        raise ServiceUnavailable("目录已保存, 结算尚未生效, 请稍后重新发送")
    return ""


def drugs(call: Call) -> str:
    return _apply(call, "ypml", "ypml", catalog_pb2.ITEM_KIND_DRUG)


def treatments(call: Call) -> str:
    return _apply(call, "zlml", "zlml", catalog_pb2.ITEM_KIND_SERVICE)


HANDLERS = {"ypmljk": drugs, "zlmljk": treatments}
