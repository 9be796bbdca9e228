"""Envelope bodies <-> bytes (protocol.md §2, §3). Every decode is checked; every refusal is a
PROTOCOL PlexusError with `data.reason` (§11) and, when the exchange id could be read, `data.id`."""

from __future__ import annotations

import struct
from typing import Any

from .errors import protocol_error
from .json_section import DEFAULT_MAX_DEPTH, decode_json, decode_text, encode_json
from .manifest import DELIVERIES, MAX_U32, is_count, is_uint32, manifest_problem

PROTOCOL_VERSION = 1
SUPPORTED_VERSIONS = (1,)
DEFAULT_INITIAL_CREDIT = 16
MAX_SHORT = 0xFFFF

HELLO, REQUEST, RESPONSE, ERROR, EVENT = 1, 2, 3, 4, 5
STREAM_ITEM, STREAM_END, CHANNEL_INPUT, CHANNEL_END = 6, 7, 8, 9
CANCEL, CREDIT, PING, PONG = 10, 11, 12, 13
TYPE_NAMES = {1: "HELLO", 2: "REQUEST", 3: "RESPONSE", 4: "ERROR", 5: "EVENT", 6: "STREAM_ITEM",
              7: "STREAM_END", 8: "CHANNEL_INPUT", 9: "CHANNEL_END", 10: "CANCEL", 11: "CREDIT",
              12: "PING", 13: "PONG"}

KINDS = ("call", "send", "stream", "channel")
F_META, F_CALLER, F_CREDIT = 1, 2, 4
MAX_VERSIONS = 16

_U32 = struct.Struct(">I")


def _u32(value: int) -> bytes:
    if not is_uint32(value):
        raise protocol_error("unserializable", f"{value!r} is not a u32")
    return _U32.pack(value)


def _str16(value: str) -> bytes:
    raw = value.encode("utf-8")
    if len(raw) > MAX_SHORT:
        raise protocol_error("unserializable", f"A name of {len(raw)} bytes is over 65,535")
    return struct.pack(">H", len(raw)) + raw


def _rest(e: dict, key: str) -> bytes:
    return encode_json(e[key]) if key in e else b""


def encode_envelope(e: dict) -> bytes:
    """The body of one envelope (for message transports; frames add the length prefix)."""
    t = e["t"]
    head = bytes((PROTOCOL_VERSION, t))
    if t == HELLO:
        hello = {k: v for k, v in e.items() if k != "t"}
        return head + encode_json(hello)
    if t == REQUEST:
        flags = (F_META if "meta" in e else 0) | (F_CALLER if "caller" in e else 0) | (
            F_CREDIT if "credit" in e else 0)
        parts = [head, _u32(e["id"]), bytes((KINDS.index(e["kind"]), flags)), _u32(e["deadline"])]
        if "credit" in e:
            parts.append(_u32(e["credit"]))
        parts.append(_str16(e["address"]))
        if "caller" in e:
            parts.append(_str16(e["caller"]))
        if "meta" in e:
            meta = encode_json(e["meta"])
            parts += [_u32(len(meta)), meta]
        parts.append(_rest(e, "input"))
        return b"".join(parts)
    if t == RESPONSE:
        return head + _u32(e["id"]) + _rest(e, "output")
    if t == ERROR:
        return head + _u32(e["id"]) + encode_json(e["error"])
    if t == EVENT:
        flags = F_META if "meta" in e else 0
        parts = [head, bytes((DELIVERIES.index(e.get("delivery", "balanced")), flags)), _str16(e["topic"])]
        if "meta" in e:
            meta = encode_json(e["meta"])
            parts += [_u32(len(meta)), meta]
        parts.append(_rest(e, "payload"))
        return b"".join(parts)
    if t in (STREAM_ITEM, CHANNEL_INPUT):
        return head + _u32(e["id"]) + _rest(e, "item")
    if t in (STREAM_END, CHANNEL_END):
        return head + _u32(e["id"])
    if t == CANCEL:
        return head + _u32(e["id"]) + (e["reason"].encode("utf-8") if e.get("reason") else b"")
    if t == CREDIT:
        return head + _u32(e["id"]) + _u32(e["n"])
    if t in (PING, PONG):
        return head + _u32(e["seq"])
    raise protocol_error("unserializable", f"Unknown envelope type t={t!r}")


