"""AdmissionService: an inpatient stay is registered (zydjjk) before it is settled."""

from __future__ import annotations

from collections.abc import Callable

from ncms.settlement.v1 import settlement_pb2, settlement_pb2_grpc
from runtime.clock import beijing_year
from runtime.db import Database
from runtime.errors import ContractError

from .. import bills, repository
from .shared import actor, caller, moment


class AdmissionServicer(settlement_pb2_grpc.AdmissionServiceServicer):
    def __init__(self, db: Database, check_member: Callable, hospital_level: Callable[[str], int]) -> None:
        """``check_member(member_id, card, name, year, where)``: E3001/E3002 unless the
        member can be settled that year."""
        self.db = db
        self.check_member = check_member
        self.hospital_level = hospital_level

    def RegisterAdmission(self, request, context):
        principal, hospital, _ = caller("H", request.hospital_code, self.hospital_level)
        admission = request.admission
        number = bills.required(admission.number, "admission.number")
        admitted_at = moment(admission.admit_time, "admission.admit_time")
        diagnosis = bills.required(admission.diagnosis, "admission.diagnosis")
        year = beijing_year(admitted_at)
        self.check_member(admission.member_id, admission.card, admission.name, year, "admission")
        values = {"number": number, "card": admission.card, "member_id": admission.member_id,
                  "name": admission.name, "admitted_at": admitted_at, "department": admission.department,
                  "diagnosis": diagnosis, "diagnosis_name": admission.diagnosis_name,
                  "doctor": admission.doctor, "referral": admission.referral,
                  "referral_number": admission.referral_number}
        digest = bills.digest(values, [])
        with self.db.write() as connection:
            existing = repository.admission(connection, hospital, number)
            if existing is not None:
                if existing.request_digest != digest:
                    raise ContractError("E4005", f"{number} 已登记为其他入院信息")
                return settlement_pb2.RegisterAdmissionResponse(replayed=True)
            repository.add_admission(connection, {
                "hospital_code": hospital, "number": number, "card": admission.card.strip(),
                "member_id": admission.member_id.strip(), "name": admission.name.strip(),
                "admitted_at": admitted_at, "department": admission.department.strip(), "diagnosis": diagnosis,
                "diagnosis_name": admission.diagnosis_name.strip(), "doctor": admission.doctor.strip(),
                "referral": admission.referral, "referral_number": admission.referral_number.strip(),
                "request_digest": digest, "registered_by": actor(principal)})
        return settlement_pb2.RegisterAdmissionResponse(replayed=False)
