"""Service manifests as HELLO carries them (protocol.md §5), and the integer checks they share
with the codec."""

from __future__ import annotations

from typing import Any

MAX_U32 = 0xFFFFFFFF
DELIVERIES = ("balanced", "broadcast")


def is_uint32(v: Any) -> bool:
    return type(v) is int and 0 <= v <= MAX_U32


def is_count(v: Any) -> bool:
    return type(v) is int and 1 <= v <= MAX_U32


def is_name(v: Any) -> bool:
    return isinstance(v, str) and len(v) > 0


def manifest_problem(m: Any) -> str | None:
    """Why `m` is not a well-formed service manifest (§5), or None."""
    if not isinstance(m, dict):
        return "must be an object"
    if not is_name(m.get("name")):
        return "'name' must be a non-empty string"
    if not is_count(m.get("version")):
        return "'version' must be a positive integer"

    def good_action(a: Any) -> bool:
        return (isinstance(a, dict) and is_name(a.get("name"))
                and ("idempotent" not in a or isinstance(a["idempotent"], bool))
                and ("concurrency" not in a or is_count(a["concurrency"]))
                and ("queue" not in a or is_uint32(a["queue"])))

    def good_event(ev: Any) -> bool:
        return isinstance(ev, dict) and is_name(ev.get("pattern")) and ev.get("delivery") in DELIVERIES

    for field, good in (("actions", good_action), ("streams", is_name), ("channels", is_name),
                        ("events", good_event), ("dependencies", is_name)):
        value = m.get(field)
        if not isinstance(value, list) or not all(good(v) for v in value):
            return f"'{field}' must be an array of well-formed entries"
    return None
