"""The WSDL, in the shape an ASMX web service publishes (soap-interface.md).

What generated .NET and Mono proxies depend on: one message part named
``parameters`` per message, request wrapper = operation name, response wrapper
``{op}Response`` with a single ``{op}Result``, elements qualified in the target
namespace, ``soapAction`` = ``urn:ncms:his:v1/{op}``, and every DataSet as a
sequence of ``<s:element ref="s:schema"/>`` and ``<s:any/>`` — the shape that makes
a proxy generator type it ``System.Data.DataSet``. DataSet results also declare
the ``ErrorInfo`` SOAP header the NCMS sends with a nil result.

Every operation's input declares the optional ``MessageHeader`` (报文标识: ``msgid``,
``sendtime``) as a literal SOAP header, as ASMX publishes a ``SoapHeader`` member:
a message ``{op}MessageHeader`` with one part ``MessageHeader`` bound by
``<soap:header>`` beside the body, so that a generated proxy has a
``MessageHeaderValue`` property that it sends when set.
"""

from __future__ import annotations

from collections.abc import Sequence

from lxml import etree

from .operations import DATASET, Operation

NAMESPACE = "urn:ncms:his:v1"
SERVICE_NAME = "NcmsService"
MESSAGE_HEADER = "MessageHeader"
MESSAGE_HEADER_FIELDS = ("msgid", "sendtime")

WSDL = "http://schemas.xmlsoap.org/wsdl/"
SOAP = "http://schemas.xmlsoap.org/wsdl/soap/"
SOAP12 = "http://schemas.xmlsoap.org/wsdl/soap12/"
S = "http://www.w3.org/2001/XMLSchema"
HTTP_TRANSPORT = "http://schemas.xmlsoap.org/soap/http"

_NSMAP = {"wsdl": WSDL, "soap": SOAP, "soap12": SOAP12, "s": S, "tns": NAMESPACE,
          "http": "http://schemas.xmlsoap.org/wsdl/http/",
          "mime": "http://schemas.xmlsoap.org/wsdl/mime/",
          "tm": "http://microsoft.com/wsdl/mime/textMatching/",
          "soapenc": "http://schemas.xmlsoap.org/soap/encoding/"}


def _w(tag: str) -> str:
    return f"{{{WSDL}}}{tag}"


def _s(tag: str) -> str:
    return f"{{{S}}}{tag}"


def _dataset_type(parent: etree._Element) -> None:
    sequence = etree.SubElement(etree.SubElement(parent, _s("complexType")), _s("sequence"))
    etree.SubElement(sequence, _s("element"), ref="s:schema")
    etree.SubElement(sequence, _s("any"))


def _header_type(schema: etree._Element, name: str, fields: Sequence[str]) -> None:
    """A header element and its complex type, in the shape ASMX writes a SoapHeader."""
    etree.SubElement(schema, _s("element"), name=name, type=f"tns:{name}")
    header = etree.SubElement(schema, _s("complexType"), name=name)
    sequence = etree.SubElement(header, _s("sequence"))
    for field in fields:
        etree.SubElement(sequence, _s("element"), minOccurs="0", maxOccurs="1", name=field, type="s:string")
    etree.SubElement(header, _s("anyAttribute"))


def _types(definitions: etree._Element, operations: Sequence[Operation], message_header: bool) -> None:
    schema = etree.SubElement(etree.SubElement(definitions, _w("types")), _s("schema"),
                              elementFormDefault="qualified", targetNamespace=NAMESPACE)
    etree.SubElement(schema, _s("import"), namespace=S)
    for op in operations:
        request = etree.SubElement(schema, _s("element"), name=op.name)
        sequence = etree.SubElement(etree.SubElement(request, _s("complexType")), _s("sequence"))
        for parameter in op.parameters:
            if parameter.kind == DATASET:
                element = etree.SubElement(sequence, _s("element"), minOccurs="0", maxOccurs="1",
                                           name=parameter.name)
                _dataset_type(element)
            else:
                etree.SubElement(sequence, _s("element"), minOccurs="0", maxOccurs="1",
                                 name=parameter.name, type="s:string")
        response = etree.SubElement(schema, _s("element"), name=f"{op.name}Response")
        sequence = etree.SubElement(etree.SubElement(response, _s("complexType")), _s("sequence"))
        if op.returns == DATASET:
            result = etree.SubElement(sequence, _s("element"), minOccurs="0", maxOccurs="1",
                                      name=f"{op.name}Result")
            _dataset_type(result)
        else:
            etree.SubElement(sequence, _s("element"), minOccurs="0", maxOccurs="1",
                             name=f"{op.name}Result", type="s:string")
    if message_header:
        _header_type(schema, MESSAGE_HEADER, MESSAGE_HEADER_FIELDS)
    if any(op.returns == DATASET for op in operations):
        _header_type(schema, "ErrorInfo", ("code", "message"))


