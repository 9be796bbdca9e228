"""Topic patterns, addresses, error JSON and the reconnect backoff."""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from plexus.errors import PlexusError, to_plexus_error  # noqa: E402
from plexus.host import Backoff, parse_url  # noqa: E402
from plexus.router import Router  # noqa: E402
from plexus.service import Service  # noqa: E402
from plexus.topic import topic_matches  # noqa: E402


class Topics(unittest.TestCase):
    def test_star_matches_one_token_and_gt_matches_one_or_more(self):
        self.assertTrue(topic_matches("a.*", "a.b"))
        self.assertFalse(topic_matches("a.*", "a.b.c"))
        self.assertFalse(topic_matches("a.*", "a"))
        self.assertTrue(topic_matches("a.>", "a.b.c"))
        self.assertFalse(topic_matches("a.>", "a"))
        self.assertTrue(topic_matches("a.b", "a.b"))
        self.assertFalse(topic_matches("a.b", "a.c"))


class Addresses(unittest.TestCase):
    def setUp(self):
        svc = Service("math", version=2)
        svc.action("add")(lambda ctx, v: v)
        svc.stream("count")(lambda ctx, v: iter(()))
        svc.event("x.*")(lambda ctx, v: None)
        self.router = Router([svc])

    def resolve(self, address, kind="call", input=None):
        return self.router.resolve({"address": address, "kind": kind, "input": input})

    def test_service_action_and_a_matching_pinned_version_resolve(self):
        self.assertEqual(self.resolve("math.add").name, "add")
        self.assertEqual(self.resolve("math@2.add").name, "add")
        self.assertEqual(self.resolve("math.count", "stream").name, "count")

    def test_anything_else_is_not_found_naming_service_and_address(self):
        for address, kind in (("math@1.add", "call"), ("math.nope", "call"), ("other.add", "call"),
                              ("math.add", "stream"), ("math.count", "call"), ("math.add", "channel"),
                              ("math", "call"), ("math.a.b", "call")):
            with self.subTest(address=address, kind=kind):
                error = self.resolve(address, kind)
                self.assertIsInstance(error, PlexusError)
                self.assertEqual(error.code, "NOT_FOUND")
                self.assertEqual(error.data["address"], address)

    def test_event_deliveries_by_request_name_the_service_pattern_and_topic(self):
        ok = self.resolve("math.$event", input={"pattern": "x.*", "topic": "x.y", "payload": 1})
        self.assertEqual((ok.service, ok.name, ok.topic, ok.input), ("math", "x.*", "x.y", 1))
        self.assertEqual(self.resolve("math.$event", input=3).code, "VALIDATION")
        self.assertEqual(self.resolve("math.$event", input={"topic": "x.y"}).code, "VALIDATION")
        self.assertEqual(
            self.resolve("math.$event", input={"pattern": "y.*", "topic": "y.z"}).code, "NOT_FOUND")


class Errors(unittest.TestCase):
    def test_a_plain_exception_is_handler_with_message_and_class_only(self):
        json = to_plexus_error(KeyError("k")).to_json()
        self.assertEqual(json["code"], "HANDLER")
        self.assertEqual(json["cause"], {"name": "KeyError", "message": "'k'"})
        self.assertNotIn("data", json)

    def test_json_round_trip_keeps_code_data_retryable_and_cause(self):
        error = PlexusError("TIMEOUT", "late", {"a": 1}, retryable=False, cause=PlexusError("CANCELLED", "x"))
        back = PlexusError.from_json(error.to_json())
        self.assertEqual((back.code, back.data, back.retryable, back.cause.code), ("TIMEOUT", {"a": 1}, False, "CANCELLED"))

    def test_an_unknown_code_becomes_handler_keeping_the_original(self):
        back = PlexusError.from_json({"code": "WEIRD", "message": "m", "data": 1})
        self.assertEqual((back.code, back.data), ("HANDLER", {"code": "WEIRD", "data": 1}))


class Reconnect(unittest.TestCase):
    def test_delays_double_to_the_maximum_each_drawn_from_its_upper_half(self):
        backoff = Backoff(0.1, 1.0)
        for attempt, ceiling in ((0, 0.1), (1, 0.2), (3, 0.8), (4, 1.0), (50, 1.0)):
            delays = [backoff.delay(attempt) for _ in range(200)]
            self.assertTrue(all(ceiling / 2 <= d <= ceiling for d in delays), (attempt, min(delays), max(delays)))
            self.assertGreater(len(set(delays)), 1, "jittered")

    def test_only_tcp_urls_are_accepted(self):
        self.assertEqual(parse_url("tcp://127.0.0.1:7070"), ("127.0.0.1", 7070))
        for bad in ("ws://h:1", "tcp://h", "127.0.0.1:7070"):
            with self.assertRaises(ValueError):
                parse_url(bad)


if __name__ == "__main__":
    unittest.main()
