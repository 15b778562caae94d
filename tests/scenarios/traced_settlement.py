"""One mzjsjk call through the whole suite with tracing on, spans kept in memory.

Run as ``python -m tests.scenarios.traced_settlement WORKDIR BACKEND``; prints one JSON
object per span of the call's trace. Tracing is process-wide, so the test that reads
this runs it in its own process rather than turning tracing on for the whole session.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from runtime import telemetry


def complete_trace(exporter, timeout: float = 30.0):
    """The newest SOAP call's root span and its trace, once every span of it has ended:
    the root, and a SERVER span under each CLIENT span (servers end theirs after they
    answer, so a span may still arrive after the answer has)."""
    deadline = time.monotonic() + timeout
    while True:
        spans = exporter.get_finished_spans()
        roots = [s for s in spans if s.name == "SOAP mzjsjk"]
        if roots:
            root = max(roots, key=lambda s: s.start_time)
            trace = [s for s in spans if s.context.trace_id == root.context.trace_id]
            servers = {s.parent.span_id for s in trace if s.kind.name == "SERVER" and s.parent}
            if all(s.context.span_id in servers for s in trace if s.kind.name == "CLIENT"
                   and not s.attributes.get("db.system")):
                return root, trace
        if time.monotonic() > deadline:
            raise AssertionError(f"the trace did not complete: {[s.name for s in spans]}")
        time.sleep(0.01)


def outcome_recorded(identity_url: str, timeout: float = 30.0) -> None:
    """Wait until identity's audit log holds a call's outcome."""
    import sqlalchemy as sa

    engine = sa.create_engine(identity_url)
    deadline = time.monotonic() + timeout
    try:
        while True:
            with engine.connect() as connection:
                if connection.execute(sa.text("SELECT count(*) FROM audit_events WHERE kind = 'outcome'")).scalar():
                    return
            if time.monotonic() > deadline:
                raise AssertionError("the warm call's outcome was not recorded")
            time.sleep(0.01)
    finally:
        engine.dispose()


def main(workdir: Path, backend: str) -> None:
    exporter = InMemorySpanExporter()
    telemetry.setup("suite", processors=[SimpleSpanProcessor(exporter)])  # before any engine or channel

    from tests.support.databases import DatabaseFactory
    from tests.support.soap import Legacy
    from tests.support.suite import Suite
    from tests.support.world import build, line, outpatient_call

    (workdir / "databases").mkdir(parents=True, exist_ok=True)
    databases = DatabaseFactory(backend, workdir / "databases")
    suite = Suite(databases, workdir)
    try:
        suite.start("identity")
        world = build(suite)
        his = Legacy(world.url, world.key)
        # warm: tokens issued, keys fetched, statements prepared
        his.call("mzjsjk", **outpatient_call("WARM1", [line(1, "1", "YP0001", "阿莫西林胶囊", "12.50", "2", "25.00")]))
        # The warm call's outcome reaches the audit log a moment later. Were it being written
        # when the traced call is authenticated, that writer would commit the traced call's
        # event too (one commit for both), in its own trace: wait for it first.
        outcome_recorded(suite.urls["identity"])
        answer = his.call("mzjsjk", **outpatient_call(
            "TRACED1", [line(1, "1", "YP0001", "阿莫西林胶囊", "12.50", "2", "25.00")]))
        assert answer.rows("mzjsjg")[0]["jsbh"], answer.document
        root, spans = complete_trace(exporter)
        for span in spans:
            if span.context.trace_id != root.context.trace_id:
                continue
            print(json.dumps({
                "name": span.name, "kind": span.kind.name, "span_id": span.context.span_id,
                "parent_id": span.parent.span_id if span.parent else None,
                "attributes": {k: v for k, v in (span.attributes or {}).items()
                               if k.startswith(("ncms.", "db.system", "rpc."))}}, ensure_ascii=False))
    finally:
        suite.stop()
        databases.close()
        telemetry.shutdown()


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2])
