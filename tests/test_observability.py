"""Traces and metrics: one trace per SOAP call across every hop, and `ncms up`
exporting traces to a collector and serving Prometheus metrics."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent import futures
from pathlib import Path

import grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

from tests.support.command import NCMS, stop_up
from tests.support.ports import unused_ports
from tests.support.soap import Legacy


def test_a_soap_call_is_one_trace_from_gateway_to_database(tmp_path, backend):
    run = subprocess.run([sys.executable, "-m", "tests.scenarios.traced_settlement", str(tmp_path), backend],
                         capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr[-3000:]
    spans = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    by_id = {span["span_id"]: span for span in spans}

    def children(parent, name, kind):
        return [s for s in spans if s["parent_id"] == parent["span_id"] and s["name"] == name and s["kind"] == kind]

    def call(parent, method):
        """The CLIENT span of ``method`` under ``parent``, and its SERVER span."""
        (client,) = children(parent, method, "CLIENT")
        (server,) = children(client, method, "SERVER")
        return server

    def database_spans(parent):
        return [s for s in spans if s["parent_id"] == parent["span_id"] and "db.system" in s["attributes"]]

    (root,) = [s for s in spans if s["parent_id"] is None]
    assert root["name"] == "SOAP mzjsjk" and root["kind"] == "SERVER"
    assert root["attributes"] == {"ncms.operation": "mzjsjk", "ncms.hospital_code": "450200001",
                                  "ncms.result": "ok"}
    assert all(s["parent_id"] in by_id for s in spans if s is not root)  # one connected tree

    identity = call(root, "/ncms.identity.v1.AuthenticationService/Authenticate")
    assert database_spans(identity), "identity's audit write"
    settlement = call(root, "/ncms.settlement.v1.SettlementService/SettleOutpatient")
    # The member and the items come from settlement's own copies: no call to another service.
    assert not [s for s in spans if s["parent_id"] == settlement["span_id"] and s["kind"] == "CLIENT"
                and "db.system" not in s["attributes"]]
    statements = {s["name"].split()[0] for s in database_spans(settlement)}
    assert {"SELECT", "INSERT", "UPDATE"} <= statements, statements


class _Receiver(trace_service_pb2_grpc.TraceServiceServicer):
    """An OTLP/gRPC trace endpoint, as a collector offers one."""

    def __init__(self) -> None:
        self.spans: list[tuple[str, bytes, str, str]] = []  # (service.name, trace id, span name, kind)
        self.lock = threading.Lock()

    def Export(self, request, context):
        with self.lock:
            for resource_spans in request.resource_spans:
                service = next((a.value.string_value for a in resource_spans.resource.attributes
                                if a.key == "service.name"), "")
                for scope in resource_spans.scope_spans:
                    for span in scope.spans:
                        self.spans.append((service, span.trace_id, span.name, span.kind))
        return trace_service_pb2.ExportTraceServiceResponse()


def _metrics(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        return response.read().decode()


def test_ncms_up_exports_traces_to_a_collector_and_serves_metrics(tmp_path: Path):
    receiver = _Receiver()
    collector = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(receiver, collector)
    collector_port = collector.add_insecure_port("127.0.0.1:0")
    collector.start()
    services = unused_ports(10, consecutive=True)[0]  # five for the components, five for their metrics
    metrics = services + 5
    names = ("identity", "catalog", "enrollment", "settlement", "gateway")
    env = dict(os.environ, NCMS_DATA_DIR=str(tmp_path / "var"),
               OTEL_TRACES_EXPORTER="otlp", OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{collector_port}",
               OTEL_EXPORTER_OTLP_INSECURE="true", OTEL_BSP_SCHEDULE_DELAY="100",
               OTEL_SERVICE_NAME="one-name-for-all",  # `ncms up` names each component itself
               NCMS_METRICS_ADDRESS=f"127.0.0.1:{metrics}",
               **{f"NCMS_{name.upper()}_ADDRESS": f"127.0.0.1:{services + n}" for n, name in enumerate(names)})
    process = subprocess.Popen([*NCMS, "up"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output: list[str] = []
    try:
        deadline = time.monotonic() + 240  # components started one after another, on a loaded machine
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            output.append(line)
            if "the suite is running" in line:
                break
        assert any("the suite is running" in line for line in output), "".join(output)
        threading.Thread(target=process.stdout.read, daemon=True).start()

        his = Legacy(f"http://127.0.0.1:{services + 4}/NcmsService.asmx", "no-such-key", hospital="450299999")
        assert his.call("yhklxgjk", ykl="x", xkl="y").text().startswith("E1007")

        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with receiver.lock:
                gateway = [s for s in receiver.spans if s[0] == "ncms-gateway" and s[2] == "SOAP yhklxgjk"]
                traced = {s[0] for s in receiver.spans if gateway and s[1] == gateway[0][1]}
            if {"ncms-gateway", "ncms-identity"} <= traced:
                break
            time.sleep(0.2)
        assert {"ncms-gateway", "ncms-identity"} <= traced, receiver.spans

        gateway_metrics = _metrics(metrics + 4)
        assert 'ncms_soap_calls_total{hospital="unknown",operation="yhklxgjk",result="E1007"} 1.0' in gateway_metrics
        identity_metrics = _metrics(metrics)
        assert ('ncms_grpc_server_handled_total{code="UNAUTHENTICATED",method="Authenticate",'
                'service="ncms.identity.v1.AuthenticationService"} 1.0') in identity_metrics
    finally:
        try:
            stop_up(process, output=False)
        finally:
            collector.stop(0)
