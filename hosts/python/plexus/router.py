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
# The link's own requests (protocol.md §3): reserved action names of each service.
STARTED, STOPPED, EVENT = "$started", "$stopped", "$event"


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
        match = ADDRESS.match(address)
        reserved = match.group(3) if match else None
        if match is not None and match.group(1) in self.services:
            if reserved in (STARTED, STOPPED):
                return Target(match.group(1), reserved,
                              self._lifecycle(self.services[match.group(1)], reserved == STARTED))
            if reserved == EVENT:
                return self._event_call(self.services[match.group(1)], request.get("input"))
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

    def _event_call(self, service: Service, delivery: Any) -> Target | PlexusError:
        """`<service>.$event` with input `{ pattern, topic, payload }`: one subscription of one
        service, so a host running several services gets each event where it was addressed."""
        if (not isinstance(delivery, dict) or not isinstance(delivery.get("topic"), str)
                or not isinstance(delivery.get("pattern"), str)):
            return PlexusError("VALIDATION",
                               "An event delivery's input must be { pattern, topic, payload }",
                               {"issues": [{"message": "pattern and topic must be strings",
                                            "path": ["pattern"]}]})
        pattern = delivery["pattern"]
        if pattern in service.events:
            fn = service.events[pattern][0]
            return Target(service.name, pattern, fn, delivery.get("payload"), delivery["topic"])
        return PlexusError("NOT_FOUND", f"Service '{service.name}' does not subscribe to '{pattern}'",
                           {"service": service.name, "address": f"{service.name}.{EVENT}"})

    @staticmethod
    def _lifecycle(service: Service, started: bool) -> Callable[..., Any]:
        def run(ctx: Any, _input: Any) -> None:
            hook = service.started if started else service.stopped
            if hook is not None:
                hook(ctx)
        return run
