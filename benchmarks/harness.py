"""Load generation and reporting shared by the benchmarks.

A benchmark starts the real components as separate processes (as `ncms up` does),
then drives them from several client processes (Python clients are themselves a
bottleneck, so one process would measure the client). Every figure is printed next
to a baseline measured on the same server in the same run, as a ratio: the absolute
numbers depend on the machine, the ratio much less.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc


@dataclass
class Result:
    name: str
    calls: int
    seconds: float
    latencies_ms: list[float]
    errors: int
    # Every call made, the warm-up's too (what the servers' CPU was spent on).
    all_calls: int = 0

    @property
    def rate(self) -> float:
        return self.calls / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]

    def line(self) -> str:
        return (f"{self.name:<44} {self.rate:>9.0f} calls/s   p50 {self.percentile(50):6.2f} ms"
                f"   p99 {self.percentile(99):6.2f} ms   errors {self.errors}")


def _worker(spec: tuple[str, str, dict], threads: int, duration: float, warmup: float,
            queue: multiprocessing.Queue, interval: float | None = None) -> None:
    module, function, kwargs = spec
    make_call: Callable[..., Callable[[], None]] = getattr(importlib.import_module(module), function)
    latencies: list[float] = []
    errors = made = 0
    lock = threading.Lock()
    start_at = time.monotonic() + warmup
    stop_at = start_at + duration

    def run() -> None:
        nonlocal errors, made
        call = make_call(**kwargs)
        mine: list[float] = []
        failed = count = 0
        scheduled = time.monotonic()
        while True:
            if interval is not None:
                # Open loop: calls at a fixed pace; latency counts from when the call was
                # due, so a server that falls behind shows it (no coordinated omission).
                scheduled += interval
                pause = scheduled - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                begin = scheduled
            else:
                begin = time.monotonic()
            if begin >= stop_at:
                break
            try:
                call()
            except Exception:
                failed += 1
            count += 1
            end = time.monotonic()
            if begin >= start_at:
                mine.append((end - begin) * 1000)
        with lock:
            latencies.extend(mine)
            errors += failed
            made += count

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    queue.put((latencies, errors, made))


def measure(name: str, spec: tuple[str, str, dict], *, duration: float = 5.0, warmup: float = 1.0,
            processes: int = 2, threads: int = 4, rate: float | None = None) -> Result:
    """Drive ``spec`` (module, factory function, kwargs) from processes × threads clients,
    as fast as they go, or at ``rate`` calls per second in all (open loop)."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    interval = processes * threads / rate if rate else None
    children = [context.Process(target=_worker, args=(spec, threads, duration, warmup, queue, interval))
                for _ in range(processes)]
    for child in children:
        child.start()
    latencies: list[float] = []
    errors = made = 0
    for _ in children:
        got, failed, count = queue.get()
        latencies.extend(got)
        errors += failed
        made += count
    for child in children:
        child.join()
    return Result(name, len(latencies), duration, latencies, errors, made)


@dataclass
class Comparison:
    baseline: Result
    subject: Result
    baseline_cpu_us: float
    subject_cpu_us: float
    ceiling: Result | None = None
    # CPU per call of every process given as ``suite_pids`` (0 when none were given).
    baseline_suite_cpu_us: float = 0.0
    subject_suite_cpu_us: float = 0.0

    @property
    def ratio(self) -> float:
        return self.subject.rate / self.baseline.rate if self.baseline.rate else 0.0

    def ceiling_lines(self, label: str) -> list[str]:
        """The ceiling's figures, its ratio to the baseline and the subject's share of it."""
        if self.ceiling is None:
            return []
        return [self.ceiling.line(),
                ratio_line(label, self.ceiling.rate, self.baseline.rate)
                + f"   (the subject reaches {self.subject.rate / (self.ceiling.rate or 1):.0%} of it)"]


