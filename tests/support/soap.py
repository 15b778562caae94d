"""Calling the gateway in tests: raw SOAP messages, signed the contract's way, and zeep.

``envelope`` builds a request as a hand-coding HIS would; ``Legacy`` signs and sends
one and returns the parsed answer. zeep cannot send a DataSet itself, so
``zeep_client`` adds a plugin that puts the DataSet XML into the outgoing message.
"""

from __future__ import annotations

from dataclasses import dataclass

import requests
from lxml import etree

from gateway import datasets
from gateway.operations import BY_NAME, DATASET
from gateway.wsdl import NAMESPACE
from services.runtime import digest

SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"

# A DataSet given in a test: {table: [[(column, value or None), ...], ...]} in order.
Tables = dict[str, list[list[tuple[str, str | None]]]]


def sign(key: str, operation: str, params: dict, algorithm: str = digest.HMAC_SHA256) -> str:
    """xxzy over every parameter of the operation (an absent one counts as empty)."""
    signed = {name: params.get(name) for name in BY_NAME[operation].parameter_names}
    return digest.compute(key, algorithm, digest.canonical_message(operation, signed))


def envelope(operation: str, params: dict, *, soap12: bool = False,
             dataset_xml: dict[str, bytes] | None = None) -> bytes:
    """A request envelope; DataSet parameters as Tables (or raw XML in dataset_xml)."""
    soap_ns = SOAP12 if soap12 else SOAP11
    root = etree.Element(f"{{{soap_ns}}}Envelope", nsmap={"soap": soap_ns})
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


@dataclass
class Answer:
    status: int
    document: etree._Element

    @property
    def result(self) -> etree._Element | None:
        return self.document.find(f".//{{{NAMESPACE}}}*")

    def text(self) -> str | None:
        """The {op}Result string (None when absent)."""
        found = self.document.xpath("//*[local-name()='Body']/*/*[substring(local-name(), "
                                    "string-length(local-name()) - 5) = 'Result']")
        return None if not found else (found[0].text or "")

    def dataset(self) -> etree._Element | None:
        found = self.document.xpath("//*[local-name()='Body']/*/*")
        return found[0] if found else None

    def error_info(self) -> tuple[str, str] | None:
        info = self.document.find(f".//{{{NAMESPACE}}}ErrorInfo")
        if info is None:
            return None
        return info.findtext(f"{{{NAMESPACE}}}code"), info.findtext(f"{{{NAMESPACE}}}message")

    def rows(self, table: str) -> list[dict]:
        element = self.dataset()
        assert element is not None, "no DataSet in the answer"
        dataset = datasets.read(element)
        return [dict(row.cells) for row in dataset.tables.get(table, [])]

    def fault(self) -> tuple[str, str] | None:
        fault = self.document.find(f".//{{{SOAP11}}}Fault")
        if fault is None:
            fault = self.document.find(f".//{{{SOAP12}}}Fault")
        if fault is None:
            return None
        return (fault.findtext("faultcode") or "".join(fault.itertext())), fault.findtext("faultstring")


class Legacy:
    """A hospital's HIS calling the gateway the contract's way."""

    def __init__(self, url: str, key: str, hospital: str = "450200001", user: str = "his01",
                 password: str = "Passw0rd!x", *, source_address: str | None = None) -> None:
        self.url = url
        self.key = key
        self.hospital = hospital
        self.user = user
        self.password = password
        self.session = requests.Session()
        if source_address:
            from requests.adapters import HTTPAdapter

            class SourceAdapter(HTTPAdapter):
                def init_poolmanager(self, *args, **kwargs):
                    kwargs["source_address"] = (source_address, 0)
                    super().init_poolmanager(*args, **kwargs)

            self.session.mount("http://", SourceAdapter())

    def params(self, operation: str, **values) -> dict:
        op = BY_NAME[operation]
        params = {}
        if op.hospital_parameter:
            params[op.hospital_parameter] = self.hospital
        params[op.user_parameter] = self.user
        params[op.password_parameter] = self.password
        params.update(values)
        return params

    def call(self, operation: str, *, soap12: bool = False, key: str | None = None,
             tamper: dict | None = None, xxzy: str | None = None, **values) -> Answer:
        params = self.params(operation, **values)
        signature = xxzy if xxzy is not None else sign(key or self.key, operation, params)
        sent = {**params, **(tamper or {}), "xxzy": signature}
        return self.post(envelope(operation, sent, soap12=soap12), operation, soap12=soap12)

    def post(self, body: bytes, operation: str = "", *, soap12: bool = False,
             headers: dict | None = None) -> Answer:
        if soap12:
            content_type = f'application/soap+xml; charset=utf-8; action="{NAMESPACE}/{operation}"'
            extra = {}
        else:
            content_type = "text/xml; charset=utf-8"
            extra = {"SOAPAction": f'"{NAMESPACE}/{operation}"'}
        response = self.session.post(self.url, data=body, timeout=30,
                                     headers={"Content-Type": content_type, **extra, **(headers or {})})
        return Answer(response.status_code, etree.fromstring(response.content))


# --- zeep ------------------------------------------------------------------------------

class _DataSetPlugin:
    """zeep cannot send a DataSet; this puts the parameter's XML where it belongs."""

    def __init__(self) -> None:
        self.pending: dict[str, list[etree._Element]] = {}

    def ingress(self, envelope, http_headers, operation):
        return envelope, http_headers

    def egress(self, envelope, http_headers, operation, binding_options):
        wrapper = envelope.find(f".//{{{NAMESPACE}}}{operation.name}")
        order = BY_NAME[operation.name].parameter_names
        for name, children in self.pending.items():
            element = etree.Element(f"{{{NAMESPACE}}}{name}")
            element.extend(children)
            position = sum(1 for child in wrapper
                           if etree.QName(child).localname in order[: order.index(name)])
            wrapper.insert(position, element)
        self.pending = {}
        return envelope, http_headers


class ZeepHIS:
    """A HIS written with zeep: the WSDL's proxy, the contract's digest."""

    def __init__(self, url: str, key: str, hospital: str = "450200001", user: str = "his01",
                 password: str = "Passw0rd!x") -> None:
        import zeep

        self.plugin = _DataSetPlugin()
        self.client = zeep.Client(f"{url}?wsdl", plugins=[self.plugin])
        self.key = key
        self.caller = Legacy(url, key, hospital, user, password)

    def call(self, operation: str, **values):
        """Returns zeep's answer: a string, or an object with header and body."""
        params = self.caller.params(operation, **values)
        xxzy = sign(self.key, operation, params)
        arguments = {}
        for parameter in BY_NAME[operation].parameters:
            if parameter.name == "xxzy":
                continue
            value = params.get(parameter.name)
            if parameter.kind == DATASET and value is not None:
                self.plugin.pending[parameter.name] = datasets.build_input("NewDataSet", value.items())
                value = None
            arguments[parameter.name] = value
        return getattr(self.client.service, operation)(**arguments, xxzy=xxzy)
