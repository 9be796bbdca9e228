"""A service this host offers: its handlers and the manifest HELLO announces (protocol.md §5)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

# The kernel's address grammar (packages/kernel/src/routing.ts; protocol.md §3 only says
# `service.action`): a service name and an action name.
NAME = re.compile(r"^[A-Za-z][\w-]*$")
ACTION = re.compile(r"^[A-Za-z_$][\w$-]*$")

Handler = Callable[..., Any]


@dataclass
class Action:
    """A request handler and the flags the kernel routes and retries by."""
    handler: Handler
    idempotent: bool = False
    concurrency: int | None = None
    queue: int | None = None


@dataclass
class Service:
    """One service: `name`, `version`, and handlers registered with the decorators below.

    Handlers take `(ctx, input)`; an action returns its output, a stream handler returns an
    iterable (a generator), an event handler returns nothing."""

    name: str
    version: int = 1
    dependencies: list[str] = field(default_factory=list)
    actions: dict[str, Action] = field(default_factory=dict)
    streams: dict[str, Handler] = field(default_factory=dict)
    events: dict[str, tuple[Handler, str]] = field(default_factory=dict)
    started: Handler | None = None
    stopped: Handler | None = None

    def __post_init__(self) -> None:
        if not NAME.match(self.name):
            raise ValueError(f"Service name {self.name!r} must match {NAME.pattern}")
        if type(self.version) is not int or self.version < 1:
            raise ValueError(f"Service version must be an integer >= 1, got {self.version!r}")

    def action(self, name: str, *, idempotent: bool = False, concurrency: int | None = None,
               queue: int | None = None) -> Callable[[Handler], Handler]:
        """Registers `fn(ctx, input) -> output` as the action `name`."""
        self._check(name)

        def register(fn: Handler) -> Handler:
            self.actions[name] = Action(fn, idempotent, concurrency, queue)
            return fn
        return register

    def stream(self, name: str) -> Callable[[Handler], Handler]:
        """Registers `fn(ctx, input) -> iterable` as the request-stream `name`."""
        self._check(name)

        def register(fn: Handler) -> Handler:
            self.streams[name] = fn
            return fn
        return register

    def event(self, pattern: str, delivery: str = "balanced") -> Callable[[Handler], Handler]:
        """Registers `fn(ctx, payload)` for topics matching `pattern` (`*` one token, `>` the rest)."""
        if delivery not in ("balanced", "broadcast"):
            raise ValueError(f"delivery must be 'balanced' or 'broadcast', got {delivery!r}")
        if not pattern:
            raise ValueError("An event pattern must be non-empty")

        def register(fn: Handler) -> Handler:
            self.events[pattern] = (fn, delivery)
            return fn
        return register

    def on_started(self, fn: Handler) -> Handler:
        """Registers the `started` hook (run on the kernel's `<service>.$started`)."""
        self.started = fn
        return fn

    def on_stopped(self, fn: Handler) -> Handler:
        """Registers the `stopped` hook (run on the kernel's `<service>.$stopped`)."""
        self.stopped = fn
        return fn

    def manifest(self) -> dict:
        """The manifest this service is announced with in HELLO."""
        actions = []
        for name, a in self.actions.items():
            entry: dict[str, Any] = {"name": name}
            if a.idempotent:
                entry["idempotent"] = True
            if a.concurrency is not None:
                entry["concurrency"] = a.concurrency
            if a.queue is not None:
                entry["queue"] = a.queue
            actions.append(entry)
        return {
            "name": self.name,
            "version": self.version,
            "actions": actions,
            "streams": list(self.streams),
            "channels": [],
            "events": [{"pattern": p, "delivery": d} for p, (_, d) in self.events.items()],
            "dependencies": list(self.dependencies),
        }

    def _check(self, name: str) -> None:
        if not ACTION.match(name):
            raise ValueError(f"Action name {name!r} must match {ACTION.pattern}")
