"""The codec against protocol.md: round trips, the §3 examples byte for byte, every refusal."""

import os
import struct
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from plexus import codec  # noqa: E402
from plexus.codec import decode_envelope, encode_envelope, encode_frame  # noqa: E402
from plexus.errors import PROTOCOL_REASONS, PlexusError  # noqa: E402
from plexus.frames import FrameDecoder  # noqa: E402

MANIFEST = {"name": "pyecho", "version": 1, "actions": [{"name": "echo", "idempotent": True}],
            "streams": ["count"], "channels": [], "events": [{"pattern": "a.*", "delivery": "broadcast"}],
            "dependencies": []}

EVERY_TYPE = [
    {"t": codec.HELLO, "versions": [1], "role": "host", "services": [MANIFEST], "name": "py"},
    {"t": codec.REQUEST, "id": 1, "kind": "call", "address": "math.add", "deadline": 5000,
     "input": {"a": 1, "b": 2}},
    {"t": codec.REQUEST, "id": 4294967295, "kind": "channel", "address": "s@2.c", "deadline": 0,
     "credit": 3, "caller": "web", "meta": {"tid": "é"}},
    {"t": codec.REQUEST, "id": 0, "kind": "send", "address": "s.a", "deadline": 1, "input": None},
    {"t": codec.RESPONSE, "id": 1, "output": 3},
    {"t": codec.RESPONSE, "id": 2},
    {"t": codec.ERROR, "id": 0, "error": {"name": "PlexusError", "code": "PROTOCOL", "message": "x",
                                          "retryable": False, "data": {"reason": "handshake"},
                                          "cause": {"name": "Error", "message": "y"}}},
    {"t": codec.EVENT, "delivery": "broadcast", "topic": "a.b", "meta": {"m": 1}, "payload": [1, "ü"]},
    {"t": codec.EVENT, "delivery": "balanced", "topic": "a"},
    {"t": codec.STREAM_ITEM, "id": 3, "item": "x"},
    {"t": codec.STREAM_END, "id": 3},
    {"t": codec.CHANNEL_INPUT, "id": 5, "item": {"k": None}},
    {"t": codec.CHANNEL_END, "id": 5},
    {"t": codec.CANCEL, "id": 7, "reason": "deadline"},
    {"t": codec.CANCEL, "id": 7},
    {"t": codec.CREDIT, "id": 3, "n": 16},
    {"t": codec.PING, "seq": 0},
    {"t": codec.PONG, "seq": 4294967295},
]


def body(t: int, rest: bytes = b"", version: int = 1) -> bytes:
    return bytes((version, t)) + rest


def u32(n: int) -> bytes:
    return struct.pack(">I", n)


def s16(raw: bytes) -> bytes:
    return struct.pack(">H", len(raw)) + raw


def request(rest_after_id: bytes, rid: int = 2) -> bytes:
    return body(codec.REQUEST, u32(rid) + rest_after_id)


