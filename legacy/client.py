"""A client of the legacy SOAP interface, written the way a HIS calls it.

The NCMS uses it to call a hospital's own service (``zysjcxjk``); ``ncms demo`` uses
it to act as a hospital's HIS; the tests use it as a hand-coding HIS would. The
envelope is document/literal SOAP 1.1 (or 1.2) with DataSet parameters as diffgrams,
and ``xxzy`` is the contract's digest over every other parameter (digest.md). A
``LegacyCaller`` sends the MessageHeader (报文标识) with every call: a fresh ``msgid``
and ``sendtime`` now in Beijing time, both signed.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass

from lxml import etree

from . import datasets, digest, message_header
from .message_header import MessageHeader
from .operations import BY_NAME, DATASET
from .wsdl import NAMESPACE

SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"

# A DataSet parameter as a caller gives it: {table: [[(column, value or None), ...], ...]}.
Tables = dict[str, list[list[tuple[str, str | None]]]]


def signed_message(operation: str, params: dict, header: MessageHeader | None = None) -> str:
    """The digest's canonical message of a call: every parameter of the operation (an
    absent one counts as empty) and the MessageHeader's two values when one is sent."""
    signed: dict = {name: params.get(name) for name in BY_NAME[operation].parameter_names}
    if header is not None:
        signed.update(header.digest_pairs())
    return digest.canonical_message(operation, signed)


def sign(key: str, operation: str, params: dict, algorithm: str = digest.HMAC_SHA256,
         header: MessageHeader | None = None) -> str:
    """xxzy over every parameter of the operation (and the header, when one is sent)."""
    return digest.compute(key, algorithm, signed_message(operation, params, header))


def envelope(operation: str, params: dict, *, soap12: bool = False,
             dataset_xml: dict[str, bytes] | None = None, header: MessageHeader | None = None) -> bytes:
    """A request envelope; DataSet parameters as Tables (or raw XML in dataset_xml);
    ``header``, when given, as the MessageHeader SOAP header."""
    soap_ns = SOAP12 if soap12 else SOAP11
    root = etree.Element(f"{{{soap_ns}}}Envelope", nsmap={"soap": soap_ns})
    if header is not None:
        etree.SubElement(root, f"{{{soap_ns}}}Header").append(header.element())
    body = etree.SubElement(root, f"{{{soap_ns}}}Body")
    wrapper = etree.SubElement(body, f"{{{NAMESPACE}}}{operation}", nsmap={None: NAMESPACE})
    for parameter in BY_NAME[operation].parameters:
        value = params.get(parameter.name)
        if dataset_xml and parameter.name in dataset_xml:
            element = etree.SubElement(wrapper, f"{{{NAMESPACE}}}{parameter.name}")
            element.append(etree.fromstring(dataset_xml[parameter.name]))
            continue
        if value is None:
            continue
        element = etree.SubElement(wrapper, f"{{{NAMESPACE}}}{parameter.name}")
        if parameter.kind == DATASET:
            for child in datasets.build_input("NewDataSet", value.items()):
                element.append(child)
        else:
            element.text = value
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def headers(operation: str, *, soap12: bool = False) -> dict[str, str]:
    if soap12:
        return {"Content-Type": f'application/soap+xml; charset=utf-8; action="{NAMESPACE}/{operation}"'}
    return {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{NAMESPACE}/{operation}"'}


@dataclass
class Reply:
    """A SOAP answer, parsed."""

    status: int
    document: etree._Element

    def _result(self) -> etree._Element | None:
        found = self.document.xpath("//*[local-name()='Body']/*/*")
        return found[0] if found else None

    def text(self) -> str | None:
        """The {op}Result string ("" for success; None when absent)."""
        found = self.document.xpath("//*[local-name()='Body']/*/*[substring(local-name(), "
                                    "string-length(local-name()) - 5) = 'Result']")
        return None if not found else (found[0].text or "")

    def dataset(self) -> etree._Element | None:
        """The {op}Result element of a DataSet answer (None when nil)."""
        result = self._result()
        if result is None or result.get("{http://www.w3.org/2001/XMLSchema-instance}nil") == "true":
            return None
        return result

    def rows(self, table: str) -> list[dict]:
        element = self.dataset()
        if element is None:
            raise ValueError("no DataSet in the answer")
        dataset = datasets.read(element)
        return [dict(row.cells) for row in dataset.tables.get(table, [])]

    def error_info(self) -> tuple[str, str] | None:
        info = self.document.find(f".//{{{NAMESPACE}}}ErrorInfo")
        if info is None:
            return None
        return info.findtext(f"{{{NAMESPACE}}}code") or "", info.findtext(f"{{{NAMESPACE}}}message") or ""

    def fault(self) -> tuple[str, str] | None:
        fault = self.document.find(f".//{{{SOAP11}}}Fault")
        if fault is None:
            fault = self.document.find(f".//{{{SOAP12}}}Fault")
        if fault is None:
            return None
        return (fault.findtext("faultcode") or "".join(fault.itertext())), fault.findtext("faultstring") or ""

    @property
    def refusal(self) -> str:
        """"Ennnn:说明" when the call was refused, else "" (string or DataSet answers)."""
        info = self.error_info()
        if info is not None:
            return info[1] if info[1].startswith(info[0]) else f"{info[0]}:{info[1]}"
        fault = self.fault()
        if fault is not None:
            return f"SOAP Fault {fault[0]}: {fault[1]}"
        result = self._result()
        if result is not None and not any(isinstance(child.tag, str) for child in result):
            # A string answer: "" is success, any other text is the reason of a refusal.
            return result.text or ""
        return ""


class Unreachable(Exception):
    """The service did not answer with SOAP: connection refused, timeout, HTTP error."""


def post(url: str, body: bytes, operation: str, *, timeout: float, soap12: bool = False) -> Reply:
    if not url.startswith(("http://", "https://")):
        raise Unreachable(f"not an http:// or https:// address: {url!r}")
    request = urllib.request.Request(url, data=body, headers=headers(operation, soap12=soap12),  # noqa: S310
                                     method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (checked above)
            status, content = response.status, response.read()
    except urllib.error.HTTPError as exc:
        # A SOAP Fault arrives with HTTP 500: it is still an answer.
        status, content = exc.code, exc.read()
        if not content.lstrip().startswith(b"<"):
            raise Unreachable(f"HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise Unreachable(f"{reason}") from None
    try:
        document = etree.fromstring(content, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        raise Unreachable(f"HTTP {status}, not a SOAP answer: {content[:80]!r}") from None
    return Reply(status, document)


@dataclass
class LegacyCaller:
    """Calls one service as one user of one hospital, signing with the hospital's key."""

    url: str
    key: str
    hospital: str
    user: str
    password: str
    algorithm: str = digest.HMAC_SHA256
    timeout: float = 30.0
    # Send the MessageHeader (a fresh msgid, sendtime now) with every call.
    message_header: bool = True

    def params(self, operation: str, **values) -> dict:
        """The operation's parameters: the caller's hospital, user and password, then ``values``."""
        op = BY_NAME[operation]
        params = {}
        if op.hospital_parameter:
            params[op.hospital_parameter] = self.hospital
        params[op.user_parameter] = self.user
        params[op.password_parameter] = self.password
        params.update(values)
        return params

    def call(self, operation: str, **values) -> Reply:
        params = self.params(operation, **values)
        header = message_header.new() if self.message_header else None
        params["xxzy"] = sign(self.key, operation, params, self.algorithm, header)
        return post(self.url, envelope(operation, params, header=header), operation, timeout=self.timeout)
