"""JSON sections of an envelope body, with every check of protocol.md §2."""

from __future__ import annotations

import datetime
import json
from typing import Any

from .errors import protocol_error

DEFAULT_MAX_DEPTH = 100


def _refuse_constant(name: str) -> Any:
    # Python's json reads NaN and Infinity; RFC 8259 (and JSON.parse) do not.
    raise ValueError(f"{name} is not JSON")


def decode_text(data: bytes | memoryview, where: dict) -> str:
    """Strict UTF-8 (no overlong forms, no surrogates, nothing truncated), else `utf8`."""
    try:
        return bytes(data).decode("utf-8", "strict")
    except UnicodeDecodeError:
        raise protocol_error("utf8", f"{where['name']} envelope: a string is not valid UTF-8",
                             **where["data"]) from None


def decode_json(data: bytes | memoryview, where: dict, max_depth: int = DEFAULT_MAX_DEPTH) -> Any:
    """One complete JSON value from a section; `where` names the envelope for the error."""
    text = decode_text(data, where)
    name, extra = where["name"], where["data"]
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        # Far deeper than any limit we accept: the parser itself ran out of stack.
        raise protocol_error("too-deep", f"{name} envelope: JSON nests deeper than {max_depth} levels",
                             **extra) from None
    except ValueError as cause:
        raise protocol_error("json", f"{name} envelope: not valid JSON ({cause})", **extra) from None
    if isinstance(value, (dict, list)) and _needs_scan(text, max_depth):
        _scan(value, max_depth, name, extra)
    return value


def _needs_scan(text: str, max_depth: int) -> bool:
    # Every spelling of a dangerous key contains the word or a \u escape; every level opens a bracket.
    if "__proto__" in text or "constructor" in text or "\\u" in text:
        return True
    return text.count("{") + text.count("[") > max_depth


def _scan(value: Any, max_depth: int, name: str, extra: dict) -> None:
    """Depth limit and prototype-poisoning keys, walked without recursion."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > max_depth:
            raise protocol_error("too-deep", f"{name} envelope: JSON nests deeper than {max_depth} levels",
                                 maxDepth=max_depth, **extra)
        if isinstance(node, dict):
            for key, child in node.items():
                if key == "__proto__":
                    raise protocol_error("proto-key", f"{name} envelope carries a '__proto__' key",
                                         key=key, **extra)
                if key == "constructor" and isinstance(child, dict) and "prototype" in child:
                    raise protocol_error("proto-key", f"{name} envelope carries a 'constructor.prototype' key",
                                         key="constructor.prototype", **extra)
                if isinstance(child, (dict, list)):
                    stack.append((child, depth + 1))
        else:
            stack.extend((child, depth + 1) for child in node if isinstance(child, (dict, list)))


def _default(value: Any) -> Any:
    # JSON.stringify semantics where Python has an obvious equivalent (a Date is its ISO string).
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    raise TypeError(f"a {type(value).__name__} cannot cross the link as JSON")


def encode_json(value: Any) -> bytes:
    """Compact UTF-8 JSON; a value JSON cannot carry is `unserializable` (nothing is sent)."""
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False,
                          default=_default).encode("utf-8")
    except (TypeError, ValueError, UnicodeEncodeError, RecursionError) as cause:
        raise protocol_error("unserializable", f"Value cannot be sent as JSON: {cause}") from None

