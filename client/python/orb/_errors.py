"""The exceptions orb raises: Python's own kinds, each carrying the broker's
gRPC code and its orb.v1.ErrorInfo (reason, gate, method error type)."""
from __future__ import annotations

from typing import Optional

import grpc


class OrbError(Exception):
    """Base of every error orb raises for a broker answer.

    Attributes:
        code: the gRPC status code (a ``grpc.StatusCode``), or None for an
            error raised before anything was sent.
        reason: the broker's stable reason, e.g. ``"ACL_DENIED"`` (empty when
            the broker sent none, e.g. for a transport failure).
        gate: what refused: ``"authn"``, ``"olp"``, ``"acl"``, ``"method"`` ...
        method_error_type: for an error raised by the bound C++ member, its
            type name (e.g. ``"NotFound"``); empty otherwise.
        message: the broker's message.
        step: the operation that failed, e.g. ``"getattr 'title'"``.
    """

    def __init__(self, message: str, *, code: Optional[grpc.StatusCode] = None,
                 reason: str = "", gate: str = "", method_error_type: str = "",
                 step: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.reason = reason
        self.gate = gate
        self.method_error_type = method_error_type
        self.step = step

    def __str__(self) -> str:
        parts = []
        if self.step:
            parts.append(f"{self.step}: ")
        parts.append(self.message)
        tags = [t for t in (self.code.name if self.code else "", self.reason, self.gate) if t]
        if tags:
            parts.append(f" [{' '.join(tags)}]")
        return "".join(parts)


class NameNotFound(OrbError, AttributeError):
    """The name does not exist for this operation, or is not exposed (the
    broker words both alike)."""


class NotFound(OrbError, LookupError):
    """The session or the handle is unknown (released, expired, closed)."""


class PermissionDenied(OrbError, PermissionError):
    """The ACL refused the permission the operation needs."""


class Unauthenticated(OrbError):
    """Bad, expired or missing credentials."""


class InvalidArgument(OrbError, TypeError, ValueError):
    """The broker refused an argument or value (type, arity, limits). Both a
    TypeError and a ValueError, as Python raises either for bad arguments."""


class DeadlineExceeded(OrbError, TimeoutError):
    """The deadline passed before or while the operation ran."""


class ResourceExhausted(OrbError):
    """A quota was hit (handles per session, sessions per identity, member
    threads per identity)."""


class FailedPrecondition(OrbError):
    """The object cannot take the operation now (e.g. detached lineage)."""


class RemoteError(OrbError):
    """The bound C++ member raised an exception or returned an error;
    ``method_error_type`` holds its type name."""


class Unavailable(OrbError, ConnectionError):
    """The broker cannot be reached (not running, network down)."""


class Cancelled(OrbError):
    """The call was cancelled."""


class ConnectionClosed(OrbError, ValueError):
    """The connection (or the proxy's connection) is closed; like an I/O
    operation on a closed file, this is a ValueError."""


class EncodeError(TypeError):
    """A Python value that orb cannot send (the message names the path)."""


_BY_CODE = {
    grpc.StatusCode.NOT_FOUND: NotFound,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDenied,
    grpc.StatusCode.UNAUTHENTICATED: Unauthenticated,
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgument,
    grpc.StatusCode.DEADLINE_EXCEEDED: DeadlineExceeded,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ResourceExhausted,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPrecondition,
    grpc.StatusCode.UNAVAILABLE: Unavailable,
    grpc.StatusCode.CANCELLED: Cancelled,
}


def _error_info(trailers) -> tuple:
    """(reason, gate, method_error_type) from grpc-status-details-bin."""
    from .v1 import error_details_pb2  # generated; imported lazily (error path only)

    for key, value in trailers or ():
        if key != "grpc-status-details-bin":
            continue
        try:
            status = error_details_pb2.Status.FromString(value)
            for detail in status.details:
                info = error_details_pb2.ErrorInfo()
                if detail.Unpack(info):
                    return info.reason, info.gate, info.method_error_type
        except Exception:  # a malformed trailer is not worth a second error
            return "", "", ""
    return "", "", ""


def from_status(code: grpc.StatusCode, message: str, trailers, step: str = "") -> OrbError:
    """Maps a broker error to the orb exception a Python user expects."""
    reason, gate, method_error_type = _error_info(trailers)
    return from_info(code, message, reason, gate, method_error_type, step)


def from_info(code: grpc.StatusCode, message: str, reason: str, gate: str,
              method_error_type: str, step: str = "") -> OrbError:
    """The same from an error's parts (a Batch answers them per operation)."""
    if gate == "method" or reason in ("METHOD_ERROR", "METHOD_EXCEPTION"):
        cls = RemoteError
    elif reason == "NAME_NOT_FOUND":
        cls = NameNotFound
    else:
        cls = _BY_CODE.get(code, OrbError)
    return cls(message, code=code, reason=reason, gate=gate,
               method_error_type=method_error_type, step=step)


def from_rpc_error(error: grpc.RpcError, step: str = "") -> OrbError:
    """Maps a grpc.RpcError (sync or aio) to an OrbError."""
    return from_status(error.code(), error.details() or "", _trailers(error), step)


def _trailers(error):
    trailers = error.trailing_metadata()
    return trailers if trailers is not None else ()
