"""Parsing a request body as XML, safely, whatever its encoding.

The rules are the parser's, not a byte search: the body is decoded as XML says
(a byte-order mark first; else the charset of the Content-Type; else what the XML
declaration or libxml2's detection says; else UTF-8), parsed with network access,
DTD loading and entity expansion off and every external resource refused, and a
document with a document type declaration is refused whatever its encoding. The
parsed envelope is handed to spyne as it is (soap.py), so no other parser ever sees
the bytes.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from lxml import etree

_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


class _RefuseEverything(etree.Resolver):
    """No external entity, DTD or XInclude is ever loaded, from any URL or file; being
    asked at all means the document declared one."""

    def __init__(self) -> None:
        super().__init__()
        self.asked = False

    def resolve(self, url, pubid, context):
        self.asked = True
        raise etree.ParserError("external resources are not loaded")


def _parser(encoding: str | None = None, *, recover: bool = False) -> tuple[etree.XMLParser, _RefuseEverything]:
    parser = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, dtd_validation=False,
                             huge_tree=False, collect_ids=False, encoding=encoding, recover=recover)
    resolver = _RefuseEverything()
    parser.resolvers.add(resolver)
    return parser, resolver


def _has_doctype(root: etree._Element) -> bool:
    docinfo = root.getroottree().docinfo
    return bool(docinfo.doctype) or docinfo.internalDTD is not None or docinfo.externalDTD is not None



@dataclass
class NotXml(Exception):
    """The body cannot be taken as a SOAP message: ``status`` and the fault to send."""

    status: str
    code: str
    message: str


def charset_of(content_type: str) -> str | None:
    """The charset parameter of a Content-Type header, unquoted (None when absent)."""
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"').strip("'").strip() or None
    return None


def parse(body: bytes, content_type: str) -> etree._Element:
    """The body's root element, or NotXml saying why not (in Chinese first: a HIS
    integrator reads it)."""
    if not body.strip():
        raise NotXml("500 Internal Server Error", "Client.EmptyRequest", "请求正文为空 (empty request body)")
    charset = charset_of(content_type)
    data, encoding = body, None
    if charset and not body.startswith(_BOMS):
        try:
            codecs.lookup(charset)
        except LookupError:
            raise NotXml("415 Unsupported Media Type", "Client.UnsupportedEncoding",
                         f"不支持的字符编码 (unsupported charset): {charset[:40]}") from None
        try:
            text = body.decode(charset)
        except UnicodeDecodeError:
            raise NotXml("500 Internal Server Error", "Client.BadEncoding",
                         f"请求正文不是声明的字符编码 {charset[:40]} (the body is not {charset[:40]})") from None
        # Decoded as the Content-Type says; the parser is told the new encoding, so an
        # encoding named in the XML declaration no longer applies.
        data, encoding = text.encode("utf-8"), "utf-8"
    parser, resolver = _parser(encoding)
    try:
        root = etree.fromstring(data, parser)
    except (etree.XMLSyntaxError, etree.ParserError, ValueError) as exc:
        # A document type declaration can itself be what the parser refused (an
        # external subset asked for, entity amplification): the same bytes read
        # leniently say whether there was one.
        if resolver.asked:
            raise _dtd_refused() from None
        lenient, resolver = _parser(encoding, recover=True)
        try:
            recovered = etree.fromstring(data, lenient)
        except (etree.XMLSyntaxError, etree.ParserError, ValueError):
            recovered = None
        if resolver.asked or (recovered is not None and _has_doctype(recovered)):
            raise _dtd_refused() from None
        raise NotXml("500 Internal Server Error", "Client.XMLSyntaxError",
                     f"请求不是格式正确的XML (not well-formed XML): {str(exc)[:200]}") from None
    if _has_doctype(root):
        raise _dtd_refused()
    return root


def _dtd_refused() -> NotXml:
    return NotXml("400 Bad Request", "Client.DTDNotAllowed",
                  "不接受文档类型声明 (document type declarations are not accepted)")
