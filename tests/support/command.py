"""Running the ncms command as an administrator would, against a test suite's servers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from tests.support.suite import ADMIN_SECRET

NCMS = [sys.executable, "-c", "from cli.main import main; main()"]
ENGLISH = {"LANG": "en_US.UTF-8", "LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": ""}
CHINESE = {"LANG": "zh_CN.UTF-8", "LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": ""}


def ncms(suite, *args: str, input: str | None = None, env: dict | None = None,
         timeout: float = 120) -> subprocess.CompletedProcess:
    """``ncms ARGS`` with the suite's addresses and the administrator's secret; English
    messages unless ``env`` says otherwise."""
    addresses = {f"NCMS_{name.upper()}_ADDRESS": suite.address(name) for name in suite.servers}
    environment = {**os.environ, **ENGLISH, **addresses, "NCMS_ADMIN_CLIENT_SECRET": ADMIN_SECRET,
                   "NCMS_DATA_DIR": str(suite.data_dir), **(env or {})}
    return subprocess.run([*NCMS, *args], capture_output=True, text=True, env=environment, timeout=timeout,
                          input=input)


def stop_up(process: subprocess.Popen, signum: int = signal.SIGINT, *, output: bool = True,
            timeout: float = 60) -> str:
    """Stop a running ``ncms up`` as a person would (Ctrl-C) and return what it printed
    after. One that has not stopped within ``timeout`` is killed, so that a failing test
    leaves nothing running (its components follow it), and the test fails.
    ``output=False``: another thread is reading its output."""
    process.send_signal(signum)
    try:
        if not output:
            process.wait(timeout=timeout)
            return ""
        return process.communicate(timeout=timeout)[0] or ""
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise
