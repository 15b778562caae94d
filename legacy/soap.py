"""The spyne side of the gateway: SOAP 1.1 and 1.2, one method per contract operation.

spyne parses the envelope, dispatches on the body element (whatever SOAPAction
says) and writes responses and faults. Three things it cannot do alone are added
here: a DataSet parameter or result is a schema *and* a diffgram (spyne's ``AnyXml``
keeps only the first child), so the protocols get a ``DataSetXml`` type handled whole;
the envelope is the one the front parsed safely (xml_request.py), never bytes parsed
again by spyne; and the WSDL is generated from the operation table in the ASMX shape
(wsdl.py) rather than by spyne.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import spyne.const
from lxml import etree
from spyne import AnyXml, Application, ComplexModel, ServiceBase, Unicode, rpc
from spyne.error import RequestNotAllowed
from spyne.protocol.soap import Soap11, Soap12

from .operations import DATASET, Operation
from .wsdl import NAMESPACE

# spyne runs a full gc.collect() after a request at most once a second, to close
# uploaded files promptly. The gateway keeps no files, and a full collection holds
# the GIL for tens of milliseconds in a process this size, stalling every thread of
# the worker: a quarter of the worker's time, and its p99, in measurements. Python's
# own generational collection still runs.
spyne.const.MIN_GC_INTERVAL = float("inf")


class DataSetXml(AnyXml):
    """A ``System.Data.DataSet`` parameter or result, kept as its whole element."""

    __type_name__ = "DataSet"


class ErrorInfo(ComplexModel):
    """The SOAP header sent with a nil DataSet result (soap-interface.md)."""

    __namespace__ = NAMESPACE
    __type_name__ = "ErrorInfo"
    _type_info = [("code", Unicode), ("message", Unicode)]


# The WSGI environ key under which the front leaves the envelope it parsed.
PARSED_ENVELOPE = "ncms.envelope"


class _DataSetHandling:
    """Protocol mix-in: read and write ``DataSetXml`` whole."""

    def _install_dataset_handlers(self) -> None:
        self.deserialization_handlers[DataSetXml] = self._dataset_from_element
        self.serialization_handlers[DataSetXml] = self._dataset_to_parent

    def _dataset_from_element(self, ctx, cls, element):
        return element

    def _dataset_to_parent(self, ctx, cls, inst, parent, ns, name, **_):
        element = etree.SubElement(parent, f"{{{ns}}}{name}")
        for child in inst:
            element.append(child)

    def create_in_document(self, ctx, charset=None):
        """The envelope the front parsed (with spyne's own check that a call is a POST
        with a Content-Type); spyne's parser never runs."""
        environ = getattr(ctx.transport, "req_env", None) or {}
        parsed = environ.get(PARSED_ENVELOPE)
        if parsed is None:
            raise RequestNotAllowed("请求未经解析 (the request was not parsed by the front)")
        if ctx.transport.get_request_content_type() is None or ctx.transport.get_request_method() != "POST":
            ctx.transport.resp_code = "405 Method Not Allowed"
            raise RequestNotAllowed("须以 POST 发送并带 Content-Type (POST with a Content-Type header)")
        ctx.in_document = (parsed, {})


class NcmsSoap11(_DataSetHandling, Soap11):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._install_dataset_handlers()


class NcmsSoap12(_DataSetHandling, Soap12):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._install_dataset_handlers()


# What a method hands over: (operation, parameters by name, spyne context) -> the
# return value (a string, a list of DataSet elements, or None for nil).
Dispatch = Callable[[Operation, dict, object], object]


def _method(operation: Operation, dispatch: Dispatch):
    names = operation.parameter_names

    def method(ctx, *values):
        return dispatch(operation, dict(zip(names, values, strict=True)), ctx)

    method.__name__ = operation.name
    types = [DataSetXml if p.kind == DATASET else Unicode for p in operation.parameters]
    returns = DataSetXml if operation.returns == DATASET else Unicode
    options = dict(_args=names, _returns=returns, _in_message_name=operation.name,
                   _out_message_name=f"{operation.name}Response",
                   _out_variable_name=f"{operation.name}Result")
    if operation.returns == DATASET:
        options["_out_header"] = ErrorInfo
    return rpc(*types, **options)(method)


def applications(operations: Sequence[Operation], dispatch: Dispatch) -> tuple[Application, Application]:
    """The SOAP 1.1 and SOAP 1.2 applications serving ``operations``."""
    service = type("NcmsService", (ServiceBase,),
                   {op.name: _method(op, dispatch) for op in operations})

    def application(protocol) -> Application:
        return Application([service], tns=NAMESPACE, name="NcmsService",
                           in_protocol=protocol(validator=None), out_protocol=protocol())

    return application(NcmsSoap11), application(NcmsSoap12)
