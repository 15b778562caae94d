"""The suite's components as `ncms up` and `ncms migrate` know them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Component:
    name: str
    module: str  # run as `python -m <module>`
    migrations: str = ""  # the Alembic package of a service with a database
    kind: str = "grpc"  # "grpc" (health-checked) or "http"
    arguments: tuple[str, ...] = ()
    path: str = "/NcmsService.asmx"  # where an http component is used


SERVICES: dict[str, Component] = {
    "identity": Component("identity", "services.identity", "services.identity.migrations"),
    "catalog": Component("catalog", "services.catalog", "services.catalog.migrations"),
    "enrollment": Component("enrollment", "services.enrollment", "services.enrollment.migrations"),
    "settlement": Component("settlement", "services.settlement", "services.settlement.migrations"),
}

GATEWAY = Component("gateway", "gateway", kind="http")
# The sandbox hospital's own service, beside the suite with `ncms up --demo`.
DEMO_HOSPITAL = Component("hospital", "hospital", kind="http", arguments=("serve",))
# The centre's web console (http://127.0.0.1:8070/ by default).
CONSOLE = Component("console", "console", kind="http", path="/")

# Start order: identity first (every other component fetches its token keys), the
# gateway and the console last (they call the services).
COMPONENTS: list[Component] = [SERVICES["identity"], SERVICES["catalog"], SERVICES["enrollment"],
                               SERVICES["settlement"], GATEWAY, CONSOLE]
