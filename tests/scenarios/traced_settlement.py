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
        time.sleep(0.2)
        exporter.clear()
        answer = his.call("mzjsjk", **outpatient_call(
            "TRACED1", [line(1, "1", "YP0001", "阿莫西林胶囊", "12.50", "2", "25.00")]))
        assert answer.rows("mzjsjg")[0]["jsbh"], answer.document
        time.sleep(0.2)
        spans = exporter.get_finished_spans()
        root = next(s for s in spans if s.name == "SOAP mzjsjk")
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