class RoundTrips(unittest.TestCase):
    def test_every_envelope_type_decodes_to_what_was_encoded(self):
        for e in EVERY_TYPE:
            with self.subTest(t=codec.TYPE_NAMES[e["t"]]):
                self.assertEqual(decode_envelope(encode_envelope(e)), e)

    def test_the_examples_of_section_3_byte_for_byte(self):
        call = {"t": codec.REQUEST, "id": 1, "kind": "call", "address": "math.add", "deadline": 5000,
                "input": {"a": 1, "b": 2}}
        self.assertEqual(encode_frame(call).hex(), "00000023" "01" "02" "00000001" "00" "00" "00001388"
                         "0008" "6d6174682e616464" "7b2261223a312c2262223a327d")
        self.assertEqual(encode_frame({"t": codec.RESPONSE, "id": 1, "output": 3}).hex(), "00000007010300000001" "33")
        self.assertEqual(encode_frame({"t": codec.CREDIT, "id": 3, "n": 16}).hex(), "0000000a010b0000000300000010")
        self.assertEqual(encode_frame({"t": codec.PING, "seq": 7}).hex(), "00000006010c00000007")
        stream = {"t": codec.REQUEST, "id": 3, "kind": "stream", "address": "math.count", "deadline": 1000,
                  "credit": 16, "caller": "web", "meta": {"tid": "x"}, "input": {"n": 3}}
        self.assertEqual(encode_frame(stream).hex(),
                         "00000037010200000003020700" "0003e8" "00000010" "000a6d6174682e636f756e74"
                         "0003776562" "0000000b7b22746964223a2278227d" "7b226e223a337d")

    def test_frames_split_and_joined_arbitrarily_come_out_whole_and_in_order(self):
        stream = b"".join(encode_frame(e) for e in EVERY_TYPE)
        for step in (1, 3, 7, len(stream)):
            decoder, out = FrameDecoder(), []
            for i in range(0, len(stream), step):
                out += decoder.push(stream[i:i + step])
            decoder.end()
            self.assertEqual([decode_envelope(b) for b in out], EVERY_TYPE)

    def test_absent_json_sections_stay_absent_and_null_stays_null(self):
        self.assertNotIn("output", decode_envelope(body(codec.RESPONSE, u32(1))))
        self.assertIsNone(decode_envelope(body(codec.RESPONSE, u32(1) + b"null"))["output"])

    def test_unknown_hello_fields_are_ignored_and_kept(self):
        hello = decode_envelope(body(codec.HELLO, b'{"versions":[1,2],"role":"kernel","services":[],"token":"t","x":{}}'))
        self.assertEqual(hello["token"], "t")

    def test_a_key_named_constructor_that_is_not_a_prototype_holder_is_fine(self):
        e = decode_envelope(body(codec.RESPONSE, u32(1) + b'{"constructor":"x","c":{"constructor":{"a":1}}}'))
        self.assertEqual(e["output"]["constructor"], "x")

    def test_json_nested_exactly_100_levels_is_accepted(self):
        text = b"[" * 100 + b"]" * 100
        self.assertIsInstance(decode_envelope(body(codec.RESPONSE, u32(1) + text))["output"], list)


