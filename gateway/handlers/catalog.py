"""ypmljk, zlmljk: the hospital's drug and treatment catalogs, served by catalog."""

from __future__ import annotations

from legacy.calls import Call
from ncms.catalog.v1 import catalog_pb2

# DataSet column -> HospitalItemChange field.
_FIELDS = {"xmmc": "name", "tym": "generic_name", "gg": "specification", "jx": "dosage_form",
           "dw": "unit", "cd": "manufacturer", "pzwh": "approval_number", "xmnh": "description",
           "nhbm": "proposed_ncms_code"}


def _operation(row: dict) -> int:
    """czlx first; then the diffgram row state (inserted: A, modified: M); else add-or-update.
    A and M are both applied as add-or-update, so that a re-sent call is harmless."""
    if row.get("czlx") == "D":
        return catalog_pb2.CHANGE_OPERATION_DELETE
    return catalog_pb2.CHANGE_OPERATION_UPSERT


def _apply(call: Call, parameter: str, kind: int) -> str:
    changes = []
    for number, row in enumerate(call.rows(parameter), 1):
        change = catalog_pb2.HospitalItemChange(row_number=number, operation=_operation(row),
                                                code=row["yyxmbm"])
        for column, field in _FIELDS.items():
            if row.get(column):
                setattr(change, field, row[column])
        if row.get("dj") is not None:
            change.price = row["dj"]
        changes.append(change)
    call.service(call.backends.catalog.ApplyHospitalCatalog,
                 catalog_pb2.ApplyHospitalCatalogRequest(kind=kind, changes=changes))
    return ""


def drugs(call: Call) -> str:
    return _apply(call, "ypml", catalog_pb2.ITEM_KIND_DRUG)


def treatments(call: Call) -> str:
    return _apply(call, "zlml", catalog_pb2.ITEM_KIND_SERVICE)


HANDLERS = {"ypmljk": drugs, "zlmljk": treatments}
