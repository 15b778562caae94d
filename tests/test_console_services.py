"""What the services add for the console, over gRPC: searching settlements, members,
reconciliations and the mapping queue across hospitals, mapping with a reason, refunds
by a fund officer, and each staff role allowed only what it may do, by the service
itself."""

from __future__ import annotations

import grpc
import pytest

from ncms.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from ncms.enrollment.v1 import enrollment_pb2, enrollment_pb2_grpc
from ncms.identity.v1 import staff_pb2
from ncms.settlement.v1 import (
    settlement_pb2,
    settlement_pb2_grpc,
    supervision_pb2,
    supervision_pb2_grpc,
)
from runtime.auth import CONSOLE_CLIENT
from runtime.clients import with_token
from tests.support import console_world
from tests.support.console_world import HOSPITAL, MEMBER, OTHER, XSS_MEMBER_ID, Stubs


@pytest.fixture
def centre(suite):
    world = console_world.build(suite)
    console = world.identity_as(suite.credentials(CONSOLE_CLIENT, suite.settings.secret("console_client_secret")).token)
    world.tokens = {}
    for name in console_world.STAFF:
        token = console.SignIn(staff_pb2.SignInRequest(name=name, password=console_world.STAFF_PASSWORD)).token
        world.tokens[name] = token
    return world


def person(world, name: str, service: str, *modules) -> Stubs:
    """``service``'s stubs calling as the staff member ``name``."""
    token = world.tokens[name]
    return Stubs(with_token(world.suite.channel(service), lambda: token), *modules)


def settlements_of(world, name):
    return person(world, name, "settlement", settlement_pb2_grpc, supervision_pb2_grpc)


def refused(call) -> grpc.StatusCode:
    with pytest.raises(grpc.RpcError) as error:
        call()
    return error.value.code()


def test_settlements_are_found_by_member_number_state_and_time_sorted_with_sums(centre):
    officer = settlements_of(centre, "zhao")
    everything = officer.SearchSettlements(settlement_pb2.SearchSettlementsRequest())
    assert everything.total_count == 2 and [s.number for s in everything.settlements] == ["MZ-0002", "MZ-0001"]
    assert everything.total == "42.50"
    by_member = officer.SearchSettlements(settlement_pb2.SearchSettlementsRequest(member_ids=[MEMBER]))
    assert [(s.number, s.member_id, s.hospital_code) for s in by_member.settlements] == [("MZ-0001", MEMBER, HOSPITAL)]
    jsbh = centre.settlements["MZ-0002"]
    assert [s.number for s in officer.SearchSettlements(settlement_pb2.SearchSettlementsRequest(
        number=jsbh)).settlements] == ["MZ-0002"]
    by_total = officer.SearchSettlements(settlement_pb2.SearchSettlementsRequest(order_by="total", page_size=1))
    assert [s.total for s in by_total.settlements] == ["20.00"] and by_total.total_count == 2
    second = officer.SearchSettlements(settlement_pb2.SearchSettlementsRequest(order_by="total", page_size=1, page=2))
    assert [s.total for s in second.settlements] == ["22.50"]
    assert officer.SearchSettlements(settlement_pb2.SearchSettlementsRequest(hospital_code=OTHER)).total_count == 0
    later = settlement_pb2.SearchSettlementsRequest()
    later.since.FromDatetime(centre.today.replace(year=centre.today.year + 1))
    assert officer.SearchSettlements(later).total_count == 0
    assert refused(lambda: officer.SearchSettlements(settlement_pb2.SearchSettlementsRequest(
        order_by="; DROP TABLE"))) == grpc.StatusCode.INVALID_ARGUMENT

    # A refund by the fund officer: in force no more, recorded as theirs.
    officer.RefundOutpatient(settlement_pb2.RefundOutpatientRequest(hospital_code=HOSPITAL, number="MZ-0002"))
    refunded = officer.SearchSettlements(settlement_pb2.SearchSettlementsRequest(
        state=settlement_pb2.SETTLEMENT_STATE_REFUNDED))
    assert [s.number for s in refunded.settlements] == ["MZ-0002"] and refunded.settlements[0].refund_time.seconds
    record = officer.GetSettlement(settlement_pb2.GetSettlementRequest(settlement_number=jsbh, hospital_code=HOSPITAL))
    assert record.settlement.refunded_by == "staff:zhao"


