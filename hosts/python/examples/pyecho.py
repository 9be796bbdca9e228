#!/usr/bin/env python3
"""pyecho: a tiny Plexus service written in Python, served to a kernel over TCP.

    python3 hosts/python/examples/pyecho.py --connect tcp://127.0.0.1:7070 --token <t>

Actions: echo (returns its input), fail (raises), slow (sleeps, honouring cancel and deadline),
stubborn (sleeps, ignoring both), budget (the deadline and meta it sees), emit (publishes an event through the kernel), stats
(what ended early); stream: count; events: pyecho.ping.* (those seen: `pings`).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from plexus_host import Backoff, Host, PlexusError, Service  # noqa: E402

svc = Service("pyecho", version=1)
pings: list = []
# What the handlers saw end early, for tests to read back through `stats`.
outcomes = {"stubbornFinished": 0, "slowStarted": 0, "slowCancelled": 0, "slowFinished": 0, "countClosed": 0, "countItems": 0}
_outcomes_lock = threading.Lock()


def bump(key: str) -> None:
    with _outcomes_lock:  # handlers run on several threads
        outcomes[key] += 1


@svc.action("echo", idempotent=True)
def echo(ctx, value):
    return value


@svc.action("fail")
def fail(ctx, value):
    # A PlexusError keeps its code; anything else reaches the caller as HANDLER.
    if isinstance(value, dict) and value.get("code"):
        raise PlexusError(value["code"], value.get("message", "pyecho failed on purpose"),
                          value.get("data"), value.get("retryable"))
    raise ValueError((value or {}).get("message", "pyecho failed on purpose")
                     if isinstance(value, dict) else "pyecho failed on purpose")


@svc.action("slow")
def slow(ctx, value):
    """Sleeps `ms` (default 10 s) unless cancelled first; says how it ended."""
    ms = (value or {}).get("ms", 10_000) if isinstance(value, dict) else 10_000
    bump("slowStarted")
    cancelled = ctx.wait(ms / 1000)
    bump("slowCancelled" if cancelled else "slowFinished")
    return {"cancelled": cancelled, "remainingMs": None if ctx.remaining == float("inf")
            else round(ctx.remaining * 1000)}


@svc.action("stubborn")
def stubborn(ctx, value):
    """Sleeps `ms` ignoring cancel and deadline, as careless code does: its result is dropped."""
    time.sleep(value.get("ms", 1000) / 1000)
    bump("stubbornFinished")
    return "too late"


@svc.action("budget")
def budget(ctx, value):
    """The budget the handler sees, in ms (to check deadlines cross the link)."""
    return {"remainingMs": None if ctx.remaining == float("inf") else ctx.remaining * 1000,
            "caller": ctx.caller, "meta": ctx.meta}


@svc.action("emit")
def emit(ctx, value):
    ctx.emit(value["topic"], value.get("payload"))
    return True


@svc.action("pings", idempotent=True)
def seen_pings(ctx, value):
    return list(pings)


@svc.action("stats")
def stats(ctx, value):
    with _outcomes_lock:
        return dict(outcomes)


@svc.event("pyecho.ping.*")
def on_ping(ctx, payload):
    pings.append({"topic": ctx.topic, "payload": payload})


@svc.stream("count")
def count(ctx, value):
    """Yields 0..n-1 (`n`, default 10); `delayMs` between items."""
    n = value.get("n", 10) if isinstance(value, dict) else 10
    delay = (value.get("delayMs", 0) if isinstance(value, dict) else 0) / 1000
    try:
        for i in range(n):
            if delay and ctx.wait(delay):
                return
            bump("countItems")
            yield i
    finally:
        bump("countClosed")
        # Runs when the consumer stops early too (CANCEL): the iterator's return().
        logging.getLogger("pyecho").debug("count closed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--connect", default="tcp://127.0.0.1:7070", help="tcp://host:port")
    parser.add_argument("--token", default=os.environ.get("PLEXUS_TOKEN"),
                        help="credential sent in HELLO (default $PLEXUS_TOKEN)")
    parser.add_argument("--no-reconnect", action="store_true", help="exit when the link drops")
    parser.add_argument("--log-level", default=os.environ.get("PLEXUS_LOG_LEVEL", "info"))
    args = parser.parse_args()
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    host = Host(args.connect, [svc], token=args.token, reconnect=not args.no_reconnect,
                backoff=Backoff(0.1, 5.0))
    signal.signal(signal.SIGTERM, lambda *_: host.stop())
    signal.signal(signal.SIGINT, lambda *_: host.stop())
    host.start()
    while host.join(0.5):  # short joins so that signals are handled promptly
        pass


if __name__ == "__main__":
    main()
