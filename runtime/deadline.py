"""No write outlives its caller.

A caller that gave up (its deadline passed, or it cancelled) has already answered
E9001 "nothing was recorded" to its own caller. The gRPC server makes the call's
deadline current; ``Database.write`` asks ``ensure_caller_waiting`` just before it
commits, and rolls back instead when the caller is gone.
"""

from __future__ import annotations

import contextvars
import time

from .errors import ServiceUnavailable

# Commit only with this much of the caller's deadline left: the commit itself and
# the answer's way back take time too.
COMMIT_MARGIN_SECONDS = 0.05


class CallDeadline:
    """When the current call's caller stops waiting: its deadline (monotonic clock) and
    whether it has gone (cancelled, or the call ended). Safe to read from any thread."""

    def __init__(self, deadline: float | None) -> None:
        self.deadline = deadline
        self.gone = False

    @classmethod
    def of(cls, context) -> CallDeadline:
        """The deadline of an aio ServicerContext, read on the loop's thread."""
        remaining = context.time_remaining()
        deadline = cls(None if remaining is None else time.monotonic() + remaining)
        context.add_done_callback(deadline._mark_gone)
        return deadline

    def _mark_gone(self, _context=None) -> None:
        self.gone = True

    def time_remaining(self) -> float | None:
        return None if self.deadline is None else self.deadline - time.monotonic()

    def active(self) -> bool:
        remaining = self.time_remaining()
        return not self.gone and (remaining is None or remaining > 0)


_current: contextvars.ContextVar[CallDeadline | None] = contextvars.ContextVar("rpc_deadline", default=None)


def set_current_rpc(deadline: CallDeadline | None) -> contextvars.Token:
    return _current.set(deadline)


def ensure_caller_waiting() -> None:
    """Raise E9001 when the current gRPC caller can no longer receive the answer."""
    deadline = _current.get()
    if deadline is None:
        return
    remaining = deadline.time_remaining()
    if deadline.gone or (remaining is not None and remaining < COMMIT_MARGIN_SECONDS):
        raise ServiceUnavailable("调用方已超时, 未记录")
