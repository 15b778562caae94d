"""The gateway as `ncms up` and the image run it: `python -m gateway` (gunicorn, its
worker processes), on a listening socket the test made, talking to the test suite's
services over gRPC."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import requests

from tests.support.suite import GATEWAY_SECRET


class GatewayProcess:
    def __init__(self, suite, *, https: tuple[str, str, str] | None = None, **settings: str) -> None:
        """``https``: (certificate file, key file, CA file to trust); ``settings``:
        NCMS_* variables by their field name (gateway_workers="1")."""
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(2048)
        self.port = self.listener.getsockname()[1]
        scheme = "https" if https else "http"
        self.base = f"{scheme}://127.0.0.1:{self.port}"
        self.url = f"{self.base}/NcmsService.asmx"
        self.verify: str | bool = https[2] if https else True
        addresses = {f"NCMS_{name.upper()}_ADDRESS": suite.address(name) for name in suite.servers}
        environment = {**os.environ, **addresses, "NCMS_ENV": "development", "NCMS_DATA_DIR": str(suite.data_dir),
                       "NCMS_GATEWAY_CLIENT_SECRET": GATEWAY_SECRET, "NCMS_GATEWAY_PUBLIC_URL": self.url,
                       "NCMS_LOG_LEVEL": "WARNING", "NCMS_METRICS_ADDRESS": "",
                       **{f"NCMS_{name.upper()}": str(value) for name, value in settings.items()}}
        environment.pop("NCMS_METRICS_ADDRESS")
        if https:
            environment["NCMS_GATEWAY_TLS_CERT_FILE"], environment["NCMS_GATEWAY_TLS_KEY_FILE"] = https[0], https[1]
        fd = self.listener.fileno()
        self.log_path = suite.data_dir / f"gateway-{self.port}.log"
        self._log = open(self.log_path, "w", encoding="utf-8")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen([sys.executable, "-m", "gateway", "--listen", f"fd://{fd}"],
                                        pass_fds=[fd], env=environment, stdout=subprocess.DEVNULL,
                                        stderr=self._log)
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{self.base}/healthz", timeout=2, verify=self.verify).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"the gateway did not start:\n{self.log()}")
            time.sleep(0.1)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.listener.close()
        self._log.close()


def readiness(base: str, until=lambda response: response.status_code == 200, timeout: float = 30, **kwargs):
    """The gateway's /readyz answer once ``until`` holds for it. A probe checks identity
    within 0.8 s (as a kubelet's one-second probe needs), which a new connection on a
    loaded machine can miss once; a probe is asked again, as a kubelet does."""
    deadline = time.monotonic() + timeout
    while True:
        response = requests.get(f"{base}/readyz", timeout=10, **kwargs)
        if until(response) or time.monotonic() > deadline:
            return response
        time.sleep(0.2)
