"""The services a settlement asks before it records anything: catalog (one resolve per
bill), enrollment (is the member enrolled that year) and identity (a hospital's level,
for callers that are not bound to a hospital; a hospital's endpoint and digest, for
QueryInpatient). Each call carries the caller's own
token and a deadline; a service that does not answer makes the settlement E9001, with
nothing recorded."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import grpc

from ncms.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from ncms.enrollment.v1 import enrollment_pb2, enrollment_pb2_grpc
from ncms.identity.v1 import identity_pb2, identity_pb2_grpc
from runtime.auth import bearer, current_token
from runtime.clients import identity_channel, open_channel
from runtime.rpc_errors import from_rpc_error
from runtime.settings import Settings

from .bills import BillLine
from .calculation import CLASS_A, CLASS_B, CLASS_C, ENTITLED, FIVE_GUARANTEES, ORDINARY, SUBSISTENCE

_CLASSES = {catalog_pb2.CHARGE_CLASS_A: CLASS_A, catalog_pb2.CHARGE_CLASS_B: CLASS_B,
            catalog_pb2.CHARGE_CLASS_C: CLASS_C}
_KINDS = {"drug": catalog_pb2.ITEM_KIND_DRUG, "service": catalog_pb2.ITEM_KIND_SERVICE}
CATEGORIES = {enrollment_pb2.CATEGORY_ORDINARY: ORDINARY, enrollment_pb2.CATEGORY_FIVE_GUARANTEES: FIVE_GUARANTEES,
              enrollment_pb2.CATEGORY_SUBSISTENCE: SUBSISTENCE, enrollment_pb2.CATEGORY_ENTITLED: ENTITLED}


@dataclass(frozen=True)
class Resolved:
    """What the catalog says of a bill line's item."""

    ncms_code: str
    charge_class: str  # A, B, C
    self_pay_ratio: Decimal | None
    price_limit: Decimal | None
    mapped: bool
    ncms_version_id: int | None


@dataclass(frozen=True)
class Enrollee:
    """A member as enrollment knows it, in one year."""

    card: str
    name: str
    enrolled: bool  # enrolled and active that year
    stopped: bool  # enrolled that year, then stopped
    category: str  # calculation.ORDINARY, FIVE_GUARANTEES, ...


def _decimal(text: str) -> Decimal | None:
    return Decimal(text) if text else None


class Upstream:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.deadline = settings.grpc_deadline_seconds
        self._lock = threading.Lock()
        self._channels: list[grpc.Channel] = []
        self._catalog = self._enrollment = self._identity = None

    def _stubs(self):
        if self._catalog is None:
            with self._lock:
                if self._catalog is None:
                    channels = [open_channel(self.settings.catalog_address),
                                open_channel(self.settings.enrollment_address),
                                identity_channel(self.settings.identity_address)]
                    self._channels = channels
                    self._enrollment = enrollment_pb2_grpc.EnrollmentServiceStub(channels[1])
                    self._identity = identity_pb2_grpc.HospitalServiceStub(channels[2])
                    self._catalog = catalog_pb2_grpc.CatalogServiceStub(channels[0])
        return self._catalog, self._enrollment, self._identity

    def _call(self, method, request):
        try:
            return method(request, timeout=self.deadline, metadata=bearer(current_token()))
        except grpc.RpcError as exc:
            raise from_rpc_error(exc) from None

    def resolve(self, hospital: str, lines: Sequence[BillLine]) -> list[Resolved]:
        catalog, _, _ = self._stubs()
        response = self._call(catalog.ResolveItems, catalog_pb2.ResolveItemsRequest(
            hospital_code=hospital,
            items=[catalog_pb2.ItemRef(kind=_KINDS[line.item_kind], code=line.item_code) for line in lines]))
        return [Resolved(item.ncms_code, _CLASSES[item.charge_class],
                         _decimal(item.self_pay_ratio) if item.charge_class == catalog_pb2.CHARGE_CLASS_B else None,
                         _decimal(item.price_limit), item.mapped, item.ncms_version_id or None)
                for item in response.items]

    def enrollee(self, member_id: str, year: int) -> Enrollee:
        _, enrollment, _ = self._stubs()
        response = self._call(enrollment.CheckEnrollment, enrollment_pb2.CheckEnrollmentRequest(
            member_id=member_id, year=year))
        return Enrollee(response.card, response.name, response.enrolled,
                        response.enrollment.status == enrollment_pb2.ENROLLMENT_STATUS_STOPPED,
                        CATEGORIES.get(response.enrollment.category, ORDINARY))

    def hospital_level(self, hospital: str) -> int:
        _, _, identity = self._stubs()
        return self._call(identity.GetHospital, identity_pb2.GetHospitalRequest(code=hospital)).hospital.level

    def hospitals(self) -> list[identity_pb2.Hospital]:
        _, _, identity = self._stubs()
        return list(self._call(identity.ListHospitals, identity_pb2.ListHospitalsRequest()).hospitals)

    def hospital_endpoint(self, hospital: str) -> identity_pb2.GetHospitalEndpointResponse:
        _, _, identity = self._stubs()
        return self._call(identity.GetHospitalEndpoint, identity_pb2.GetHospitalEndpointRequest(code=hospital))

    def sign_digest(self, hospital: str, message: str) -> str:
        _, _, identity = self._stubs()
        return self._call(identity.SignDigest, identity_pb2.SignDigestRequest(
            hospital_code=hospital, digest_message=message)).digest

    def close(self) -> None:
        for channel in self._channels:
            channel.close()
