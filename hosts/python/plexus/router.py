"""Which handler of which service a kernel's REQUEST or EVENT is for."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

from .errors import PlexusError
from .service import Service
from .topic import topic_matches

# The kernel's grammar (packages/kernel/src/routing.ts): service, optional @version, action.
ADDRESS = re.compile(r"^([A-Za-z][\w-]*)(?:@([1-9]\d*))?\.([A-Za-z_$][\w$-]*)$")
# Conventions of the kernel's own links (docs/isolation.md), accepted here too.
STARTED, STOPPED, EVENT_PREFIX = "lifecycle:started", "lifecycle:stopped", "event:"


@dataclass
class Target:
    """A resolved handler and the input it will get."""
    service: str
    name: str
    fn: Callable[..., Any]
    input: Any = None
    topic: str | None = None

    def invoke(self, ctx: Any) -> Any:
        return self.fn(ctx, self.input)


class Router:
    """Resolves addresses against the services this host offers."""

    def __init__(self, services: list[Service]) -> None:
        names = [s.name for s in services]
        if len(set(names)) != len(names):
            raise ValueError(f"Two services share a name: {names}")
        self.services = {s.name: s for s in services}

    def resolve(self, request: dict) -> Target | PlexusError:
        address, kind = request["address"], request["kind"]
        if address in (STARTED, STOPPED):
            return Target("*", address, self._lifecycle(address == STARTED))
        if address.startswith(EVENT_PREFIX):
            return self._event_call(address[len(EVENT_PREFIX):], request.get("input"))
        match = ADDRESS.match(address)
        service = self.services.get(match.group(1)) if match else None
        if match is None or service is None or (
                match.group(2) is not None and int(match.group(2)) != service.version):
            name = match.group(1) if match else None
            return PlexusError("NOT_FOUND", f"No service on this host answers to '{address}'",
                               {"service": name, "address": address})
        action = match.group(3)
        fn: Callable[..., Any] | None = None
        if kind in ("call", "send"):
            entry = service.actions.get(action)
            fn = entry.handler if entry else None
        elif kind == "stream":
            fn = service.streams.get(action)
        if fn is None:
            return PlexusError("NOT_FOUND", f"Service '{service.name}' has no {kind} '{action}'",
                               {"service": service.name, "address": address})
        return Target(service.name, action, fn, request.get("input"))

    def subscribers(self, topic: str, payload: Any) -> list[Target]:
        """Every handler, in every service here, whose pattern matches `topic` (EVENT gives no
        service, so each subscribing service on this host gets it once)."""
        return [Target(s.name, pattern, fn, payload, topic)
                for s in self.services.values()
                for pattern, (fn, _) in s.events.items() if topic_matches(pattern, topic)]

    def _event_call(self, pattern: str, delivery: Any) -> Target | PlexusError:
        if not isinstance(delivery, dict) or not isinstance(delivery.get("topic"), str):
            return PlexusError("VALIDATION", "An event delivery's input must be { topic, payload }",
                               {"issues": [{"message": "topic must be a string", "path": ["topic"]}]})
        for s in self.services.values():
            if pattern in s.events:
                fn = s.events[pattern][0]
                return Target(s.name, pattern, fn, delivery.get("payload"), delivery["topic"])
        return PlexusError("NOT_FOUND", f"No service on this host subscribes to '{pattern}'",
                           {"address": f"{EVENT_PREFIX}{pattern}"})

    def _lifecycle(self, started: bool) -> Callable[..., Any]:
        def run(ctx: Any, _input: Any) -> None:
            for s in self.services.values():
                hook = s.started if started else s.stopped
                if hook is not None:
                    hook(ctx)
        return run
