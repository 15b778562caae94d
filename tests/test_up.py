"""`ncms up` tells the truth: it refuses ports another process holds (naming it), a
component is ready only when its own process answers, a component that dies is
started again, and Ctrl-C ends it with status 0, also under `make run`."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cli import up_command
from runtime.tls import ClientTls, local_files
from tests.support.command import ENGLISH, NCMS, stop_up
from tests.support.ports import unused_ports

NAMES = ("identity", "catalog", "enrollment", "settlement", "gateway", "console")


def environment(tmp_path: Path, ports: list[int]) -> dict[str, str]:
    env = dict(os.environ, **ENGLISH, NCMS_DATA_DIR=str(tmp_path / "var"),
               **{f"NCMS_{name.upper()}_ADDRESS": f"127.0.0.1:{port}" for name, port in zip(NAMES, ports, strict=True)})
    env.pop("NCMS_ADMIN_CLIENT_SECRET", None)
    return env


def read_until(process: subprocess.Popen, text: str, lines: list[str], timeout: float = 120) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            return False
        lines.append(line)
        if text in line:
            return True
    return False


def test_a_listening_socket_is_found_with_its_process():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        if up_command.listens(os.getpid(), port) is None:
            pytest.skip("no /proc here: who holds a port cannot be told")
        assert up_command.listens(os.getpid(), port) is True
        assert up_command.listens(os.getppid(), port) is False
        assert up_command.port_holder(port).startswith(f"pid {os.getpid()} (")
        assert not up_command.port_free(f"127.0.0.1:{port}")
    assert up_command.port_free(f"127.0.0.1:{port}")


def test_up_refuses_ports_another_process_holds(tmp_path):
    ports = unused_ports(len(NAMES))
    with socket.socket() as taken:
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        taken.bind(("127.0.0.1", ports[1]))
        taken.listen()
        result = subprocess.run([*NCMS, "up"], env=environment(tmp_path, ports), capture_output=True, text=True,
                                timeout=60)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"127.0.0.1:{ports[1]} (catalog) is taken by pid {os.getpid()}" in result.stderr
    assert "ready" not in result.stdout  # nothing was started
    assert all(up_command.port_free(f"127.0.0.1:{port}") for port in ports if port != ports[1])


def _gone(pid: int) -> bool:
    """The process has exited (a zombie not yet reaped by whoever adopted it counts)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "\nState:\tZ" in status


def _start_up(tmp_path: Path) -> tuple[subprocess.Popen, dict[str, int], list[int], list[str]]:
    """`ncms up` running: the process, each component's pid, the ports, what it printed."""
    ports = unused_ports(len(NAMES))
    process = subprocess.Popen([*NCMS, "up"], env=environment(tmp_path, ports), stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    try:
        assert read_until(process, "the suite is running", lines), "".join(lines)
        ready = {match.group(1): int(match.group(2)) for match in
                 (re.search(r"^\s+(\w+)\s+ready on .* \(pid (\d+)", line) for line in lines) if match}
        assert set(ready) == set(NAMES), "".join(lines)
    except BaseException:
        stop_up(process)  # nothing left running by a test that failed here
        raise
    return process, ready, ports, lines



def test_a_component_that_dies_is_started_again_and_ctrl_c_stops_the_suite(tmp_path):
    process, ready, ports, lines = _start_up(tmp_path)
    try:
        os.kill(ready["catalog"], signal.SIGKILL)
        assert read_until(process, "catalog is running again", lines, timeout=60), "".join(lines)
        output = "".join(lines)
        assert "catalog exited with status -9; starting it again in 1 s (restart 1)" in output
        again = int(re.search(r"catalog is running again \(pid (\d+)\)", output).group(1))
        assert again != ready["catalog"] and up_command.listens(again, ports[1]) is not False
        # the suite speaks mutual TLS: ask as the ncms command does, with its certificate
        ncms_tls = ClientTls(local_files(tmp_path / "var", "ncms"))
        # a check has one second, which a new TLS connection on a loaded machine can miss once
        deadline = time.monotonic() + 30
        while (state := up_command.health(up_command.COMPONENTS[1], f"127.0.0.1:{ports[1]}", ncms_tls)) \
                != up_command.SERVING and time.monotonic() < deadline:
            time.sleep(0.2)
        assert state == up_command.SERVING
        assert up_command.health(up_command.COMPONENTS[1], f"127.0.0.1:{ports[1]}") == up_command.UNREACHABLE
    finally:
        rest = stop_up(process)
    assert process.returncode == 0, "".join(lines) + rest
    assert "stopped" in rest and "Traceback" not in rest
    assert all(up_command.port_free(f"127.0.0.1:{port}") for port in ports)


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_ctrl_c_ends_make_run_without_an_error(tmp_path):
    ports = unused_ports(len(NAMES))
    ncms = Path(sys.executable).parent / "ncms"
    if not ncms.exists():
        pytest.skip("the ncms command is not installed beside this Python")
    makefile = tmp_path / "Makefile"  # the shape of the suite's own `run` target
    makefile.write_text(f"SHELL := /bin/bash\nrun:\n\t{ncms} up\n", "utf-8")
    process = subprocess.Popen(["make", "-f", str(makefile), "run"], env=environment(tmp_path, ports),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
                               cwd=Path(__file__).resolve().parent.parent)
    lines: list[str] = []
    try:
        assert read_until(process, "the suite is running", lines), "".join(lines)
    finally:
        os.killpg(process.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole foreground group
        rest, _ = process.communicate(timeout=60)
    output = "".join(lines) + rest
    assert "stopped" in rest and "make: ***" not in output and "Traceback" not in output, output


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the components follow up's death on Linux only")
def test_the_components_stop_when_up_is_killed(tmp_path):
    process, ready, ports, lines = _start_up(tmp_path)
    try:
        process.kill()  # SIGKILL: up cannot stop anything itself
        process.wait(timeout=10)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not all(_gone(pid) for pid in ready.values()):
            time.sleep(0.2)
        left = {name: pid for name, pid in ready.items() if not _gone(pid)}
        assert not left, f"still running after up was killed: {left}"
        assert all(up_command.port_free(f"127.0.0.1:{port}") for port in ports)
    finally:
        for pid in ready.values():
            if not _gone(pid):
                os.kill(pid, signal.SIGKILL)
        process.stdout.close()


def test_sighup_stops_the_suite_in_order(tmp_path):
    process, ready, ports, lines = _start_up(tmp_path)
    rest = stop_up(process, signal.SIGHUP)  # the terminal was closed
    assert process.returncode == 0, "".join(lines) + rest
    assert "stopped" in rest and "Traceback" not in rest
    assert all(_gone(pid) for pid in ready.values())
    assert all(up_command.port_free(f"127.0.0.1:{port}") for port in ports)