class Refusals(unittest.TestCase):
    def refused(self, raw: bytes, reason: str, rid=None):
        with self.assertRaises(PlexusError) as caught:
            decode_envelope(raw)
        error = caught.exception
        self.assertEqual(error.code, "PROTOCOL")
        self.assertEqual(error.data["reason"], reason, error.message)
        self.assertFalse(error.retryable)
        if rid is not None:
            self.assertEqual(error.data.get("id"), rid, error.message)
        return error

    def test_framing_a_declared_4_gib_frame_is_refused_from_its_four_bytes(self):
        decoder = FrameDecoder()
        with self.assertRaises(PlexusError) as caught:
            decoder.push(b"\xff\xff\xff\xff")
        self.assertEqual(caught.exception.data["reason"], "frame-too-large")
        self.assertEqual(decoder.buffered_bytes, 0)
        with self.assertRaises(PlexusError):  # the decoder stays failed
            decoder.push(encode_frame({"t": codec.PING, "seq": 1}))

    def test_framing_one_byte_over_the_maximum_is_refused_and_the_maximum_accepted(self):
        FrameDecoder(max_frame_size=10).push(u32(10))
        with self.assertRaises(PlexusError):
            FrameDecoder(max_frame_size=10).push(u32(11))

    def test_framing_a_stream_ending_inside_a_header_or_a_frame_is_truncated(self):
        for leftover in (b"\x00\x00", u32(10) + b"abc"):
            decoder = FrameDecoder()
            decoder.push(leftover)
            with self.assertRaises(PlexusError) as caught:
                decoder.end()
            self.assertEqual(caught.exception.data["reason"], "truncated")

    def test_empty_frame(self):
        self.refused(b"", "empty-frame")

    def test_version(self):
        for v in (0, 2, 255):
            self.refused(body(codec.PING, u32(1), version=v), "version")

    def test_type(self):
        for t in (0, 14, 255):
            self.refused(body(t, u32(1)), "type")

    def test_shape_fields_missing_or_cut_short(self):
        for t in (codec.RESPONSE, codec.ERROR, codec.STREAM_ITEM, codec.STREAM_END, codec.CHANNEL_INPUT,
                  codec.CHANNEL_END, codec.CANCEL, codec.CREDIT, codec.PING, codec.PONG):
            with self.subTest(t=codec.TYPE_NAMES[t]):
                self.refused(body(t, b"\x00\x00"), "shape")
        self.refused(b"\x01", "shape")  # no type byte
        self.refused(request(b"\x00\x00\x00\x00"), "shape", rid=2)  # deadline cut short
        self.refused(request(b"\x00\x00" + u32(10) + b"\x00"), "shape", rid=2)  # address length cut
        self.refused(request(b"\x00\x00" + u32(10) + b"\x00\x09abc"), "shape", rid=2)  # address cut
        self.refused(request(b"\x00\x01" + u32(10) + s16(b"a.b") + u32(50) + b"{}"), "shape", rid=2)
        self.refused(body(codec.EVENT, b"\x00"), "shape")

    def test_shape_values_out_of_range(self):
        self.refused(request(b"\x04\x00" + u32(10) + s16(b"a.b")), "shape", rid=2)  # kind 4
        self.refused(request(b"\x00\x08" + u32(10) + s16(b"a.b")), "shape", rid=2)  # flag bit 3
        self.refused(request(b"\x00\x80" + u32(10) + s16(b"a.b")), "shape", rid=2)
        self.refused(request(b"\x02\x04" + u32(10) + u32(0) + s16(b"a.b")), "shape", rid=2)  # credit 0
        self.refused(request(b"\x00\x00" + u32(10) + s16(b"")), "shape", rid=2)  # empty address
        self.refused(request(b"\x00\x01" + u32(10) + s16(b"a.b") + u32(2) + b"[]"), "shape", rid=2)
        self.refused(body(codec.CREDIT, u32(3) + u32(0)), "shape", rid=3)
        self.refused(body(codec.EVENT, b"\x02\x00" + s16(b"a")), "shape")  # delivery 2
        self.refused(body(codec.EVENT, b"\x00\x02" + s16(b"a")), "shape")  # event flag bit 1
        self.refused(body(codec.EVENT, b"\x00\x00" + s16(b"")), "shape")  # empty topic
        self.refused(body(codec.EVENT, b"\x00\x01" + s16(b"a") + u32(4) + b"null"), "shape")

    def test_shape_trailing_bytes_after_fixed_size_bodies(self):
        self.refused(body(codec.STREAM_END, u32(3) + b"\x00"), "shape", rid=3)
        self.refused(body(codec.CHANNEL_END, u32(3) + b"\x00"), "shape", rid=3)
        self.refused(body(codec.CREDIT, u32(3) + u32(1) + b"\x00"), "shape", rid=3)
        self.refused(body(codec.PING, u32(1) + b"\x00"), "shape")
        self.refused(body(codec.PONG, u32(1) + b"\x00"), "shape")

    def test_shape_error_bodies(self):
        self.refused(body(codec.ERROR, u32(5)), "shape", rid=5)  # required
        for bad in (b"[]", b'"x"', b'{"message":"m"}', b'{"code":1,"message":"m"}',
                    b'{"code":"X","message":"m","retryable":"no"}', b'{"code":"X","message":"m","cause":3}'):
            self.refused(body(codec.ERROR, u32(5) + bad), "shape", rid=5)

    def test_shape_hello_bodies(self):
        good = {"versions": [1], "role": "kernel", "services": []}
        import json
        for change in ({"versions": []}, {"versions": list(range(1, 18))}, {"versions": [0]},
                       {"versions": [1.5]}, {"versions": [True]}, {"versions": "1"}, {"role": "guest"},
                       {"services": {}}, {"name": 3}, {"services": [{"name": "x"}]},
                       {"services": [dict(MANIFEST, version=0)]},
                       {"services": [dict(MANIFEST, actions=[{"name": ""}])]},
                       {"services": [dict(MANIFEST, events=[{"pattern": "a", "delivery": "all"}])]}):
            with self.subTest(change=change):
                self.refused(body(codec.HELLO, json.dumps({**good, **change}).encode()), "shape")
        for raw in (b"", b"[]", b"null"):
            self.refused(body(codec.HELLO, raw), "shape")

    def test_utf8_every_kind_of_bad_sequence(self):
        for bad in (b"\xc0\xaf", b"\xed\xa0\x80", b"\xe2\x82", b"\xff", b"\x80"):
            with self.subTest(bad=bad):
                self.refused(request(b"\x00\x00" + u32(10) + s16(b"a." + bad)), "utf8", rid=2)
                self.refused(body(codec.RESPONSE, u32(9) + b'"' + bad + b'"'), "utf8", rid=9)
                self.refused(body(codec.CANCEL, u32(9) + bad), "utf8", rid=9)
                self.refused(body(codec.EVENT, b"\x00\x00" + s16(bad)), "utf8")

    def test_json_that_does_not_parse(self):
        for bad in (b"{", b"{}x", b"{} {}", b"NaN", b"Infinity", b"[1,]", b"'a'", b"undefined", b"{a:1}"):
            with self.subTest(bad=bad):
                self.refused(body(codec.RESPONSE, u32(9) + bad), "json", rid=9)
        self.refused(request(b"\x00\x01" + u32(10) + s16(b"a.b") + u32(1) + b"{"), "json", rid=2)

    def test_too_deep(self):
        self.refused(body(codec.RESPONSE, u32(9) + b"[" * 101 + b"]" * 101), "too-deep", rid=9)
        self.refused(body(codec.RESPONSE, u32(9) + b'{"a":' * 101 + b"1" + b"}" * 101), "too-deep", rid=9)
        self.refused(body(codec.RESPONSE, u32(9) + b"[" * 10_000 + b"]" * 10_000), "too-deep", rid=9)
        self.refused(request(b"\x00\x00" + u32(10) + s16(b"a.b") + b"[" * 200 + b"]" * 200), "too-deep", rid=2)

    def test_proto_key_however_it_is_spelled(self):
        for bad in (b'{"__proto__":{}}', b'{"a":[{"__proto__":1}]}', b'{"\\u005f_proto__":1}',
                    b'{"constructor":{"prototype":{}}}', b'{"constructor":{"\\u0070rototype":1}}'):
            with self.subTest(bad=bad):
                self.refused(body(codec.RESPONSE, u32(9) + bad), "proto-key", rid=9)
        self.refused(request(b"\x00\x01" + u32(10) + s16(b"a.b") + u32(16) + b'{"__proto__":{}}'),
                     "proto-key", rid=2)

    def test_the_reasons_are_exactly_the_closed_list_of_section_11(self):
        doc = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../docs/protocol.md")
        with open(doc, encoding="utf-8") as f:
            text = f.read()
        section = text[text.index("## 11."):text.index("## 12.")]
        import re
        listed = re.findall(r"^\| `([a-z0-9-]+)` \|", section, re.M)
        self.assertEqual(sorted(listed), sorted(PROTOCOL_REASONS))


class SenderRefusals(unittest.TestCase):
    def unserializable(self, e: dict):
        with self.assertRaises(PlexusError) as caught:
            encode_envelope(e)
        self.assertEqual(caught.exception.data["reason"], "unserializable")

    def test_values_json_cannot_carry(self):
        cycle: list = []
        cycle.append(cycle)
        for value in (cycle, {1, 2}, float("nan"), object(), "\ud800"):
            with self.subTest(value=repr(value)[:20]):
                self.unserializable({"t": codec.RESPONSE, "id": 1, "output": value})

    def test_names_over_65535_bytes(self):
        self.unserializable({"t": codec.REQUEST, "id": 1, "kind": "call", "deadline": 1, "address": "a" * 65536})
        self.unserializable({"t": codec.EVENT, "topic": "é" * 40000})

    def test_ids_outside_u32(self):
        self.unserializable({"t": codec.PING, "seq": 2 ** 32})
        self.unserializable({"t": codec.CREDIT, "id": -1, "n": 1})


if __name__ == "__main__":
    unittest.main()
