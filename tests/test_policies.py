"""Policies as versioned data: checked as a whole, imported with who and when, in force
from their day in every replica, a bad one never replacing a good one, a dry run.
Real servers and the ncms command, both backends."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import grpc
import pytest

from ncms.settlement.v1 import settlement_pb2, settlement_pb2_grpc
from runtime.auth import ADMIN_CLIENT
from runtime.clients import with_token
from runtime.clock import beijing_now
from runtime.rpc_errors import from_rpc_error
from runtime.settings import ConfigurationError
from services.settlement.policy import DEFAULT_FILE, RATIO_RANGE, check, load
from tests.support.command import CHINESE, ncms
from tests.support.suite import ADMIN_SECRET
from tests.support.world import YEAR, build, line, outpatient_call

DEFAULT_TEXT = DEFAULT_FILE.read_text("utf-8")
AMOXICILLIN = line(1, "1", "YP0001", "阿莫西林胶囊", "12.5000", "2", "25.00")  # 甲, kbfy 25.00
RATIO_LINE = "mz_ratio:     {1: 0.60, 2: 0.50, 3: 0.30, 4: 0, 5: 0}"


def policy_text(ratio_two: str = "0.80", *, first: str = "0.60", cap: str = "150000", extra: str = "") -> str:
    text = DEFAULT_TEXT.replace(RATIO_LINE, f"mz_ratio:     {{1: {first}, 2: {ratio_two}, 3: 0.30, 4: 0, 5: 0}}")
    return text.replace("zy_year_cap: 150000", f"zy_year_cap: {cap}{extra}")


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


def line_of(text: str, start: str) -> int:
    return next(n for n, content in enumerate(text.splitlines(), start=1) if content.startswith(start))


def settle(world, number: str):
    answer = world.his().call("mzjsjk", **outpatient_call(number, [AMOXICILLIN]))
    assert answer.error_info() is None, answer.error_info()
    return answer.rows("mzjsjg")[0]


def policies(suite, address: str | None = None) -> settlement_pb2_grpc.PolicyServiceStub:
    token = suite.credentials(ADMIN_CLIENT, ADMIN_SECRET).token
    return settlement_pb2_grpc.PolicyServiceStub(with_token(suite.channel("settlement", address), token))


@pytest.fixture
def world(identity):
    return build(identity)


# --- checking, without a server ------------------------------------------------------------

BAD_TEXT = policy_text(first="1.60", cap="-5", extra="\nmz_raito: 3\nspecial_bonus: 0.2")


def test_check_finds_every_problem_with_its_line():
    policy, problems = check(BAD_TEXT, year=YEAR, source="bad.yaml")
    assert policy is None
    found = {(p.line, str(p)) for p in problems}
    assert (line_of(BAD_TEXT, "mz_ratio:"), "mz_ratio[1]: a ratio must be between 0 and 1, not 1.60") in found
    assert (line_of(BAD_TEXT, "zy_year_cap:"), "zy_year_cap: an amount cannot be negative (-5)") in found
    assert any(p.key == "mz_raito" and p.line == line_of(BAD_TEXT, "mz_raito") for p in problems)
    assert any(p.key == "special_bonus" and p.reason == "DUPLICATE_KEY" for p in problems)
    assert [p.line for p in problems] == sorted(p.line for p in problems)
    assert check(DEFAULT_TEXT, year=None, source="default.yaml")[0].digest == load(DEFAULT_FILE, year=None).digest
    broken = check("mz_ratio: {1: 0.6\n", year=YEAR, source="x.yaml")[1]
    assert broken[0].reason == "YAML_SYNTAX" and broken[0].line == 2


# --- imported versions ----------------------------------------------------------------------

def test_a_bad_policy_is_refused_with_every_problem_and_the_good_one_stays_in_force(world, tmp_path):
    suite = world.suite
    good = write(tmp_path, f"{YEAR}.yaml", policy_text("0.80"))
    imported = ncms(suite, "policy", "import", str(good), "--year", str(YEAR), "--note", "县卫健委 2026-3号", "--json")
    assert imported.returncode == 0, imported.stderr
    version = json.loads(imported.stdout)
    assert version["in_force"] and version["source"] == good.name and "ncms-admin" in version["imported_by"]
    assert settle(world, "MZ101")["bcje"] == "20.00"  # 25 × 80%

    bad = write(tmp_path, "typo.yaml", BAD_TEXT)
    checked = ncms(suite, "policy", "check", str(bad))
    assert checked.returncode == 1
    ratio_line = line_of(BAD_TEXT, "mz_ratio:")
    assert f"{bad}:{ratio_line}: mz_ratio[1]: a ratio must be between 0 and 1, not 1.60" in checked.stdout
    assert f"{bad}:{line_of(BAD_TEXT, 'zy_year_cap:')}: zy_year_cap: an amount cannot be negative" in checked.stdout
    assert "mz_raito" in checked.stdout and "4 problems" in checked.stdout
    chinese = ncms(suite, "policy", "check", str(bad), env=CHINESE)
    assert f"{bad}:{ratio_line}: mz_ratio[1]: 比例须在 0 到 1 之间, 而不是 1.60" in chinese.stdout

    refused = ncms(suite, "policy", "import", str(bad), "--year", str(YEAR))
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert f"{bad}:{ratio_line}: mz_ratio[1]" in refused.stderr and "mz_raito" in refused.stderr
    assert f"nothing was imported and the {YEAR} policy in force stays as it was" in refused.stderr
    # over gRPC too, whatever the client: refused with every problem
    with pytest.raises(grpc.RpcError) as caught:
        policies(suite).ImportPolicy(settlement_pb2.ImportPolicyRequest(year=YEAR, text=BAD_TEXT, source="x"))
    error = from_rpc_error(caught.value)
    assert error.reason == "POLICY_INVALID" and len(error.violations) == 4
    listed = json.loads(ncms(suite, "policy", "list", "--json").stdout)["policies"]
    assert [(v["id"], v["in_force"]) for v in listed] == [(version["id"], True)]
    assert settle(world, "MZ102")["bcje"] == "20.00"  # the good policy, not E4006, not the default
    record = world.settlement_admin.GetSettlement(settlement_pb2.GetSettlementRequest(
        hospital_code="450200001", kind=settlement_pb2.SETTLEMENT_KIND_OUTPATIENT, number="MZ102")).settlement
    assert record.result.policy_digest == version["digest"] and record.result.policy_year == YEAR


def test_versions_take_effect_on_their_day_and_every_replica_follows_promptly(world, tmp_path):
    suite = world.suite
    replica = suite.start_replica("settlement")
    at_replica = policies(suite, f"127.0.0.1:{replica.port}")

    def in_force_at_replica() -> str:  # the replica's own store, as its settlements see it
        return at_replica.TryPolicy(settlement_pb2.TryPolicyRequest(year=YEAR, text=DEFAULT_TEXT)).current_digest

    default_digest = check(DEFAULT_TEXT, year=None, source="d")[0].digest
    assert in_force_at_replica() == default_digest
    now = json.loads(ncms(suite, "policy", "import", str(write(tmp_path, "a.yaml", policy_text("0.80"))),
                          "--year", str(YEAR), "--json").stdout)
    deadline = time.monotonic() + 30  # the replica looks again every 2 s; ends as soon as it has
    while in_force_at_replica() != now["digest"] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert in_force_at_replica() == now["digest"]

    tomorrow = (beijing_now() + timedelta(days=1)).date().isoformat()
    later = ncms(suite, "policy", "import", str(write(tmp_path, "b.yaml", policy_text("0.70"))), "--year", str(YEAR),
                 "--from", tomorrow)
    assert later.returncode == 0 and "not in force yet" in later.stdout
    listed = json.loads(ncms(suite, "policy", "list", "--year", str(YEAR), "--json").stdout)["policies"]
    assert [v["in_force"] for v in listed] == [False, True]  # newest first: tomorrow's, then today's
    assert settle(world, "MZ201")["bcje"] == "20.00"
    yesterday = (beijing_now() - timedelta(days=1)).date().isoformat()
    past = ncms(suite, "policy", "import", str(write(tmp_path, "c.yaml", policy_text("0.70"))), "--year", str(YEAR),
                "--from", yesterday)
    assert past.returncode == 1 and "not before today" in past.stderr
    again = ncms(suite, "policy", "import", str(tmp_path / "a.yaml"), "--year", str(YEAR))
    assert again.returncode == 0 and "unchanged" in again.stdout


def test_show_diff_and_a_dry_run_before_importing(world, tmp_path):
    suite = world.suite
    shown = ncms(suite, "policy", "show", str(YEAR))
    assert shown.returncode == 0 and "the default policy" in shown.stdout and "0.50" in shown.stdout
    settle(world, "MZ301")  # 12.50 under the default 50%
    candidate = write(tmp_path, "new.yaml", policy_text("0.80"))
    diff = json.loads(ncms(suite, "policy", "diff", str(YEAR), str(candidate), "--json").stdout)
    assert diff["changes"] == [{"key": "mz_ratio[2]", "old": "0.50", "new": "0.80"}]
    tried = ncms(suite, "policy", "try", str(candidate), "--year", str(YEAR))
    assert tried.returncode == 0, tried.stderr
    assert "1 settlement of" in tried.stdout and "1 settlement would be paid differently" in tried.stdout
    assert "12.50" in tried.stdout and "20.00" in tried.stdout and "+7.50" in tried.stdout
    data = json.loads(ncms(suite, "policy", "try", str(candidate), "--year", str(YEAR), "--json").stdout)
    assert (data["recorded_total"], data["current_total"], data["candidate_total"]) == ("12.50", "12.50", "20.00")
    assert json.loads(ncms(suite, "policy", "list", "--json").stdout)["policies"] == []  # a dry run stores nothing
    version = json.loads(ncms(suite, "policy", "import", str(candidate), "--year", str(YEAR), "--json").stdout)
    text = ncms(suite, "policy", "show", f"v{version['id']}", "--text")
    assert text.stdout == candidate.read_text("utf-8")
    assert json.loads(ncms(suite, "policy", "diff", f"v{version['id']}", str(candidate), "--json").stdout)[
        "changes"] == []


def test_no_policy_without_the_fallback_until_one_is_imported(identity, tmp_path):
    identity.overrides["policy_default_fallback"] = False
    world = build(identity)
    refused = world.his().call("mzjsjk", **outpatient_call("MZ401", [AMOXICILLIN]))
    assert refused.error_info() == ("E4006", f"E4006:无适用补偿方案: {YEAR}年")
    imported = ncms(world.suite, "policy", "import", str(write(tmp_path, "p.yaml", policy_text("0.80"))),
                    "--year", str(YEAR))
    assert imported.returncode == 0, imported.stderr
    assert settle(world, "MZ401")["bcje"] == "20.00"


def test_files_of_the_old_policy_directory_are_imported_once_and_a_bad_one_stops_the_start(identity, tmp_path):
    directory = tmp_path / "policies"
    directory.mkdir()
    write(directory, f"{YEAR}.yaml", policy_text("0.80"))
    identity.overrides["policy_dir"] = directory
    world = build(identity)
    assert settle(world, "MZ501")["bcje"] == "20.00"
    world.suite.start_replica("settlement")  # a second start finds the file imported
    listed = policies(world.suite).ListPolicies(settlement_pb2.ListPoliciesRequest()).policies
    assert [(v.year, v.imported_by, v.in_force) for v in listed] == [(YEAR, "policy directory", True)]
    write(directory, f"{YEAR + 1}.yaml", BAD_TEXT)
    with pytest.raises(ConfigurationError, match=r"line \d+: mz_ratio\[1\]: a ratio must be between 0 and 1"):
        world.suite.start_replica("settlement")
    assert RATIO_RANGE in {p.reason for p in check(BAD_TEXT, year=YEAR, source="x")[1]}
