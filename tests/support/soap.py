"""Calling the gateway in tests: raw SOAP messages, signed the contract's way, and zeep.

``envelope`` builds a request as a hand-coding HIS would; ``Legacy`` signs and sends
one and returns the parsed answer. zeep cannot send a DataSet itself, so
``zeep_client`` adds a plugin that puts the DataSet XML into the outgoing message.
"""

from __future__ import annotations

import requests
from lxml import etree

from legacy import datasets
from legacy.client import SOAP11, SOAP12, LegacyCaller, Reply, Tables, envelope, sign
from legacy.client import headers as soap_headers
from legacy.message_header import MessageHeader
from legacy.operations import BY_NAME, DATASET
from legacy.wsdl import NAMESPACE

__all__ = ["SOAP11", "SOAP12", "Answer", "Legacy", "Tables", "ZeepHIS", "envelope", "sign"]

Answer = Reply


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
        return LegacyCaller(self.url, self.key, self.hospital, self.user, self.password).params(
            operation, **values)

    def call(self, operation: str, *, soap12: bool = False, key: str | None = None,
             tamper: dict | None = None, xxzy: str | None = None, header: MessageHeader | None = None,
             **values) -> Answer:
        params = self.params(operation, **values)
        signature = xxzy if xxzy is not None else sign(key or self.key, operation, params, header=header)
        sent = {**params, **(tamper or {}), "xxzy": signature}
        return self.post(envelope(operation, sent, soap12=soap12, header=header), operation, soap12=soap12)

    def post(self, body: bytes, operation: str = "", *, soap12: bool = False,
             headers: dict | None = None) -> Answer:
        response = self.session.post(self.url, data=body, timeout=30,
                                     headers={**soap_headers(operation, soap12=soap12), **(headers or {})})
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

    def call(self, operation: str, *, header: MessageHeader | None = None, **values):
        """Returns zeep's answer: a string, or an object with header and body. With
        ``header``, zeep sends it as the WSDL's MessageHeader, and it is signed."""
        params = self.caller.params(operation, **values)
        xxzy = sign(self.key, operation, params, header=header)
        arguments = {}
        for parameter in BY_NAME[operation].parameters:
            if parameter.name == "xxzy":
                continue
            value = params.get(parameter.name)
            if parameter.kind == DATASET and value is not None:
                self.plugin.pending[parameter.name] = datasets.build_input("NewDataSet", value.items())
                value = None
            arguments[parameter.name] = value
        if header is not None:
            arguments["_soapheaders"] = {"MessageHeader": {"msgid": header.msgid, "sendtime": header.sendtime}}
        return getattr(self.client.service, operation)(**arguments, xxzy=xxzy)
