"""Settlement's copies of the catalog and enrolment, fed by their change feeds: exactly
once through kill -9, a new list after trimmed changes, catching up after the owners
restart, uploads and imports visible to the next bill, settling while the owners are
down, readiness, and two settlement processes on one PostgreSQL database."""

from __future__ import annotations

import csv
import io
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from grpc_health.v1 import health_pb2, health_pb2_grpc

from ncms.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from ncms.enrollment.v1 import enrollment_pb2, enrollment_pb2_grpc
from ncms.settlement.v1 import settlement_pb2, settlement_pb2_grpc
from runtime.change_feed import ChangeFeed
from runtime.db import Database
from runtime.grpc_server import LIVENESS
from services.enrollment.models import FEED_CHANGES, FEED_SEQUENCES
from services.enrollment.records import COLUMNS
from tests.support import people
from tests.support.processes import ServiceProcess
from tests.support.suite import SETTLEMENT_SECRET
from tests.support.world import (
    CARD,
    HOSPITAL,
    MEMBER,
    YEAR,
    build,
    line,
    outpatient_call,
    wait_for_projections,
)

CATEGORIES = {"1": "ordinary", "2": "five_guarantees", "3": "subsistence", "4": "entitled"}


def _csv(rows: list[dict]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(COLUMNS), extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def households(count: int, *, start: int = 0, name: str = "参合人") -> list[dict]:
    """``count`` one-member households (cards and ids from ``start``)."""
    return [people.row(f"4502{n:010d}", f"4502{n:010d}01", f"{name}{n}", YEAR) for n in range(start, start + count)]


def import_members(suite, rows: list[dict]) -> int:
    """Import ``rows`` through enrolment; its feed's sequence after the import."""
    enrollment = suite.stub("enrollment", enrollment_pb2_grpc.EnrollmentServiceStub)
    data = _csv(rows)
    chunks = [data[i:i + 256 * 1024] for i in range(0, len(data), 256 * 1024)]
    return enrollment.ImportEnrollment(iter([enrollment_pb2.ImportEnrollmentRequest(csv_chunk=c)
                                             for c in chunks]), timeout=300).sequence


def owner_state(suite) -> tuple[set, set]:
    """Members (id, card, name) and enrolment years (id, year, active, category) as
    enrolment holds them."""
    engine = sa.create_engine(suite.urls["enrollment"])
    with engine.connect() as connection:
        members = set(connection.execute(sa.text("SELECT member_id, card, name FROM members")).all())
        years = {(m, y, s == "1", CATEGORIES[c]) for m, y, s, c in connection.execute(
            sa.text("SELECT member_id, year, status, category FROM enrollments"))}
    engine.dispose()
    return members, years


def copy_state(url: str) -> tuple[set, set]:
    """The same, as settlement's copy holds them."""
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        members = set(connection.execute(sa.text("SELECT member_id, card, name FROM projected_members")).all())
        years = {(m, y, bool(a), c) for m, y, a, c in connection.execute(
            sa.text("SELECT member_id, year, active, category FROM projected_enrollments"))}
    engine.dispose()
    return members, years


def cursor(url: str, source: str = "enrollment"):
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        row = connection.execute(sa.text("SELECT sequence, generation, synced, head FROM projection_cursors "
                                         "WHERE source = :s"), {"s": source}).first()
    engine.dispose()
    return row


def wait_until(condition, timeout: float = 120, what: str = "the condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        time.sleep(0.005)


@pytest.fixture
def owners(identity):
    """identity, catalog and enrolment in this process; settlement is each test's own."""
    identity.start("catalog")
    identity.start("enrollment")
    return identity


def settlement_process(suite, url: str, page_size: int = 200) -> ServiceProcess:
    return ServiceProcess("settlement", {
        "NCMS_ENV": "development", "NCMS_DATA_DIR": str(suite.data_dir), "NCMS_SETTLEMENT_DATABASE_URL": url,
        "NCMS_IDENTITY_ADDRESS": suite.address("identity"), "NCMS_CATALOG_ADDRESS": suite.address("catalog"),
        "NCMS_ENROLLMENT_ADDRESS": suite.address("enrollment"), "NCMS_SETTLEMENT_CLIENT_SECRET": SETTLEMENT_SECRET,
        "NCMS_PROJECTION_PAGE_SIZE": str(page_size)})


# --- exactly once, through kill -9 -------------------------------------------------------------

def test_killed_while_following_changes_it_resumes_exactly_where_it_stopped(owners):
    url = owners.databases.new("settlement")
    settlement = settlement_process(owners, url)
    settlement.wait_serving()
    # Paused while the import is written, so that all of it is still to be applied when the
    # test starts watching (otherwise settlement may have applied it all by the time the
    # import answers, on a loaded machine).
    settlement.process.send_signal(signal.SIGSTOP)
    try:
        head = import_members(owners, households(8000))
    finally:
        settlement.process.send_signal(signal.SIGCONT)
    # kill -9 while the feed is being applied: some batches are in, others not
    stopped = wait_until(lambda: (row := cursor(url)) and 0 < (row.sequence or 0) < head and row,
                         what="a cursor half way through the changes")
    settlement.kill()
    at_kill = cursor(url)
    assert 0 < at_kill.sequence < head and at_kill.sequence >= stopped.sequence
    # What the copy holds is exactly what the changes up to its cursor say: applied with it.
    enrollment = Database(owners.urls["enrollment"])
    with enrollment.read() as connection:
        keys = connection.execute(sa.select(FEED_CHANGES.c.entity_key).where(
            FEED_CHANGES.c.sequence <= at_kill.sequence)).scalars().all()
    enrollment.dispose()
    members, years = copy_state(url)
    assert {m for m, _, _ in members} == {key.split("/")[1] for key in keys if key.startswith("member/")}
    assert {(m, y) for m, y, _, _ in years} == {(k.split("/")[1], int(k.split("/")[2]))
                                                for k in keys if k.startswith("enrollment/")}
    settlement = settlement_process(owners, url)
    try:
        wait_until(lambda: cursor(url).sequence == head, what="the catch-up after the restart")
        assert copy_state(url) == owner_state(owners)
        assert cursor(url).generation == at_kill.generation  # resumed, not listed again
    finally:
        settlement.stop()


def test_killed_while_listing_it_lists_again_and_keeps_nothing_twice(owners):
    head = import_members(owners, households(3000))
    url = owners.databases.new("settlement")
    settlement = settlement_process(owners, url, page_size=50)  # many pages: a list that takes a while
    # kill -9 part way through the first list: pages are in, the cursor is not yet set
    wait_until(lambda: copy_state(url)[0] and (cursor(url) is None or cursor(url).sequence is None),
               what="a list half done")
    settlement.kill()
    assert 0 < len(copy_state(url)[0]) < 3000 and (cursor(url) is None or cursor(url).sequence is None)
    settlement = settlement_process(owners, url)
    try:
        settlement.wait_serving(120)
        assert cursor(url).sequence == head
        assert copy_state(url) == owner_state(owners)
    finally:
        settlement.stop()


# --- trimmed changes, restarted owners --------------------------------------------------------

def test_a_reader_behind_the_trimmed_changes_lists_again(owners):
    url = owners.databases.new("settlement")
    settlement = settlement_process(owners, url)
    settlement.wait_serving()
    import_members(owners, households(50))
    settlement.stop()
    before = cursor(url)
    # While settlement is away: more changes (some of them to what the copy holds), then
    # every change but the newest trimmed; and a row the owner never had in the copy.
    changed = households(20, name="改名")
    head = import_members(owners, changed + households(30, start=100))
    enrollment = Database(owners.urls["enrollment"])
    assert ChangeFeed(enrollment, "enrollment", FEED_CHANGES, FEED_SEQUENCES).trim(timedelta(0)) > 0
    enrollment.dispose()
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("INSERT INTO projected_members (member_id, card, name, generation) "
                                   "VALUES ('STALE', 'STALE', '不存在', 0)"))
    engine.dispose()
    settlement = settlement_process(owners, url)
    try:
        wait_until(lambda: cursor(url).sequence == head, what="the new list")
        after = cursor(url)
        assert after.generation == before.generation + 1
        assert copy_state(url) == owner_state(owners)
        assert any("trimmed" in entry for entry in settlement.log)
    finally:
        settlement.stop()


def test_the_copy_catches_up_after_the_owner_restarts(owners):
    owners.start("settlement")
    address = owners.address("catalog")
    catalog_url = owners.urls["catalog"]
    owners.servers.pop("catalog").stop(grace=0)
    # the owner comes back on the same address, with the same database
    from services.catalog import server as catalog_server

    owners.servers["catalog"] = catalog_server.build(owners.settings.model_copy(
        update={"catalog_database_url": catalog_url}), address)
    catalog = owners.stub("catalog", catalog_pb2_grpc.CatalogServiceStub)
    sequence = catalog.ApplyHospitalCatalog(catalog_pb2.ApplyHospitalCatalogRequest(
        hospital_code=HOSPITAL, kind=catalog_pb2.ITEM_KIND_DRUG, changes=[catalog_pb2.HospitalItemChange(
            operation=catalog_pb2.CHANGE_OPERATION_UPSERT, code="YP1", name="新药", price="1.00")]),
        wait_for_ready=True, timeout=30).sequence
    wait_for_projections(owners, catalog=sequence)
    projections = owners.services("settlement", settlement_pb2_grpc).ListProjections(
        settlement_pb2.ListProjectionsRequest()).projections
    catalog_copy = next(p for p in projections if p.source == settlement_pb2.PROJECTION_SOURCE_CATALOG)
    assert catalog_copy.sequence == sequence and catalog_copy.lag_sequences == 0
    assert catalog_copy.rows["projected_hospital_items"] == 1 and catalog_copy.applying_here


def test_an_upload_sent_again_unchanged_names_a_sequence_to_wait_for(owners):
    """The answer to an unchanged upload waits for what came before it, not for nothing:
    a HIS that resends after E9001 is answered once the first upload is in effect."""
    catalog = owners.stub("catalog", catalog_pb2_grpc.CatalogServiceStub)
    request = catalog_pb2.ApplyHospitalCatalogRequest(
        hospital_code=HOSPITAL, kind=catalog_pb2.ITEM_KIND_DRUG, changes=[catalog_pb2.HospitalItemChange(
            operation=catalog_pb2.CHANGE_OPERATION_UPSERT, code="YP2", name="再发药", price="3.00")])
    first = catalog.ApplyHospitalCatalog(request)
    again = catalog.ApplyHospitalCatalog(request)
    assert first.sequence > 0 and (again.unchanged, again.sequence) == (1, first.sequence)


# --- the next bill sees the upload; the owners may be down ---------------------------------------

def test_an_uploaded_item_prices_the_next_bill(identity):
    world = build(identity)
    his = world.his()
    upload = his.call("ypmljk", ypml={"ypml": [[
        ("yyxmbm", "YP0100"), ("xmmc", "阿莫西林胶囊"), ("dj", "20.00"), ("nhbm", "X001"), ("czlx", "A")]]})
    assert upload.text() == ""
    # Priced from settlement's copy alone: the catalog is gone right after the answer.
    world.suite.servers.pop("catalog").stop(grace=0)
    answer = his.call("mzjsjk", **outpatient_call("MZP1", [line(1, "1", "YP0100", "阿莫西林胶囊", "20.00", "1", "20.00")]))
    detail = answer.rows("mzjsmx")[0]
    # X001 is 甲 with a price limit of 15: 5.00 over the limit is self-paid.
    assert (detail["nhbm"], detail["sfdj"], detail["zfje"], detail["kbfy"]) == ("X001", "甲", "5.00", "15.00")


def test_a_member_imported_settles_right_after_the_import(identity):
    world = build(identity)
    rows = [people.row("45029999000001", "4502999900000101", "王新", YEAR)]
    sequence = import_members(world.suite, rows)
    wait_for_projections(world.suite, enrollment=sequence)
    world.suite.servers.pop("enrollment").stop(grace=0)
    answer = world.his().call("mzjsjk", **outpatient_call(
        "MZN1", [line(1, "1", "YP0001", "阿莫西林胶囊", "12.50", "2", "25.00")], member="4502999900000101",
        name="王新", card="45029999000001"))
    assert answer.error_info() is None and answer.rows("mzjsjg")[0]["bcje"] == "12.50"


def test_settlement_is_not_ready_until_its_copies_are_in_sync(owners):
    catalog = owners.servers.pop("catalog")
    catalog_address = f"127.0.0.1:{catalog.port}"
    catalog_url = owners.urls["catalog"]
    catalog.stop(grace=0)
    owners.overrides["catalog_address"] = catalog_address  # where settlement will find it again
    settlement = owners.start("settlement")
    health = health_pb2_grpc.HealthStub(owners.channel("settlement"))
    status = health.Check(health_pb2.HealthCheckRequest()).status
    assert status == health_pb2.HealthCheckResponse.NOT_SERVING
    # alive all the same: a liveness probe must not restart it while it catches up
    alive = health.Check(health_pb2.HealthCheckRequest(service=LIVENESS)).status
    assert alive == health_pb2.HealthCheckResponse.SERVING
    from services.catalog import server as catalog_server

    owners.servers["catalog"] = catalog_server.build(owners.settings.model_copy(
        update={"catalog_database_url": catalog_url}), catalog_address)
    wait_until(lambda: health.Check(health_pb2.HealthCheckRequest()).status == health_pb2.HealthCheckResponse.SERVING,
               what="SERVING once the catalog answers")
    assert settlement.port


# --- two settlement processes, one PostgreSQL database ----------------------------------------------

@pytest.mark.postgresql_only
def test_two_settlement_processes_hold_the_yearly_cap_and_replay_the_same_numbers(identity):
    world = build(identity)
    replica = world.suite.start_replica("settlement")
    stubs = [world.settlement_admin,
             settlement_pb2_grpc.SettlementServiceStub(world.suite.channel("settlement", f"127.0.0.1:{replica.port}"))]
    token = world.suite.credentials("ncms-admin", "test-admin-client-secret-0123456789abcdef").token

    def request(number: int) -> settlement_pb2.SettleOutpatientRequest:
        visit = settlement_pb2.OutpatientVisit(number=f"MZR{number:03d}", card=CARD, member_id=MEMBER, name="张三",
                                               diagnosis="J06.900", total="60.00")
        visit.visit_time.FromJsonString(f"{YEAR}-06-01T01:00:00Z")
        return settlement_pb2.SettleOutpatientRequest(hospital_code=HOSPITAL, visit=visit, lines=[
            settlement_pb2.BillLine(line_number=1, item_kind=settlement_pb2.ITEM_KIND_DRUG, item_code="YP0001",
                                    item_name="阿莫西林胶囊", price="15.00", quantity="4", amount="60.00")])

    barrier = threading.Barrier(20)

    def settle(number: int) -> settlement_pb2.SettlementResult:
        barrier.wait()
        stub = stubs[number % 2]
        metadata = [("authorization", f"Bearer {token()}")] if stub is not stubs[0] else None
        return stub.SettleOutpatient(request(number), metadata=metadata, timeout=60).result

    with ThreadPoolExecutor(20) as pool:
        first = list(pool.map(settle, range(20)))
    assert sum(Decimal(r.compensation) for r in first) == Decimal("300.00")
    barrier = threading.Barrier(20)
    with ThreadPoolExecutor(20) as pool:
        again = list(pool.map(settle, range(20)))
    assert [r.settlement_number for r in again] == [r.settlement_number for r in first]
    assert all(r.replayed for r in again)
    leading = [p.applying_here for port in (None, replica.port) for p in _projections(world, port)]
    assert leading.count(True) == 2  # each source is applied by exactly one of the two processes


def _projections(world, port):
    channel = world.suite.channel("settlement", None if port is None else f"127.0.0.1:{port}")
    token = world.suite.credentials("ncms-admin", "test-admin-client-secret-0123456789abcdef").token
    return settlement_pb2_grpc.ProjectionServiceStub(channel).ListProjections(
        settlement_pb2.ListProjectionsRequest(), metadata=[("authorization", f"Bearer {token()}")]).projections

