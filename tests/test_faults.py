"""Faults as permanent tests: outpatient bills settled through the gateway by several
HIS threads while settlement and identity are killed with SIGKILL and started again,
and (on PostgreSQL) settlement's database connections are terminated. A HIS resends a
bill after E9001 or a broken connection, as the contract allows.

Afterwards the databases must show: every settlement a HIS was told about recorded
exactly once, with the jsbh and the amount it was told; no bill settled twice; every
bill that got E9001 at the end either not recorded or answered the same when sent
again; and each member's yearly totals equal to the sum of their settlements.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from decimal import Decimal

import pytest
import requests
import sqlalchemy as sa

from tests.support.processes import ServiceProcess
from tests.support.world import CARD, HOSPITAL, MEMBER, SPOUSE, YEAR, build, line, outpatient_call

pytestmark = pytest.mark.faults

MEMBERS = [(MEMBER, "张三"), (SPOUSE, "李𠈌")]
LINES = [line(1, "1", "YP0001", "阿莫西林胶囊", "12.50", "2", "25.00"),
         line(2, "1", "YP0002", "头孢克肟片", "20.00", "1", "20.00"),
         line(3, "2", "ZL0001", "静脉注射", "10.00", "1", "10.00")]
BILLS_PER_THREAD = 30
THREADS = 4


def process_environment(suite, service: str, addresses: dict[str, str]) -> dict[str, str]:
    """The NCMS_* variables that make ``python -m services.<service>`` the same service
    as the in-process one it replaces: database, addresses, secrets."""
    settings = suite.settings
    environment = {
        "NCMS_ENV": "development", "NCMS_DATA_DIR": str(suite.data_dir), "NCMS_PASSWORD_HASH_PROFILE": "fast",
        f"NCMS_{service.upper()}_DATABASE_URL": suite.urls[service],
        "NCMS_MASTER_KEY": settings.master_key.get_secret_value(),
        "NCMS_TOKEN_KEY": settings.token_key.get_secret_value(),
        "NCMS_ADMIN_CLIENT_SECRET": settings.admin_client_secret.get_secret_value(),
        "NCMS_GATEWAY_CLIENT_SECRET": settings.gateway_client_secret.get_secret_value(),
        "NCMS_SETTLEMENT_CLIENT_SECRET": settings.settlement_client_secret.get_secret_value(),
    }
    for other, address in addresses.items():
        environment[f"NCMS_{other.upper()}_ADDRESS"] = address
    return environment


class Restartable:
    """A service as a process on a fixed address, killed and started again on it."""

    def __init__(self, suite, service: str, addresses: dict[str, str]) -> None:
        self.service = service
        self.address = addresses[service]
        self.environment = process_environment(suite, service, addresses)
        suite.servers.pop(service).stop(grace=0)  # the in-process one gives up its port
        self.process = self._start()

    def _start(self) -> ServiceProcess:
        process = ServiceProcess(self.service, self.environment, listen=self.address)
        process.wait_serving()
        return process

    def kill_and_restart(self) -> None:
        self.process.kill()
        time.sleep(0.3)  # calls in flight meet a dead service
        self.process = self._start()

    def stop(self) -> None:
        self.process.stop()


def send(his, number: str, member: str, name: str) -> tuple[str, str, str]:
    """(outcome, jsbh, bcje): outcome "ok", a contract code, or "broken" (no answer)."""
    try:
        answer = his.call("mzjsjk", **outpatient_call(number, LINES, member=member, name=name, card=CARD))
    except requests.RequestException:
        return "broken", "", ""
    refused = answer.error_info()
    if refused is not None:
        return refused[0], "", ""
    result = answer.rows("mzjsjg")[0]
    return "ok", result["jsbh"], result["bcje"]


def settle_with_retries(his, number: str, member: str, name: str, answers: list) -> None:
    """Send the bill until it is settled or refused for good, as a HIS does after a
    timeout or E9001 (the same bill, the same mzbh)."""
    for attempt in range(40):
        outcome = send(his, number, member, name)
        answers.append((number, member, *outcome))
        if outcome[0] not in ("E9001", "broken"):
            return
        time.sleep(min(0.05 * 2 ** attempt, 1.0))


def terminate_connections(url: str) -> int:
    """pg_terminate_backend for every other connection to ``url``'s database."""
    database = sa.engine.make_url(url).database
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        terminated = connection.execute(sa.text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": database}).scalar_one()
    engine.dispose()
    return terminated


@pytest.mark.timeout(900)  # its threads are given up to 600 s; the suite's 300 s per test is less
def test_settlements_stay_exactly_once_through_crashes(identity, backend):
    world = build(identity)  # its gateway keeps the services' addresses: they move to processes on them
    addresses = {service: identity.address(service) for service in ("identity", "catalog", "enrollment",
                                                                     "settlement")}
    settlement = Restartable(identity, "settlement", addresses)
    authority = Restartable(identity, "identity", addresses)
    answers: list[tuple] = []
    sent: dict[int, int] = {}
    lock = threading.Lock()
    stop_faults = threading.Event()
    faults: Counter = Counter()

    faults_done = threading.Event()

    def his_thread(index: int) -> None:
        """New bills, one after the other, until every fault has happened (and at least
        BILLS_PER_THREAD)."""
        his = world.his()
        mine: list[tuple] = []
        rng = random.Random(index)
        n = 0
        while n < BILLS_PER_THREAD or not faults_done.is_set():
            member, name = rng.choice(MEMBERS)
            settle_with_retries(his, f"F{index:02d}{n:04d}", member, name, mine)
            n += 1
        with lock:
            answers.extend(mine)
            sent[index] = n

    def fault_thread() -> None:
        plan = ["settlement", "identity", "database", "settlement", "database", "identity", "settlement"]
        try:
            for fault in plan:
                if stop_faults.wait(0.7):
                    return
                if fault == "settlement":
                    settlement.kill_and_restart()
                elif fault == "identity":
                    authority.kill_and_restart()
                elif backend == "postgresql":
                    terminate_connections(identity.urls["settlement"])
                faults[fault] += 1
            time.sleep(0.5)  # bills after the last fault, too
        finally:
            faults_done.set()  # the HIS threads stop sending new bills even if a fault failed

    threads = [threading.Thread(target=his_thread, args=(i,)) for i in range(THREADS)]
    chaos = threading.Thread(target=fault_thread)
    try:
        chaos.start()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=600)
        chaos.join(timeout=120)
        assert faults["settlement"] >= 2 and faults["identity"] >= 1, \
            f"the faults did not all happen: {faults}; answers {Counter(a[2] for a in answers)}"
        if backend == "postgresql":
            assert faults["database"] >= 2, faults
        # the faults met bills in flight (else this proves nothing)
        assert any(a[2] in ("E9001", "broken") for a in answers), Counter(a[2] for a in answers)

        final = {}  # the last answer each bill got
        told: dict[str, set] = {}  # every jsbh a HIS was told for a bill
        for number, member, outcome, jsbh, amount in answers:
            final[number] = (member, outcome, jsbh, amount)
            if outcome == "ok":
                told.setdefault(number, set()).add((jsbh, amount))
        assert len(final) == sum(sent.values()) >= THREADS * BILLS_PER_THREAD
        unexpected = {o for _m, o, _j, _a in final.values()} - {"ok", "E9001", "broken"}
        assert not unexpected, f"answers other than a settlement or a retryable failure: {unexpected}"
        assert sum(1 for _m, o, _j, _a in final.values() if o == "ok") >= len(final) * 0.9, \
            "most bills must have been settled in the end"

        engine = sa.create_engine(identity.urls["settlement"])
        with engine.connect() as connection:
            recorded = connection.execute(sa.text(
                "SELECT number, settlement_number, compensation, member_id FROM settlements "
                "WHERE hospital_code = :h AND kind = 'outpatient' AND refunded_at IS NULL"), {"h": HOSPITAL}).all()
            totals = {(m, y): (t, c) for m, y, t, c in connection.execute(sa.text(
                "SELECT member_id, year, outpatient_total, outpatient_count FROM member_years"))}
        engine.dispose()
        by_number: dict[str, list] = {}
        for number, settlement_number, compensation, member in recorded:
            by_number.setdefault(number, []).append((settlement_number, compensation, member))
        assert all(len(rows) == 1 for rows in by_number.values()), "a bill settled twice"

        def cents(value) -> Decimal:  # SQLite keeps money as integer cents
            return Decimal(value) / 100 if isinstance(value, int) else Decimal(value)

        for number, answered in told.items():
            # the HIS may have been told more than once (a retry after a lost answer):
            # always the same jsbh and amount, the one recorded
            assert len(answered) == 1, (number, answered)
            (jsbh, amount), = answered
            assert number in by_number, f"{number}: told {jsbh}, nothing recorded"
            settlement_number, compensation, _member = by_number[number][0]
            assert (settlement_number, cents(compensation)) == (jsbh, Decimal(amount)), number
        his = world.his()
        for number, (member, outcome, _jsbh, _amount) in final.items():
            if outcome in ("E9001", "broken"):
                # not recorded, or answered with the recorded settlement when sent again
                name = dict(MEMBERS)[member]
                again = send(his, number, member, name)
                if number in by_number:
                    assert again[:2] == ("ok", by_number[number][0][0]), (number, again)

        for member, _name in MEMBERS:
            mine = [cents(c) for rows in by_number.values() for _s, c, m in rows if m == member]
            total, count = totals.get((member, YEAR), (0, 0))
            assert (cents(total), count) == (sum(mine, Decimal(0)), len(mine)), member
    finally:
        stop_faults.set()
        chaos.join(timeout=120)
        settlement.stop()
        authority.stop()
