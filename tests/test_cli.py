"""The ncms command, run as an administrator would run it, against real services."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import grpc
import pytest

from ncms.identity.v1 import identity_pb2
from runtime.clients import PackageStubs
from tests.support.command import ENGLISH, NCMS, stop_up
from tests.support.legacy import authenticate_request
from tests.support.ports import unused_ports
from tests.support.soap import Legacy
from tests.support.suite import ADMIN_SECRET, new_hospital, new_user


def run(identity, *args: str, env_extra: dict | None = None, input: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, **ENGLISH, "NCMS_IDENTITY_ADDRESS": identity.address("identity"),
           "NCMS_ADMIN_CLIENT_SECRET": ADMIN_SECRET, "NCMS_DATA_DIR": str(identity.data_dir),
           **(env_extra or {})}
    return subprocess.run([*NCMS, *args], capture_output=True, text=True, env=env, timeout=60, input=input)


def test_hospital_and_user_commands(identity):
    added = run(identity, "hospital", "add", "--code", "450200003", "--name", "测试县人民医院",
                "--level", "3", "--algorithm", "HMAC-SM3", "--json")
    assert added.returncode == 0, added.stderr
    hospital = json.loads(added.stdout)
    assert hospital["code"] == "450200003" and hospital["digest_algorithm"] == "HMAC-SM3"
    assert len(hospital["signing_key"]) >= 43

    human = run(identity, "hospital", "rotate-key", "--code", "450200003", "--overlap", "0", "--yes")
    assert human.returncode == 0 and "key version 2" in human.stdout

    user = run(identity, "user", "add", "--hospital", "450200003", "--user", "his01", "--password", "-",
               "--ips", "10.0.0.0/8,2001:db8::/32", "--permissions", "ACEF", input="Str0ng!pass\n")
    assert user.returncode == 0, user.stderr
    listed = json.loads(run(identity, "user", "list", "--hospital", "450200003", "--json").stdout)
    assert [(u["name"], u["state"], u["allowed_ips"]) for u in listed["users"]] == [
        ("his01", "active", ["10.0.0.0/8", "2001:db8::/32"])]
    text = run(identity, "hospital", "list").stdout
    assert "450200003" in text and "测试县人民医院" in text and "1 hospital\n" in text
    assert "1 家医院" in run(identity, "hospital", "list", env_extra={"LANG": "zh_CN.UTF-8"}).stdout


def test_a_password_is_never_taken_from_the_command_line(identity):
    new_hospital(identity.admin, "450200001")
    add = ["user", "add", "--hospital", "450200001", "--user", "his02", "--ips", "10.0.0.1", "--permissions", "E"]
    literal = run(identity, *add, "--password", "Str0ng!pass")
    assert literal.returncode == 2 and "--password - to read it from standard input" in literal.stderr
    assert "Str0ng!pass" not in literal.stderr
    prompted = run(identity, *add, "--password", input="Str0ng!pass\nStr0ng!pass\n")  # asked twice
    assert prompted.returncode == 0, prompted.stderr
    secret = identity.data_dir / "password.txt"
    secret.write_text("Other#Pass1\n", "utf-8")
    from_file = run(identity, "user", "add", "--hospital", "450200001", "--user", "his03", "--password-file",
                    str(secret), "--ips", "10.0.0.1", "--permissions", "E")
    assert from_file.returncode == 0, from_file.stderr


def test_approve_and_unlock(identity):
    key = new_hospital(identity.admin, "450200001")
    new_user(identity.admin, "450200001", "his01", "Passw0rd!x", permissions="AE")
    params = {"yydm": "450200001", "fqyh": "his01", "fqyhkl": "Passw0rd!x"}
    token = identity.gateway.Authenticate(authenticate_request(key, "Yhzjjk", params)).token
    from ncms.identity.v1 import identity_pb2_grpc
    from runtime.clients import with_token

    requester = PackageStubs(with_token(identity.channel("identity"), lambda: token), identity_pb2_grpc)
    requester.RequestUser(identity_pb2.RequestUserRequest(user="nurse1", password="Nurse#2026a",
                                                          allowed_ips="", permissions="AE"))
    pending = json.loads(run(identity, "user", "list", "--hospital", "450200001", "--pending", "--json").stdout)
    assert [u["name"] for u in pending["users"]] == ["nurse1"]
    approved = run(identity, "user", "approve", "--hospital", "450200001", "--user", "nurse1",
                   "--permissions", "E", "--json")
    assert approved.returncode == 0 and json.loads(approved.stdout)["permissions"] == "E"

    wrong = {"yydm": "450200001", "yh": "nurse1", "kl": "Wrong-pass1", "chzh": "1"}
    for _ in range(5):
        with pytest.raises(grpc.RpcError):
            identity.gateway.Authenticate(authenticate_request(key, "chryxxjk", wrong))
    locked = json.loads(run(identity, "user", "list", "--hospital", "450200001", "--json").stdout)
    assert [u.get("locked_until") for u in locked["users"] if u["name"] == "nurse1"][0]
    unlocked = run(identity, "user", "unlock", "--hospital", "450200001", "--user", "nurse1")
    assert unlocked.returncode == 0 and "nurse1 of 450200001 unlocked" in unlocked.stdout
    again = run(identity, "user", "unlock", "--hospital", "450200001", "--user", "nurse1")
    assert again.returncode == 0 and "was not locked; nothing to unlock" in again.stdout


@pytest.mark.parametrize("args,password,message", [
    (["user", "add", "--hospital", "nope", "--user", "x", "--password", "-", "--ips",
      "10.0.0.1", "--permissions", "E"], "Str0ng!pass", "E1007:医院代码无效"),
    (["user", "add", "--hospital", "450200001", "--user", "x", "--password", "-", "--ips",
      "10.0.0.1", "--permissions", "E"], "weak", "E1101:口令强度不足"),
    (["user", "add", "--hospital", "450200001", "--user", "x", "--password", "-", "--ips",
      "not-an-ip", "--permissions", "E"], "Str0ng!pass", "E2001:数据格式错误: allowed_ips: not-an-ip 不是IP地址"),
    (["user", "approve", "--hospital", "450200001", "--user", "ghost"], None, "E1104:用户不存在"),
    (["hospital", "add", "--code", "450200001", "--name", "x", "--level", "2"], None, "already exists"),
    (["user", "unlock", "--hospital", "450200001", "--user", "ghost"], None, "E1104:用户不存在"),
])
def test_errors_are_one_line_without_trace(identity, args, password, message):
    new_hospital(identity.admin, "450200001")
    stdin = None if password is None else password + "\n"
    result = run(identity, *args, input=stdin)
    assert result.returncode == 1
    assert result.stderr.startswith("error: ") and message in result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1
    as_json = run(identity, *args, "--json", input=stdin)
    assert json.loads(as_json.stdout)["error"]["message"]
    chinese = run(identity, *args, input=stdin, env_extra={"LANG": "zh_CN.UTF-8"})
    assert chinese.stderr.startswith("错误：") and message in chinese.stderr


def test_unreachable_service_and_wrong_secret_say_what_to_do(identity):
    unreachable = run(identity, "hospital", "list", env_extra={"NCMS_IDENTITY_ADDRESS": "127.0.0.1:1"})
    assert unreachable.returncode == 1 and "ncms up" in unreachable.stderr
    refused = run(identity, "hospital", "list", env_extra={"NCMS_ADMIN_CLIENT_SECRET": "not-it"})
    assert refused.returncode == 1 and "administrator credentials were refused" in refused.stderr


def test_help_lists_the_commands():
    result = subprocess.run([*NCMS, "--help"], capture_output=True, text=True, timeout=60)
    for command in ("up", "hospital", "user", "migrate"):
        assert command in result.stdout
    user_help = subprocess.run([*NCMS, "user", "add", "--help"], capture_output=True, text=True, timeout=60)
    assert "--permissions" in user_help.stdout and "--json" in user_help.stdout


def test_up_starts_the_suite_with_demo_data_and_stops_on_ctrl_c(tmp_path: Path):
    names = ("identity", "catalog", "enrollment", "settlement", "gateway", "console", "hospital",
             "demo_hospital_identity")
    ports = dict(zip(names, unused_ports(len(names)), strict=True))
    env = dict(os.environ, NCMS_DATA_DIR=str(tmp_path / "var"), NCMS_PROJECTION_WAIT_SECONDS="30",
               **{f"NCMS_{name.upper()}_ADDRESS": f"127.0.0.1:{port}" for name, port in ports.items()})
    env.pop("NCMS_ADMIN_CLIENT_SECRET", None)
    process = subprocess.Popen([*NCMS, "up", "--demo"], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    deadline = time.monotonic() + 240  # seven processes started one after another, on a loaded machine
    try:
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "the suite is running" in line:
                break
        assert any("the suite is running" in line for line in lines), "".join(lines)
        listed = subprocess.run([*NCMS, "hospital", "list", "--json"], env=env, capture_output=True,
                                text=True, timeout=60)
        assert listed.returncode == 0, listed.stderr
        assert [h["code"] for h in json.loads(listed.stdout)["hospitals"]] == ["450200001"]
        credentials = json.loads((tmp_path / "var" / "demo" / "credentials.json").read_text("utf-8"))
        assert credentials["signing_key"] and credentials["users"]
        # the web console, with the demonstration account printed beside its address
        console = credentials["console"]
        assert console["url"] == f"http://127.0.0.1:{ports['console']}/"
        assert any(f"{console['url']}  sign in as {console['user']} / {console['password']}" in line for line in lines)
        import requests

        assert "csrf_token" in requests.get(console["url"] + "sign-in", timeout=10).text
        # the gateway (gunicorn, as in production) answers a signed legacy call
        user = credentials["users"][0]
        his = Legacy(f"http://127.0.0.1:{ports['gateway']}/NcmsService.asmx", credentials["signing_key"],
                     user=user["user"], password=user["password"])
        assert his.call("yhklxgjk", ykl=user["password"], xkl=user["password"]).text() == "E1102:新旧口令相同"
        # the walkthrough of `ncms demo` runs start to finish against it, twice (new numbers each run)
        walked = subprocess.run([*NCMS, "demo"], env=env, capture_output=True, text=True, timeout=120)
        assert walked.returncode == 0, walked.stdout + walked.stderr
        assert walked.stdout.count("← DataSet") == 5 and "refused" not in walked.stdout
        assert "ljfy 155.60" in walked.stdout and "147.82" in walked.stdout  # 五保: 95% of 155.60
        assert "ncms settlement show --hospital 450200001 --mzbh MZ" in walked.stdout  # what to look at next
        as_json = subprocess.run([*NCMS, "demo", "--json"], env=env, capture_output=True, text=True, timeout=120)
        assert as_json.returncode == 0, as_json.stdout + as_json.stderr
        steps = json.loads(as_json.stdout)["steps"]  # one JSON object, nothing else on stdout
        assert len(steps) == 10 and steps[0]["calls"][0]["operation"] == "chryxxjk"
        stay = next(s for s in steps if s["calls"] and s["calls"][0]["operation"] == "zyjsjgcx")
        assert stay["calls"][0]["answer"]["zyjsjg"][0]["bcje"] == "147.82"
        assert "Demo#2026his" not in as_json.stdout  # passwords masked
        inpatient = subprocess.run([*NCMS, "inpatient", "query", "--hospital", "450200001", "--zybh",
                                    "ZY-DEMO-0001", "--json"], env=env, capture_output=True, text=True, timeout=60)
        assert inpatient.returncode == 0, inpatient.stderr
        assert json.loads(inpatient.stdout)["name"] == "李𠈌"
    finally:
        rest = stop_up(process)
    assert process.returncode == 0, "".join(lines) + rest
    assert "stopped" in rest
