"""No write outlives its caller.

A caller that gave up (its deadline passed, or it cancelled) has already answered
E9001 "nothing was recorded" to its own caller. The gRPC server makes the call's
context current; ``Database.write`` asks ``ensure_caller_waiting`` just before it
commits, and rolls back instead when the caller is gone.
"""

from __future__ import annotations

import contextvars

import grpc

from .errors import ServiceUnavailable

# Commit only with this much of the caller's deadline left: the commit itself and
# the answer's way back take time too.
COMMIT_MARGIN_SECONDS = 0.05

_current: contextvars.ContextVar[grpc.ServicerContext | None] = contextvars.ContextVar(
    "rpc_context", default=None)


def set_current_rpc(context: grpc.ServicerContext | None) -> contextvars.Token:
    return _current.set(context)


def reset_current_rpc(token: contextvars.Token) -> None:
    try:
        _current.reset(token)
    except ValueError:
        _current.set(None)


def ensure_caller_waiting() -> None:
    """Raise E9001 when the current gRPC caller can no longer receive the answer."""
    context = _current.get()
    if context is None:
        return
    remaining = context.time_remaining()
    if not context.is_active() or (remaining is not None and remaining < COMMIT_MARGIN_SECONDS):
        raise ServiceUnavailable("调用方已超时, 未记录")
