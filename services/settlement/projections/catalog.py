"""The catalog's feed, applied to settlement's tables of hospital items and NCMS items."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal

from sqlalchemy import Connection, delete, func, select

from ncms.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from runtime.clients import ClientCredentials, open_channel, with_token
from runtime.db import upsert
from runtime.projection import Change, change_time, last_per_key

from ..calculation import CLASS_A, CLASS_B, CLASS_C
from ..models import ProjectedHospitalItem, ProjectedNcmsItem

NCMS = ProjectedNcmsItem.__table__
HOSPITAL = ProjectedHospitalItem.__table__
KINDS = {catalog_pb2.ITEM_KIND_DRUG: "drug", catalog_pb2.ITEM_KIND_SERVICE: "service"}
CLASSES = {catalog_pb2.CHARGE_CLASS_A: CLASS_A, catalog_pb2.CHARGE_CLASS_B: CLASS_B,
           catalog_pb2.CHARGE_CLASS_C: CLASS_C}


def _decimal(text: str) -> Decimal | None:
    return Decimal(text) if text else None


class CatalogSource:
    name = "catalog"

    def __init__(self, address: str, credentials: ClientCredentials, page_size: int = 2000) -> None:
        self._channel = open_channel(address)
        self._feed = catalog_pb2_grpc.CatalogFeedServiceStub(with_token(self._channel, credentials.token))
        self._page_size = page_size

    def list_page(self, page_token: str) -> tuple[list, int, str]:
        page = self._feed.ListCatalogState(catalog_pb2.ListCatalogStateRequest(
            page_size=self._page_size, page_token=page_token), timeout=60)
        return list(page.items), page.sequence, page.next_page_token

    def watch(self, after: int) -> Iterator[tuple[list[Change], int]]:
        for response in self._feed.WatchCatalogChanges(catalog_pb2.WatchCatalogChangesRequest(after_sequence=after)):
            yield [Change(c.sequence, change_time(c), c) for c in response.changes], response.head_sequence

    def apply(self, connection: Connection, entities: Sequence[catalog_pb2.CatalogChange], generation: int) -> None:
        ncms, hospital = [], []
        for change in entities:
            if change.HasField("ncms_item"):
                item = change.ncms_item
                ncms.append({"kind": KINDS[item.kind], "code": item.code, "version_id": item.version_id,
                             "charge_class": CLASSES[item.charge_class],
                             "self_pay_ratio": _decimal(item.self_pay_ratio),
                             "price_limit": _decimal(item.price_limit), "generation": generation})
            elif change.HasField("hospital_item"):
                item = change.hospital_item
                hospital.append({"hospital_code": item.hospital_code, "kind": KINDS[item.kind], "code": item.code,
                                 "deleted": item.deleted, "ncms_code": item.ncms_code, "generation": generation})
        upsert(connection, NCMS, last_per_key(ncms, lambda r: (r["kind"], r["code"])), ("kind", "code"))
        upsert(connection, HOSPITAL, last_per_key(hospital, lambda r: (r["hospital_code"], r["kind"], r["code"])),
               ("hospital_code", "kind", "code"))

    def sweep(self, connection: Connection, generation: int) -> None:
        for table in (NCMS, HOSPITAL):
            connection.execute(delete(table).where(table.c.generation < generation))

    def counts(self, connection: Connection) -> dict[str, int]:
        return {table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
                for table in (NCMS, HOSPITAL)}

    def close(self) -> None:
        self._channel.close()

