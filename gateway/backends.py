"""The gateway's connections: identity (legacy.identity), and the services that own
what the legacy operations ask for."""

from __future__ import annotations

from legacy.identity import Connections
from ncms.catalog.v1 import catalog_pb2_grpc
from ncms.enrollment.v1 import enrollment_pb2_grpc
from ncms.settlement.v1 import settlement_pb2_grpc


class Backends(Connections):
    services = ("catalog", "enrollment", "settlement")

    @property
    def catalog(self) -> catalog_pb2_grpc.CatalogServiceStub:
        return self.stub("catalog", catalog_pb2_grpc.CatalogServiceStub)

    @property
    def enrollment(self) -> enrollment_pb2_grpc.EnrollmentServiceStub:
        return self.stub("enrollment", enrollment_pb2_grpc.EnrollmentServiceStub)

    @property
    def settlement(self) -> settlement_pb2_grpc.SettlementServiceStub:
        return self.stub("settlement", settlement_pb2_grpc.SettlementServiceStub)

    @property
    def admissions(self) -> settlement_pb2_grpc.AdmissionServiceStub:
        return self.stub("settlement", settlement_pb2_grpc.AdmissionServiceStub)

    @property
    def projections(self) -> settlement_pb2_grpc.ProjectionServiceStub:
        return self.stub("settlement", settlement_pb2_grpc.ProjectionServiceStub)

    @property
    def reconciliation(self) -> settlement_pb2_grpc.ReconciliationServiceStub:
        return self.stub("settlement", settlement_pb2_grpc.ReconciliationServiceStub)
