"""The handlers of the legacy operations, by operation name."""

from __future__ import annotations

from legacy import users
from legacy.calls import Handler

from . import catalog, enrollment, settlement

HANDLERS: dict[str, Handler] = {
    **users.HANDLERS,
    **catalog.HANDLERS,
    **enrollment.HANDLERS,
    **settlement.HANDLERS,
}