def _binding(definitions: etree._Element, operations: Sequence[Operation], soap_ns: str,
             name: str, message_header: bool) -> None:
    binding = etree.SubElement(definitions, _w("binding"), name=name, type=f"tns:{SERVICE_NAME}Soap")
    etree.SubElement(binding, f"{{{soap_ns}}}binding", transport=HTTP_TRANSPORT)
    for op in operations:
        operation = etree.SubElement(binding, _w("operation"), name=op.name)
        etree.SubElement(operation, f"{{{soap_ns}}}operation", soapAction=f"{NAMESPACE}/{op.name}",
                         style="document")
        request = etree.SubElement(operation, _w("input"))
        etree.SubElement(request, f"{{{soap_ns}}}body", use="literal")
        if message_header:
            etree.SubElement(request, f"{{{soap_ns}}}header", message=f"tns:{op.name}{MESSAGE_HEADER}",
                             part=MESSAGE_HEADER, use="literal")
        output = etree.SubElement(operation, _w("output"))
        etree.SubElement(output, f"{{{soap_ns}}}body", use="literal")
        if op.returns == DATASET:
            etree.SubElement(output, f"{{{soap_ns}}}header", message=f"tns:{op.name}ErrorInfo",
                             part="ErrorInfo", use="literal")


def build(operations: Sequence[Operation], location: str, *, message_header: bool = True) -> bytes:
    """The WSDL document for ``operations``, served at ``location``; without
    ``message_header``, the WSDL as published before the MessageHeader extension
    (what the proxies of HIS that cannot be updated were generated from)."""
    definitions = etree.Element(_w("definitions"), nsmap=_NSMAP, targetNamespace=NAMESPACE)
    _types(definitions, operations, message_header)
    for op in operations:
        for suffix, element in (("SoapIn", op.name), ("SoapOut", f"{op.name}Response")):
            message = etree.SubElement(definitions, _w("message"), name=f"{op.name}{suffix}")
            etree.SubElement(message, _w("part"), name="parameters", element=f"tns:{element}")
        if message_header:
            message = etree.SubElement(definitions, _w("message"), name=f"{op.name}{MESSAGE_HEADER}")
            etree.SubElement(message, _w("part"), name=MESSAGE_HEADER, element=f"tns:{MESSAGE_HEADER}")
        if op.returns == DATASET:
            message = etree.SubElement(definitions, _w("message"), name=f"{op.name}ErrorInfo")
            etree.SubElement(message, _w("part"), name="ErrorInfo", element="tns:ErrorInfo")
    port_type = etree.SubElement(definitions, _w("portType"), name=f"{SERVICE_NAME}Soap")
    for op in operations:
        operation = etree.SubElement(port_type, _w("operation"), name=op.name)
        etree.SubElement(operation, _w("input"), message=f"tns:{op.name}SoapIn")
        etree.SubElement(operation, _w("output"), message=f"tns:{op.name}SoapOut")
    _binding(definitions, operations, SOAP, f"{SERVICE_NAME}Soap", message_header)
    _binding(definitions, operations, SOAP12, f"{SERVICE_NAME}Soap12", message_header)
    service = etree.SubElement(definitions, _w("service"), name=SERVICE_NAME)
    for soap_ns, name in ((SOAP, f"{SERVICE_NAME}Soap"), (SOAP12, f"{SERVICE_NAME}Soap12")):
        port = etree.SubElement(service, _w("port"), name=name, binding=f"tns:{name}")
        etree.SubElement(port, f"{{{soap_ns}}}address", location=location)
    return etree.tostring(definitions, xml_declaration=True, encoding="utf-8", pretty_print=True)