def test_only_fund_officers_and_auditors_read_settlements_and_only_fund_officers_refund(centre):
    for name in ("wang", "li"):
        stubs = settlements_of(centre, name)
        assert refused(lambda s=stubs: s.SearchSettlements(settlement_pb2.SearchSettlementsRequest())) \
            == grpc.StatusCode.PERMISSION_DENIED
        assert refused(lambda s=stubs: s.GetSettlement(settlement_pb2.GetSettlementRequest(
            hospital_code=HOSPITAL, kind=settlement_pb2.SETTLEMENT_KIND_OUTPATIENT, number="MZ-0001"))) \
            == grpc.StatusCode.PERMISSION_DENIED
    auditor = settlements_of(centre, "sun")
    assert auditor.GetSettlement(settlement_pb2.GetSettlementRequest(
        hospital_code=HOSPITAL, kind=settlement_pb2.SETTLEMENT_KIND_OUTPATIENT, number="MZ-0001")).settlement
    assert refused(lambda: auditor.RefundOutpatient(settlement_pb2.RefundOutpatientRequest(
        hospital_code=HOSPITAL, number="MZ-0001"))) == grpc.StatusCode.PERMISSION_DENIED
    assert auditor.SearchSettlements(settlement_pb2.SearchSettlementsRequest()).total_count == 2  # nothing refunded
    # Nor may a staff member settle a bill: that is a hospital's (letter F).
    visit = settlement_pb2.OutpatientVisit(number="MZ-0100", card=console_world.CARD, member_id=MEMBER, name="张三",
                                           diagnosis="J06.900", total="12.50")
    visit.visit_time.FromDatetime(centre.today)
    officer = settlements_of(centre, "zhao")
    with pytest.raises(grpc.RpcError) as settle:
        officer.SettleOutpatient(settlement_pb2.SettleOutpatientRequest(hospital_code=HOSPITAL, visit=visit, lines=[
            settlement_pb2.BillLine(line_number=1, item_kind=settlement_pb2.ITEM_KIND_DRUG, item_code="YP0001",
                                    item_name="阿莫西林胶囊", price="12.50", quantity="1", amount="12.50")]))
    assert "E1004" in settle.value.details()


def test_members_are_found_by_id_number_and_shown_in_full_to_fund_officers_only(centre):
    officer = person(centre, "zhao", "enrollment", enrollment_pb2_grpc)
    found = officer.SearchMembers(enrollment_pb2.SearchMembersRequest(id_number=centre.id_number)).members
    assert [(m.member_id, m.id_number) for m in found] == [(MEMBER, centre.id_number)]
    auditor = person(centre, "sun", "enrollment", enrollment_pb2_grpc)
    masked = auditor.SearchMembers(enrollment_pb2.SearchMembersRequest(id_number=centre.id_number)).members[0]
    assert masked.id_number != centre.id_number and masked.id_number.endswith(centre.id_number[-4:])
    assert [m.member_id for m in officer.SearchMembers(enrollment_pb2.SearchMembersRequest(name="王五")).members] \
        == [XSS_MEMBER_ID]
    with pytest.raises(grpc.RpcError) as bad:
        wrong_check_digit = centre.id_number[:-1] + ("1" if centre.id_number[-1] != "1" else "2")
        officer.SearchMembers(enrollment_pb2.SearchMembersRequest(id_number=wrong_check_digit))
    assert "E2001" in bad.value.details()
    assert refused(lambda: officer.SearchMembers(enrollment_pb2.SearchMembersRequest())) \
        == grpc.StatusCode.INVALID_ARGUMENT
    clerk = person(centre, "li", "enrollment", enrollment_pb2_grpc)
    assert refused(lambda: clerk.SearchMembers(enrollment_pb2.SearchMembersRequest(name="张"))) \
        == grpc.StatusCode.PERMISSION_DENIED
    assert refused(lambda: clerk.GetMember(enrollment_pb2.GetMemberRequest(member_id=MEMBER))) \
        == grpc.StatusCode.PERMISSION_DENIED
    assert officer.GetMember(enrollment_pb2.GetMemberRequest(member_id=MEMBER)).member.id_number == centre.id_number


