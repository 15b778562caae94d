"""The gateway as `ncms up` and the image run it (`python -m gateway`: gunicorn worker
processes reading requests on an event loop): slow clients cannot starve it, framing
is strict, every refusal is a SOAP Fault, and it speaks HTTPS when given a
certificate (zeep drives it there)."""

from __future__ import annotations

import os
import socket
import statistics
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests
from lxml import etree

from legacy import message_header
from legacy.client import envelope, headers, sign
from tests.support.gateway_process import GatewayProcess, readiness
from tests.support.soap import Legacy
from tests.support.suite import new_hospital, new_user

PASSWORD = "Passw0rd!x"
AUTHENTICATED = "E1102:新旧口令相同"


@pytest.fixture
def key(identity):
    key = new_hospital(identity.admin)
    new_user(identity.admin, permissions="ABCDEFGHIJ")
    return key


@pytest.fixture
def gateway(identity, key):
    running = GatewayProcess(identity)
    yield running
    running.stop()


def same_password_body(key: str) -> bytes:
    his = Legacy("http://unused", key)
    params = his.params("yhklxgjk", ykl=PASSWORD, xkl=PASSWORD)
    params["xxzy"] = sign(key, "yhklxgjk", params)
    return envelope("yhklxgjk", params)


def ordinary_call(url: str, key: str, verify=True) -> tuple[str, float]:
    """One call on a new connection: its answer and how long it took."""
    started = time.perf_counter()
    response = requests.post(url, data=same_password_body(key), headers={**headers("yhklxgjk"), "Connection": "close"},
                             timeout=60, verify=verify)
    answer = etree.fromstring(response.content).findtext(".//{urn:ncms:his:v1}yhklxgjkResult")
    return answer, time.perf_counter() - started