def compare(baseline: tuple[str, tuple], subject: tuple[str, tuple], *, server_pid: int | None = None,
            rounds: int = 3, ceiling: tuple[str, tuple] | None = None,
            suite_pids: Callable[[], list[int]] | None = None, **load) -> Comparison:
    """Measure baseline and subject (and ``ceiling``, when given: the same shape of call
    without its work) alternately ``rounds`` times; keep each one's median round.

    Alternating cancels slow drifts of the machine (other load, CPU frequency); the
    median drops a disturbed round. ``suite_pids`` gives the processes whose CPU,
    summed, is reported per call (e.g. every component of the suite).
    """
    measured = {"baseline": baseline, "subject": subject, **({"ceiling": ceiling} if ceiling else {})}
    runs: dict[str, list[tuple[Result, float, float]]] = {key: [] for key in measured}

    def suite_cpu() -> float:
        return sum(cpu_seconds(pid) for pid in suite_pids()) if suite_pids else 0.0

    for _ in range(rounds):
        for key, (name, spec) in measured.items():
            before, suite_before = (cpu_seconds(server_pid) if server_pid else 0.0), suite_cpu()
            result = measure(name, spec, **load)
            used = (cpu_seconds(server_pid) - before) if server_pid else 0.0
            calls = max(result.all_calls, 1)  # the server worked for the warm-up's calls too
            runs[key].append((result, used / calls * 1e6, (suite_cpu() - suite_before) / calls * 1e6))

    def median_run(key: str) -> tuple[Result, float, float]:
        ordered = sorted(runs[key], key=lambda run: run[0].rate)
        return ordered[len(ordered) // 2]

    base, base_cpu, base_suite = median_run("baseline")
    subj, subj_cpu, subj_suite = median_run("subject")
    return Comparison(base, subj, base_cpu, subj_cpu, median_run("ceiling")[0] if ceiling else None,
                      base_suite, subj_suite)


def ratio_line(label: str, value: float, baseline: float, goal: float | None = None) -> str:
    ratio = value / baseline if baseline else 0.0
    verdict = "" if goal is None else (f"   goal ≥ {goal:.2f}: " + ("met" if ratio >= goal else "NOT met"))
    return f"{label:<44} {ratio:>6.2f}×{verdict}"


def median_of(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


# --- running components as processes -----------------------------------------------------------

class Components:
    """Components started as `python -m ...` with a shared temporary data directory."""

    def __init__(self, **environment: str) -> None:
        self.directory = tempfile.TemporaryDirectory(prefix="ncms-bench-")
        self.data_dir = Path(self.directory.name)
        self.environment = dict(os.environ, NCMS_DATA_DIR=str(self.data_dir), NCMS_LOG_LEVEL="WARNING",
                                **environment)
        self.processes: list[subprocess.Popen] = []

    def start(self, module: str, address: str, **environment: str) -> None:
        self.start_command(["-m", module], address, **environment)

    def start_command(self, arguments: list[str], address: str, **environment: str) -> None:
        """``python ARGUMENTS``, once it answers gRPC health checks at ``address``."""
        process = subprocess.Popen([sys.executable, *arguments], env={**self.environment, **environment})
        self.processes.append(process)
        wait_for_health(address, process)

    def settings_value(self, name: str, default: str) -> str:
        return self.environment.get(name, default)

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        self.directory.cleanup()

    def __enter__(self) -> Components:
        return self

    def __exit__(self, *_exc) -> None:
        self.stop()


def wait_for_health(address: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    with grpc.insecure_channel(address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"component at {address} exited with {process.returncode}")
            try:
                if stub.Check(health_pb2.HealthCheckRequest(), timeout=1).status == 1:
                    return
            except grpc.RpcError:
                time.sleep(0.2)
    raise RuntimeError(f"component at {address} not ready in {timeout}s")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_seconds(pid: int, *, split: bool = False):
    """User+system CPU seconds a process has used (Linux /proc); (user, system) if split."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    user, system = int(fields[11]) / ticks, int(fields[12]) / ticks
    return (user, system) if split else user + system


# --- HTTP (SOAP) load ----------------------------------------------------------------------

def soap_session(url: str) -> Callable[[bytes, str, bytes], None]:
    """A keep-alive HTTP connection posting SOAP 1.1 bodies, as a HIS's client keeps one;
    ``post(body, soap_action, expect)`` checks ``expect`` is in the answer."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)

    def post(body: bytes, soap_action: str, expect: bytes = b"") -> None:
        headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{soap_action}"'}
        connection.request("POST", parts.path, body, headers)
        response = connection.getresponse()
        answer = response.read()
        if response.status != 200 or expect not in answer:
            raise RuntimeError(f"unexpected answer {response.status}: {answer[:200]!r}")

    return post


def soap_post(url: str, body: bytes, soap_action: str, expect: bytes = b""):
    """A keep-alive SOAP 1.1 POST of a prepared body; ``expect`` must be in every answer."""
    post = soap_session(url)
    return lambda: post(body, soap_action, expect)


def child_pids(pid: int) -> list[int]:
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            children += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return children


def spread_line(before: dict[int, float], after: dict[int, float]) -> str:
    """How CPU time divided among processes (e.g. gunicorn workers) between two readings."""
    used = {pid: after.get(pid, 0.0) - before.get(pid, 0.0) for pid in after}
    total = sum(used.values()) or 1.0
    shares = ", ".join(f"{used[pid] / total:.0%}" for pid in sorted(used))
    return f"load spread over {len(used)} workers (share of their CPU): {shares}"
