"""PlexusError: the one error family that crosses the link (protocol.md §8, errors.md)."""

from __future__ import annotations

from typing import Any

# docs/errors.md: every code and whether it is retryable by default.
RETRYABLE_BY_DEFAULT = {"TIMEOUT", "UNAVAILABLE", "OVERLOADED", "CIRCUIT_OPEN"}
KNOWN_CODES = RETRYABLE_BY_DEFAULT | {
    "NOT_FOUND", "VALIDATION", "HANDLER", "CANCELLED", "UNAUTHORIZED", "FORBIDDEN",
    "INVALID_ARGUMENT", "INVALID_DEFINITION", "INVALID_CONFIG", "DUPLICATE_SERVICE",
    "MISSING_DEPENDENCY", "DEPENDENCY_CYCLE", "START_FAILED", "START_TIMEOUT",
    "INVALID_PLUGIN", "DUPLICATE_PLUGIN", "MISSING_PLUGIN", "PLUGIN_CYCLE", "PLUGIN_TIMEOUT",
    "INVALID_INTERCEPTOR", "PROTOCOL", "INVALID_STATE",
}

# protocol.md §11: the closed list of PROTOCOL reasons.
PROTOCOL_REASONS = (
    "frame-too-large", "truncated", "empty-frame", "version", "type", "shape", "utf8",
    "json", "too-deep", "proto-key", "handshake", "unserializable",
)


class PlexusError(Exception):
    """A typed failure: stable `code`, `message`, optional `data`, `retryable`, `cause`.

    Raise it from a handler to answer the caller with that code (a plain exception becomes
    `HANDLER`)."""

    def __init__(
        self,
        code: str,
        message: str,
        data: Any = None,
        retryable: bool | None = None,
        cause: BaseException | dict | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data
        self.retryable = code in RETRYABLE_BY_DEFAULT if retryable is None else retryable
        self.cause = cause

    def __repr__(self) -> str:
        return f"PlexusError({self.code!r}, {self.message!r}, data={self.data!r})"

    def to_json(self) -> dict:
        """The JSON form an ERROR envelope carries (PlexusError.prototype.toJSON)."""
        out: dict[str, Any] = {
            "name": "PlexusError",
            "code": self.code,
            "message": self.message,
            "retryable": self.retryable,
        }
        if self.data is not None:
            out["data"] = self.data
        cause = self.cause
        if isinstance(cause, PlexusError):
            out["cause"] = cause.to_json()
        elif isinstance(cause, BaseException):
            out["cause"] = {"name": type(cause).__name__, "message": str(cause)}
        elif isinstance(cause, dict):
            out["cause"] = cause
        return out

    @classmethod
    def from_json(cls, value: Any) -> "PlexusError":
        """Rebuilds an error from an ERROR body; an unknown code becomes HANDLER (errors.md)."""
        if not isinstance(value, dict):
            return cls("HANDLER", f"Malformed error payload: {value!r}")
        code = value.get("code")
        known = isinstance(code, str) and code in KNOWN_CODES
        message = value.get("message") if isinstance(value.get("message"), str) else "Unknown error"
        retryable = value.get("retryable") if isinstance(value.get("retryable"), bool) else None
        data = value.get("data") if known else {"code": code, "data": value.get("data")}
        cause = value.get("cause")
        rebuilt = None
        if isinstance(cause, dict):
            rebuilt = cls.from_json(cause) if cause.get("name") == "PlexusError" else cause
        return cls(code if known else "HANDLER", message, data, retryable, rebuilt)


def protocol_error(reason: str, message: str, **data: Any) -> PlexusError:
    """A PROTOCOL violation with `data.reason` from the closed list (and `data.id` if known)."""
    assert reason in PROTOCOL_REASONS, reason
    return PlexusError("PROTOCOL", message, {"reason": reason, **data}, retryable=False)


def to_plexus_error(error: BaseException) -> PlexusError:
    """What a handler raised, as the caller will see it: PlexusError kept, anything else HANDLER.

    Only the message and the exception's class name cross the link, never a traceback."""
    if isinstance(error, PlexusError):
        return error
    message = str(error) or type(error).__name__
    return PlexusError("HANDLER", message, cause=error)
