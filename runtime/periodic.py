"""A chore done every so often in a thread of its own (trimming old rows, for example)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class Periodic:
    """Calls ``chore()`` every ``interval`` seconds until stopped; a failing chore is
    logged and tried again at the next turn."""

    def __init__(self, name: str, interval: float, chore: Callable[[], None]) -> None:
        self.name = name
        self._interval = interval
        self._chore = chore
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> Periodic:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stopping.wait(self._interval):
            try:
                self._chore()
            except Exception:
                log.exception("%s failed; trying again in %.0f s", self.name, self._interval)

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)
