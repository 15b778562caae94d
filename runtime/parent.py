"""A component started by ``ncms up`` stops when ``up`` ends, however it ends (Linux).

``up`` puts its pid in ``NCMS_STOP_WITH_PID``; the component asks the kernel for a
SIGTERM when its parent dies (``prctl(PR_SET_PDEATHSIG)``), so that a ``kill -9`` of
``up`` leaves no component holding the suite's ports. It is asked here, after the
component's exec, rather than between fork and exec: a ``preexec_fn`` makes
``subprocess`` fork for real, and gRPC's fork handlers then run in the child, which
can abort it (epoll EBADF). The kernel sends the signal when the *thread* that started
the process ends: ``up`` starts every component from its main thread.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

ENVIRONMENT = "NCMS_STOP_WITH_PID"
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def stop_with_parent() -> None:
    """SIGTERM to this process when the ``up`` that started it dies; else nothing."""
    expected = os.environ.pop(ENVIRONMENT, None)  # not for this process's own children
    if not expected or not sys.platform.startswith("linux"):
        return
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != int(expected):  # `up` died before the line above
        os.kill(os.getpid(), signal.SIGTERM)
