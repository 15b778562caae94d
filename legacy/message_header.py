"""The MessageHeader (报文标识) of the contract's extension against replay
(soap-interface.md): an optional literal SOAP header ``MessageHeader`` in the target
namespace with two strings, ``msgid`` and ``sendtime``.

The receiving side finds it among the envelope's header elements and passes its
values on exactly as sent; identity judges them (E1008, E1009) right after the digest.
When sent, both values are signed: the digest's pairs include ``MessageHeader.msgid``
and ``MessageHeader.sendtime`` (digest.md), so the header can be neither changed nor
removed from a signed message. The sending side (legacy/client.py) makes a fresh one
per call.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from runtime.clock import BEIJING, beijing_now

from .wsdl import MESSAGE_HEADER, NAMESPACE

TAG = f"{{{NAMESPACE}}}{MESSAGE_HEADER}"
SENDTIME_FORMAT = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True)
class MessageHeader:
    msgid: str
    sendtime: str

    def digest_pairs(self) -> dict[str, str]:
        """The header's two parameters as the digest names them."""
        return {f"{MESSAGE_HEADER}.msgid": self.msgid, f"{MESSAGE_HEADER}.sendtime": self.sendtime}

    def element(self) -> etree._Element:
        """The header element as a client sends it (children qualified, as the WSDL's
        schema says)."""
        header = etree.Element(TAG, nsmap={None: NAMESPACE})
        for name in ("msgid", "sendtime"):
            etree.SubElement(header, f"{{{NAMESPACE}}}{name}").text = getattr(self, name)
        return header


def new(now: datetime | None = None) -> MessageHeader:
    """A header for one call: a msgid never used before (a random UUID, 32 hex
    digits) and the time now in Beijing time."""
    when = (now or beijing_now()).astimezone(BEIJING)
    return MessageHeader(uuid.uuid4().hex, when.strftime(SENDTIME_FORMAT))


def _child_text(header: etree._Element, name: str) -> str:
    for child in header:
        if isinstance(child.tag, str) and child.tag in (f"{{{NAMESPACE}}}{name}", name):
            return child.text or ""
    return ""


def find(header_elements: Iterable[etree._Element] | None) -> MessageHeader | None:
    """The MessageHeader among a SOAP envelope's header elements, values as sent (a
    missing child counts as empty); None when the call had none. Of several, the first
    counts: the digest binds it, so nothing added beside it changes the decision."""
    for element in () if header_elements is None else header_elements:
        if isinstance(element.tag, str) and element.tag == TAG:
            return MessageHeader(_child_text(element, "msgid"), _child_text(element, "sendtime"))
    return None