def test_the_mapping_queue_spans_hospitals_and_a_mapping_keeps_its_reason_and_prices_the_next_bill(centre):
    clerk = person(centre, "li", "catalog", catalog_pb2_grpc)
    queue = clerk.ListMappingQueue(catalog_pb2.ListMappingQueueRequest())
    assert [(q.item.code, q.changed) for q in queue.items] == [("YP0009", False), ("YP0010", True)]
    assert queue.total_count == 2
    assert [q.item.code for q in clerk.ListMappingQueue(catalog_pb2.ListMappingQueueRequest(
        changed_only=True)).items] == ["YP0010"]
    assert [q.item.code for q in clerk.ListMappingQueue(catalog_pb2.ListMappingQueueRequest(
        order_by="-code", page_size=1)).items] == ["YP0010"]
    assert [i.code for i in clerk.SearchNcmsItems(catalog_pb2.SearchNcmsItemsRequest(
        query="Z20080099")).items] == ["X009"]  # by 批准文号
    mapped = clerk.MapItem(catalog_pb2.MapItemRequest(hospital_code=HOSPITAL, kind=catalog_pb2.ITEM_KIND_DRUG,
                                                      code="YP0009", ncms_code="X009", reason="院内制剂, 按黑膏药报销"))
    assert mapped.item.ncms_code == "X009"
    history = clerk.GetHospitalItem(catalog_pb2.GetHospitalItemRequest(
        hospital_code=HOSPITAL, kind=catalog_pb2.ITEM_KIND_DRUG, code="YP0009")).history
    assert (history[-1].event, history[-1].actor, history[-1].reason) == ("map", "staff:li", "院内制剂, 按黑膏药报销")
    assert [q.item.code for q in clerk.ListMappingQueue(catalog_pb2.ListMappingQueueRequest()).items] == ["YP0010"]
    from tests.support.world import wait_for_projections

    wait_for_projections(centre.suite, catalog=mapped.sequence)
    result = centre.settle("MZ-0003", [("YP0009", "自制膏药", "5.00", "2")])
    assert [(line.ncms_code, line.charge_class) for line in result.lines] == [("X009", settlement_pb2.CHARGE_CLASS_B)]

    for name in ("sun", "zhao", "wang"):
        other = person(centre, name, "catalog", catalog_pb2_grpc)
        assert refused(lambda o=other: o.MapItem(catalog_pb2.MapItemRequest(
            hospital_code=HOSPITAL, kind=catalog_pb2.ITEM_KIND_DRUG, code="YP0010", ncms_code="X001"))) \
            == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.RpcError) as long_reason:
        clerk.MapItem(catalog_pb2.MapItemRequest(hospital_code=HOSPITAL, kind=catalog_pb2.ITEM_KIND_DRUG,
                                                 code="YP0010", ncms_code="X001", reason="长" * 201))
    assert long_reason.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert [q.item.code for q in clerk.ListMappingQueue(catalog_pb2.ListMappingQueueRequest()).items] == ["YP0010"]


def test_reconciliations_list_the_latest_of_each_day_with_their_differences(centre):
    auditor = settlements_of(centre, "sun")
    listed = auditor.ListReconciliations(settlement_pb2.ListReconciliationsRequest())
    assert listed.total_count == 1
    record = listed.reconciliations[0]
    assert record.hospital_code == HOSPITAL and not record.agreed
    assert sorted(d.type for d in record.differences) == [
        settlement_pb2.DIFFERENCE_TYPE_ONLY_NCMS, settlement_pb2.DIFFERENCE_TYPE_ONLY_HOSPITAL,
        settlement_pb2.DIFFERENCE_TYPE_AMOUNTS_DIFFER]
    assert auditor.ListReconciliations(settlement_pb2.ListReconciliationsRequest(hospital_code=OTHER)).total_count == 0
    summary = auditor.GetDaySummary(settlement_pb2.GetDaySummaryRequest(hospital_code=HOSPITAL, date=record.date))
    assert len(summary.reconciliations) == 1
    clerk = settlements_of(centre, "li")
    assert refused(lambda: clerk.ListReconciliations(settlement_pb2.ListReconciliationsRequest())) \
        == grpc.StatusCode.PERMISSION_DENIED
    # An auditor reads; reconciling a hospital's day is the hospital's (letters F or I).
    with pytest.raises(grpc.RpcError) as reconcile:
        auditor.Reconcile(settlement_pb2.ReconcileRequest(hospital_code=HOSPITAL, date=record.date))
    assert "E1004" in reconcile.value.details()


def test_supervision_and_projections_for_the_right_staff(centre):
    auditor = settlements_of(centre, "sun")
    period = centre.today.strftime("%Y-%m")
    findings = list(auditor.ListFindings(supervision_pb2.ListFindingsRequest(period=period)))
    assert [(f.rule_code, f.subject) for f in findings if f.rule_code == "S02"] == [
        ("S02", centre.settlements["MZ-0001"])]
    clerk = settlements_of(centre, "li")
    with pytest.raises(grpc.RpcError) as denied:
        list(clerk.ListFindings(supervision_pb2.ListFindingsRequest(period=period)))
    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
    for name in console_world.STAFF:
        assert len(settlements_of(centre, name).ListProjections(settlement_pb2.ListProjectionsRequest()).projections) == 2