def encode_frame(e: dict) -> bytes:
    """One frame for a byte stream: 4-byte big-endian length, then the body."""
    body = encode_envelope(e)
    return _U32.pack(len(body)) + body


def decode_envelope(body: bytes, max_depth: int = DEFAULT_MAX_DEPTH) -> dict:
    """A checked envelope from one body; raises PROTOCOL (`data.reason`, maybe `data.id`)."""
    if len(body) == 0:
        raise protocol_error("empty-frame", "Empty envelope: no version byte")
    if body[0] != PROTOCOL_VERSION:
        raise protocol_error("version", f"Unsupported envelope version {body[0]}; this side reads 1",
                             version=body[0], supported=list(SUPPORTED_VERSIONS))
    return _Reader(memoryview(body), max_depth).envelope()


class _Reader:
    def __init__(self, body: memoryview, max_depth: int) -> None:
        self.b = body
        self.at = 2
        self.t = 0
        self.id: int | None = None
        self.max_depth = max_depth

    # -- helpers --
    def where(self) -> dict:
        return {"name": TYPE_NAMES.get(self.t, f"t={self.t}"),
                "data": {} if self.id is None else {"id": self.id}}

    def fail(self, what: str, reason: str = "shape"):
        w = self.where()
        return protocol_error(reason, f"{w['name']} envelope: {what}", **w["data"])

    def need(self, n: int) -> None:
        if self.at + n > len(self.b):
            raise self.fail(f"truncated: {n} more bytes needed at offset {self.at} of {len(self.b)}")

    def end(self) -> None:
        if self.at != len(self.b):
            raise self.fail(f"{len(self.b) - self.at} unexpected trailing bytes")

    def u32(self) -> int:
        self.need(4)
        (value,) = _U32.unpack_from(self.b, self.at)
        self.at += 4
        return value

    def read_id(self) -> int:
        self.id = self.u32()
        return self.id

    def short(self) -> str:
        self.need(2)
        length = (self.b[self.at] << 8) | self.b[self.at + 1]
        self.at += 2
        self.need(length)
        start, self.at = self.at, self.at + length
        return decode_text(self.b[start:self.at], self.where())

    def json_at(self, start: int, end: int) -> Any:
        return decode_json(self.b[start:end], self.where(), self.max_depth)

    def rest(self) -> Any:
        start, self.at = self.at, len(self.b)
        return None if start == len(self.b) else (self.json_at(start, len(self.b)),)

    def meta(self) -> dict:
        length = self.u32()
        self.need(length)
        start, self.at = self.at, self.at + length
        value = self.json_at(start, self.at)
        if not isinstance(value, dict):
            raise self.fail("meta must be a JSON object")
        return value

    # -- envelopes --
    def envelope(self) -> dict:
        if len(self.b) < 2:
            raise self.fail("envelope has no type byte")
        t = self.t = self.b[1]
        if t == REQUEST:
            return self.request()
        if t in (RESPONSE, STREAM_ITEM, CHANNEL_INPUT):
            e = {"t": t, "id": self.read_id()}
            value = self.rest()
            if value is not None:
                e["output" if t == RESPONSE else "item"] = value[0]
            return e
        if t == ERROR:
            e = {"t": t, "id": self.read_id()}
            value = self.rest()
            self.check_error(None if value is None else value[0])
            e["error"] = value[0]  # type: ignore[index]
            return e
        if t in (STREAM_END, CHANNEL_END):
            e = {"t": t, "id": self.read_id()}
            self.end()
            return e
        if t == CANCEL:
            e = {"t": t, "id": self.read_id()}
            if self.at < len(self.b):
                e["reason"] = decode_text(self.b[self.at:], self.where())
            return e
        if t == CREDIT:
            e = {"t": t, "id": self.read_id(), "n": self.u32()}
            self.end()
            if e["n"] == 0:
                raise self.fail("CREDIT n must be at least 1, got 0")
            return e
        if t in (PING, PONG):
            e = {"t": t, "seq": self.u32()}
            self.end()
            return e
        if t == EVENT:
            return self.event()
        if t == HELLO:
            return self.hello()
        raise protocol_error("type", f"Unknown envelope type t={t}; known are 1..13", t=t)

    def request(self) -> dict:
        rid = self.read_id()
        self.need(6)
        kind_code, flags = self.b[self.at], self.b[self.at + 1]
        if kind_code >= len(KINDS):
            raise self.fail(f"unknown request kind {kind_code}")
        if flags & ~(F_META | F_CALLER | F_CREDIT):
            raise self.fail(f"unknown flags {flags}")
        (deadline,) = _U32.unpack_from(self.b, self.at + 2)
        self.at += 6
        credit = self.u32() if flags & F_CREDIT else None
        address = self.short()
        if address == "":
            raise self.fail("address is empty")
        e: dict = {"t": REQUEST, "id": rid, "kind": KINDS[kind_code], "address": address,
                   "deadline": deadline}
        if flags & F_CALLER:
            e["caller"] = self.short()
        if flags & F_META:
            e["meta"] = self.meta()
        if credit is not None:
            if credit == 0:
                raise self.fail("credit must be at least 1, got 0")
            e["credit"] = credit
        value = self.rest()
        if value is not None:
            e["input"] = value[0]
        return e

    def event(self) -> dict:
        self.need(2)
        delivery, flags = self.b[self.at], self.b[self.at + 1]
        if delivery >= len(DELIVERIES):
            raise self.fail(f"unknown delivery {delivery}")
        if flags & ~F_META:
            raise self.fail(f"unknown flags {flags}")
        self.at += 2
        topic = self.short()
        if topic == "":
            raise self.fail("topic is empty")
        e: dict = {"t": EVENT, "delivery": DELIVERIES[delivery], "topic": topic}
        if flags & F_META:
            e["meta"] = self.meta()
        value = self.rest()
        if value is not None:
            e["payload"] = value[0]
        return e

    def check_error(self, error: Any) -> None:
        if not isinstance(error, dict):
            raise self.fail("field 'error' must be an object (PlexusError JSON)")
        if not isinstance(error.get("code"), str) or not isinstance(error.get("message"), str):
            raise self.fail("field 'error' must be PlexusError JSON with string code and message")
        if "retryable" in error and not isinstance(error["retryable"], bool):
            raise self.fail("field 'error.retryable' must be a boolean")
        if "cause" in error and not isinstance(error["cause"], dict):
            raise self.fail("field 'error.cause' must be an object")

    def hello(self) -> dict:
        value = self.rest()
        hello = None if value is None else value[0]
        if not isinstance(hello, dict):
            raise self.fail("HELLO body must be a JSON object")
        versions = hello.get("versions")
        if not (isinstance(versions, list) and 1 <= len(versions) <= MAX_VERSIONS
                and all(is_count(v) for v in versions)):
            raise self.fail(f"field 'versions' must be a non-empty array of at most {MAX_VERSIONS} "
                            f"positive integers, got {versions!r}")
        if hello.get("role") not in ("kernel", "host"):
            raise self.fail(f"field 'role' must be 'kernel' or 'host', got {hello.get('role')!r}")
        if "name" in hello and not isinstance(hello["name"], str):
            raise self.fail("field 'name' must be a string")
        services = hello.get("services")
        if not isinstance(services, list):
            raise self.fail("field 'services' must be an array")
        for manifest in services:
            problem = manifest_problem(manifest)
            if problem:
                raise self.fail(f"service manifest: {problem}")
        return {**hello, "t": HELLO}

