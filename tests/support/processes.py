"""A service as its own process (``python -m services.<name>``), for tests that kill it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time

from runtime.clients import serving

_LISTENING = re.compile(r"listening on \S+ \(port (\d+)")
_HEALTH = re.compile(r"health checks in plaintext on port (\d+)")


class ServiceProcess:
    """Started with ``environment`` (NCMS_* variables) on ``listen`` (default: a free
    port); its log is kept."""

    def __init__(self, service: str, environment: dict[str, str], listen: str = "127.0.0.1:0") -> None:
        self.service = service
        self.log: list[str] = []
        self._port = threading.Event()
        self.port = 0
        self.health_port = 0  # with TLS: where plaintext health checks are answered
        env = {**os.environ, **environment, "NCMS_LOG_LEVEL": "INFO", "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen([sys.executable, "-m", f"services.{service}", "--listen", listen],
                                        env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        threading.Thread(target=self._read, daemon=True).start()
        if not self._port.wait(60):
            self.kill()
            raise AssertionError(f"{service} did not start:\n" + "\n".join(self.log[-30:]))

    def _read(self) -> None:
        for line in self.process.stderr:
            self.log.append(line.rstrip())
            health = _HEALTH.search(line)
            if health:
                self.health_port = int(health.group(1))
            match = _LISTENING.search(line)
            if match and not self.port:
                self.port = int(match.group(1))
                self._port.set()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def wait_serving(self, timeout: float = 60) -> None:
        """Until its health check says SERVING (for settlement: its copies are in sync)."""
        deadline = time.monotonic() + timeout
        while not serving(f"127.0.0.1:{self.health_port}" if self.health_port else self.address):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"{self.service} is not serving:\n" + "\n".join(self.log[-30:]))
            time.sleep(0.05)

    def kill(self) -> None:
        """kill -9: no shutdown code runs."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