def raw(port: int, data: bytes, *, read_timeout: float = 10) -> bytes:
    """Send ``data`` on a new connection; everything the server answers until it closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=read_timeout) as connection:
        connection.sendall(data)
        received = b""
        try:
            while chunk := connection.recv(65536):
                received += chunk
        except (TimeoutError, ConnectionResetError):
            pass
    return received


def closed_by_server(port: int, data: bytes, *, give_up_after: float = 60) -> bool:
    """Send ``data`` and read on: True when the server closes the connection without
    answering. ``give_up_after`` only keeps a server that never closes from hanging the test."""
    with socket.create_connection(("127.0.0.1", port), timeout=give_up_after) as connection:
        connection.sendall(data)
        try:
            return connection.recv(65536) == b""
        except ConnectionResetError:
            return True
        except TimeoutError:
            return False


def request_head(length: int | None = None, *extra: str) -> bytes:
    lines = ["POST /NcmsService.asmx HTTP/1.1", "Host: 127.0.0.1", "Content-Type: text/xml; charset=utf-8",
             'SOAPAction: "urn:ncms:his:v1/yhklxgjk"', *extra]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


# --- the server as run --------------------------------------------------------------------------

def test_calls_through_the_served_gateway(gateway, key):
    assert ordinary_call(gateway.url, key)[0] == AUTHENTICATED
    his = Legacy(gateway.url, key)
    assert his.call("yhklxgjk", header=message_header.new(), ykl=PASSWORD, xkl=PASSWORD).text() == AUTHENTICATED
    wsdl = requests.get(gateway.url + "?wsdl", timeout=10)
    assert wsdl.status_code == 200 and b"MessageHeader" in wsdl.content
    assert readiness(gateway.base, verify=gateway.verify).text.startswith("ready")
    # keep-alive: several calls on one connection
    session = requests.Session()
    for _ in range(3):
        response = session.post(gateway.url, data=same_password_body(key), headers=headers("yhklxgjk"), timeout=10)
        assert AUTHENTICATED.encode() in response.content


def test_200_slow_clients_do_not_starve_ordinary_calls(identity, key):
    gateway = GatewayProcess(identity, gateway_body_timeout_seconds="300")
    slow: list[socket.socket] = []
    stop = threading.Event()
    try:
        baseline = sorted(ordinary_call(gateway.url, key)[1] for _ in range(20))
        # 200 clients announce a 100 kB body and send it one byte at a time
        for _ in range(200):
            connection = socket.create_connection(("127.0.0.1", gateway.port), timeout=10)
            connection.sendall(request_head(100_000) + b"<")
            slow.append(connection)

        def dribble():
            while not stop.wait(0.5):
                for connection in slow:
                    connection.send(b" ")

        dribbler = threading.Thread(target=dribble, daemon=True)
        dribbler.start()
        time.sleep(1.0)  # every slow client has been accepted and is sending
        during = []
        for _ in range(20):
            answer, seconds = ordinary_call(gateway.url, key)
            assert answer == AUTHENTICATED
            during.append(seconds)
        # Starved, a call would wait for a slow body (300 s) and time out (60 s). Not
        # starved, the calls take about as long as before: a generous bound on the median,
        # relative to this very run, which one stall of a loaded machine does not move.
        assert statistics.median(during) <= 10 * statistics.median(baseline) + 0.05, (baseline, during)
        # and the slow clients are still connected, being read
        stop.set()
        dribbler.join(5)
        still_open = 0
        for connection in slow:
            connection.setblocking(False)
            try:
                connection.recv(1)  # b"": closed; bytes: answered
            except BlockingIOError:
                still_open += 1  # nothing to read, not closed: the server still waits for the body
        assert still_open == 200
    finally:
        stop.set()
        for connection in slow:
            connection.close()
        gateway.stop()


def test_a_client_too_slow_is_answered_408_and_closed(identity, key):
    gateway = GatewayProcess(identity, gateway_body_timeout_seconds="1.5", gateway_header_timeout_seconds="1.5",
                             gateway_min_body_rate="1000")
    try:
        with socket.create_connection(("127.0.0.1", gateway.port), timeout=20) as connection:
            connection.sendall(request_head(1000))
            connection.settimeout(0.2)
            answer, closed = b"", False
            deadline = time.monotonic() + 10
            while not closed and time.monotonic() < deadline:  # a byte every 0.2 s: far below 1000 a second
                try:
                    connection.send(b" ")
                    chunk = connection.recv(65536)
                    answer += chunk
                    closed = not chunk
                except TimeoutError:
                    pass
                except OSError:
                    closed = True
        assert closed and answer.startswith(b"HTTP/1.1 408") and b"Client.Timeout" in answer
        # headers that never end: the connection is closed
        assert closed_by_server(gateway.port, b"POST /NcmsService.asmx HTTP/1.1\r\nHost: x\r\n")
        # a fast client is served all along
        assert ordinary_call(gateway.url, key)[0] == AUTHENTICATED
    finally:
        gateway.stop()


# --- framing and limits -----------------------------------------------------------------------------

def test_framing_is_strict_and_every_refusal_a_soap_fault(identity, key):
    gateway = GatewayProcess(identity, gateway_max_body_bytes="65536")
    body = same_password_body(key)
    try:
        cases = [
            (request_head(len(body), "Transfer-Encoding: chunked") + body, b"400"),
            (request_head(None, "Transfer-Encoding: gzip, chunked") + body, b"501"),
            (request_head(len(body), f"Content-Length: {len(body) + 1}") + body, b"400"),
            (request_head(None, "Content-Length: -1") + body, b"400"),
            (request_head(None, "Content-Length: 1e3") + body, b"400"),
            (request_head(10_000_000), b"413"),  # refused on its headers, without reading
            (request_head(None, "Transfer-Encoding: chunked") + b"zz\r\n", b"400"),
            (request_head(None, "Transfer-Encoding: chunked") + (b"10000\r\n" + b"x" * 65536 + b"\r\n") * 2, b"413"),
            (request_head(len(body), " folded: header") + body, b"400"),
            (request_head(len(body), "Expect: something-else") + body, b"417"),
            (b"GET / HTTP/2.0\r\n\r\n", b"505"),
            (b"NOT A REQUEST\r\n\r\n", b"400"),
            (b"POST /NcmsService.asmx HTTP/1.1\r\n" + b"X-A: b\r\n" * 200 + b"\r\n", b"431"),
            (b"POST /NcmsService.asmx HTTP/1.1\r\nX-Long: " + b"a" * 70_000 + b"\r\n\r\n", b"431"),
        ]
        for data, status in cases:
            answer = raw(gateway.port, data)
            assert answer.startswith(b"HTTP/1.1 " + status), (data[:120], answer[:200])
            head, _, content = answer.partition(b"\r\n\r\n")
            assert b"Content-Type: text/xml" in head and b"<soap:Fault>" in content, answer
            assert b"Traceback" not in answer and b"<html" not in answer.lower()
        # a chunked body and Expect: 100-continue, as .NET sends them, are served
        chunked = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 100]), body[i:i + 100]) for i in range(0, len(body), 100))
        answer = raw(gateway.port, request_head(None, "Transfer-Encoding: chunked", "Connection: close")
                     + chunked + b"0\r\nX-Trailer: t\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 200") and AUTHENTICATED.encode() in answer
        with socket.create_connection(("127.0.0.1", gateway.port), timeout=10) as connection:
            connection.sendall(request_head(len(body), "Expect: 100-continue", "Connection: close"))
            assert connection.recv(100).startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
            connection.sendall(body)
            answer = b""
            while chunk := connection.recv(65536):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 200") and AUTHENTICATED.encode() in answer
        # a body that is not SOAP, through the real server
        answer = raw(gateway.port, request_head(9, "Connection: close") + b"not xml!!")
        assert answer.startswith(b"HTTP/1.1 500") and b"XMLSyntaxError" in answer
        # pipelined requests on one connection are answered in order
        two = request_head(len(body)) + body + request_head(len(body), "Connection: close") + body
        assert raw(gateway.port, two).count(AUTHENTICATED.encode()) == 2
    finally:
        gateway.stop()


def test_too_many_connections_are_refused_not_queued(identity, key):
    # the idle connections send half a request line; a long header deadline keeps them open
    gateway = GatewayProcess(identity, gateway_workers="1", gateway_max_connections="5",
                             gateway_header_timeout_seconds="120")
    idle = []
    try:
        for _ in range(5):
            idle.append(socket.create_connection(("127.0.0.1", gateway.port), timeout=10))
            idle[-1].sendall(b"POST /NcmsService.asmx HTTP/1.1\r\n")
        # Once the worker has taken in the five (under load that takes a moment), a sixth
        # connection is answered 503 at once; before, it may still be served.
        deadline = time.monotonic() + 15
        while True:
            answer = raw(gateway.port, request_head(1, "Connection: close") + b"x", read_timeout=5)
            if answer.startswith(b"HTTP/1.1 503") or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert answer.startswith(b"HTTP/1.1 503") and b"Server.Busy" in answer, answer[:200]
    finally:
        for connection in idle:
            connection.close()
        gateway.stop()


# --- HTTPS ---------------------------------------------------------------------------------------------

def _certificate(directory) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1 and its key, as PEM files."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ncms-gateway-test")])
    now = datetime.now(UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(private.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
                   .not_valid_after(now + timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                                  critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(private, hashes.SHA256()))
    cert_file, key_file = directory / "gateway.crt", directory / "gateway.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    return str(cert_file), str(key_file)


def test_https_with_zeep(identity, key, tmp_path):
    import zeep
    from zeep.transports import Transport

    from tests.support.soap import ZeepHIS

    cert, private_key = _certificate(tmp_path)
    gateway = GatewayProcess(identity, https=(cert, private_key, cert))
    try:
        assert gateway.url.startswith("https://")
        session = requests.Session()
        session.verify = cert
        session.trust_env = False  # REQUESTS_CA_BUNDLE would replace the trusted certificate
        his = ZeepHIS.__new__(ZeepHIS)  # ZeepHIS over a session that trusts the test's certificate
        from tests.support.soap import _DataSetPlugin

        his.plugin = _DataSetPlugin()
        his.client = zeep.Client(f"{gateway.url}?wsdl", plugins=[his.plugin], transport=Transport(session=session))
        his.key = key
        his.caller = Legacy(gateway.url, key)
        assert his.client.wsdl.services["NcmsService"].ports["NcmsServiceSoap"].binding_options["address"] == gateway.url
        assert his.call("yhklxgjk", ykl=PASSWORD, xkl=PASSWORD) == AUTHENTICATED
        assert his.call("yhklxgjk", header=message_header.new(), ykl=PASSWORD, xkl=PASSWORD) == AUTHENTICATED
        # plain HTTP on the HTTPS port gets nothing; an untrusted certificate is refused by the client
        assert raw(gateway.port, request_head(1) + b"x", read_timeout=5)[:4] != b"HTTP"
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(gateway.base + "/healthz", timeout=10)
    finally:
        gateway.stop()


def test_tls_settings_go_together(identity, tmp_path):
    import os
    import subprocess
    import sys

    cert, _ = _certificate(tmp_path)
    environment = {**os.environ, "NCMS_GATEWAY_TLS_CERT_FILE": cert, "NCMS_GATEWAY_CLIENT_SECRET": "x" * 40,
                   "NCMS_DATA_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "gateway", "--listen", "127.0.0.1:0"], env=environment,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "NCMS_GATEWAY_TLS_KEY_FILE" in result.stderr


@pytest.mark.mono
def test_the_dotnet_client_through_the_served_gateway(identity, key, mono_client):
    """What a .NET HIS sends (Expect: 100-continue, its own framing) through the server as run."""
    gateway = GatewayProcess(identity)
    try:
        steps = mono_client.run(gateway.url, key, "users")
        assert steps["yhklxgjk"] == "" and steps["yhklxgjk.same"] == AUTHENTICATED
        assert steps["Yhzjjk"] == "" and steps["Yhscjk"] == "" and steps["wrong.key"] == "E1005:消息摘要校验失败"
        assert steps["chryxxjk.ErrorInfo"].startswith("E9001|") and steps["ypmljk"].startswith("E9001:")
        header = mono_client.run(gateway.url, key, "header", password="N3w-pass!x")
        assert header["header.first"] == AUTHENTICATED and header["header.replay"].startswith("E1008:")
    finally:
        gateway.stop()


def test_a_threaded_server_stops_when_its_wake_up_pipe_was_closed_under_it():
    """The in-process server (the hospital's service, the tests' gateways) stops cleanly
    even when the write end of waitress's wake-up pipe is already closed (EBADF)."""
    from legacy.serving import ThreadedServer

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    server = ThreadedServer(app, "127.0.0.1", 0, name="pipe-closed").start()
    assert requests.get(f"http://127.0.0.1:{server.port}/", timeout=5).text == "ok"
    os.close(server.server.trigger.trigger)
    deadline = time.monotonic() + 5
    while not server.server.trigger._closed and time.monotonic() < deadline:
        time.sleep(0.05)  # the loop reads the pipe's end and closes the trigger itself
    server.stop()
    assert not server.thread.is_alive()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", int(server.port)))  # the port is free again
