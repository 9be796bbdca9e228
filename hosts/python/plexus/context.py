"""What a handler sees of the request it runs: deadline, cancellation, meta, caller."""

from __future__ import annotations

import math
import threading
import time
from typing import Any, Callable

from .errors import PlexusError


class Context:
    """Passed to every handler as `ctx`.

    `ctx.cancelled` turns true when the kernel sends CANCEL, the deadline passes or the link
    drops; `ctx.wait(s)` sleeps but wakes at once on that; `ctx.remaining` is the budget left in
    seconds (`math.inf` when the request carried none)."""

    def __init__(self, *, service: str, name: str, address: str, kind: str,
                 deadline: float, caller: str | None = None, meta: dict | None = None,
                 topic: str | None = None, emit: Callable[..., None] | None = None) -> None:
        self.service = service
        self.name = name
        self.address = address
        self.kind = kind
        self.deadline = deadline  # time.monotonic() value, or math.inf
        self.caller = caller
        self.meta = meta if meta is not None else {}
        self.topic = topic
        self._emit = emit
        self._flag = threading.Event()
        self.reason: PlexusError | None = None

    @property
    def remaining(self) -> float:
        """Seconds left before the deadline (never negative; `math.inf` with no deadline)."""
        if self.deadline == math.inf:
            return math.inf
        return max(0.0, self.deadline - time.monotonic())

    @property
    def cancelled(self) -> bool:
        """True once the call was cancelled, timed out or lost its link."""
        return self._flag.is_set()

    def wait(self, seconds: float) -> bool:
        """Sleeps up to `seconds`; True (early) once the call is cancelled or out of budget."""
        return self._flag.wait(min(seconds, self.remaining)) or self.remaining <= 0

    def check(self) -> None:
        """Raises the cancellation reason (CANCELLED, TIMEOUT, UNAVAILABLE) if there is one."""
        if self.reason is not None:
            raise self.reason
        if self.remaining <= 0:
            raise PlexusError("TIMEOUT", f"'{self.address}' ran out of budget")

    def emit(self, topic: str, payload: Any = None, meta: dict | None = None) -> None:
        """Publishes an event through the kernel (an EVENT envelope on the link)."""
        if self._emit is None:
            raise PlexusError("UNAVAILABLE", "This context has no link to emit on")
        self._emit(topic, payload, meta)

    def _cancel(self, reason: PlexusError) -> None:
        if self.reason is None:
            self.reason = reason
        self._flag.set()
