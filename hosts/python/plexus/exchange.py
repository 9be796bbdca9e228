"""The responder's side of one REQUEST: answered at most once, streamed within its credit."""

from __future__ import annotations

import threading
from collections import deque
from typing import TYPE_CHECKING, Any, Iterable

from . import codec
from .context import Context
from .errors import PlexusError, to_plexus_error

if TYPE_CHECKING:
    from .link import Link
    from .router import Target

# protocol.md §7 "Bytes": what a producer may have sent and not seen consumed (one item may pass).
BYTE_BUDGET = 3 * 1024 * 1024


class Exchange:
    """One inbound `call` or `stream`. `cancel` (CANCEL, lost link) ends it with no answer;
    `expire` (deadline) ends it with TIMEOUT; either way a late result is dropped."""

    def __init__(self, link: "Link", request: dict, ctx: Context) -> None:
        self.link = link
        self.id: int = request["id"]
        self.kind: str = request["kind"]
        self.ctx = ctx
        self.ended = False
        self._cv = threading.Condition()
        self._credit: int = request.get("credit", codec.DEFAULT_INITIAL_CREDIT)
        self._sizes: deque[int] = deque()
        self._unacked = 0

    def run(self, target: "Target") -> None:
        """Runs the handler (on a pool thread) and answers with what it returns or raises."""
        if self.ended:  # cancelled or expired while queued: never started
            return
        try:
            result = target.invoke(self.ctx)
        except Exception as error:
            self.fail(error)
            return
        if self.kind != "stream":
            self.respond(result)
        elif not hasattr(result, "__iter__") or isinstance(result, (str, bytes, dict)):
            self.fail(PlexusError("HANDLER", f"Stream handler of '{self.ctx.address}' did not "
                                  "return an iterable of items"))
        else:
            self.pump(result)

    # -- answers --
    def respond(self, output: Any) -> None:
        """Answers a call with RESPONSE (or ERROR when the output cannot be sent); an output
        that comes after the deadline is TIMEOUT, as if the deadline had fired first."""
        if self.ctx.remaining <= 0:
            return self.expire()
        if not self._end():
            return
        envelope = {"t": codec.RESPONSE, "id": self.id}
        if output is not None:
            envelope["output"] = output
        try:
            self.link.write(envelope)
        except PlexusError as error:
            self._write_error(error)

    def fail(self, error: BaseException) -> None:
        """Answers with ERROR: a PlexusError keeps its code, anything else is HANDLER."""
        if self._end():
            self._write_error(to_plexus_error(error))

    def end_stream(self) -> None:
        if self._end():
            self.link.write({"t": codec.STREAM_END, "id": self.id})

    def cancel(self, reason: PlexusError) -> None:
        """The requester cancelled or the link is gone: stop, never answer (protocol.md §7)."""
        with self._cv:
            if self.ended:
                return
            self.ended = True
            self._cv.notify_all()
        self.ctx._cancel(reason)
        self.link.settle(self.id)

    def expire(self) -> None:
        """The budget ran out: answer TIMEOUT and abort the handler (protocol.md §6)."""
        reason = PlexusError("TIMEOUT", f"'{self.ctx.address}' ran out of its budget on the host",
                             {"address": self.ctx.address})
        # Claim the answer before waking the handler, so that what it returns is dropped.
        if self._end():
            self.ctx._cancel(reason)
            self._write_error(reason)

    # -- stream output --
    def grant(self, n: int) -> None:
        """CREDIT from the requester: `n` more items, and the `n` oldest count as consumed."""
        with self._cv:
            self._credit += n
            for _ in range(min(n, len(self._sizes))):
                self._unacked -= self._sizes.popleft()
            self._cv.notify_all()

    def pump(self, items: Iterable[Any]) -> None:
        """Sends the items as credit allows (pulling the next only once it may be sent), then
        STREAM_END; a raised exception becomes ERROR; a cancelled stream is closed quietly."""
        iterator = iter(items)
        try:
            while True:
                with self._cv:
                    while not self.ended and (self._credit <= 0 or self._unacked >= BYTE_BUDGET):
                        self._cv.wait()
                    if self.ended:
                        return
                try:
                    item = next(iterator)
                except StopIteration:
                    self.end_stream()
                    return
                with self._cv:
                    if self.ended:
                        return
                    self._credit -= 1
                    envelope = {"t": codec.STREAM_ITEM, "id": self.id, "item": item}
                    try:
                        size = self.link.write(envelope)
                    except PlexusError as error:
                        size = -1
                        failure = error
                    if size >= 0:
                        self._sizes.append(size)
                        self._unacked += size
                if size < 0:
                    self.fail(failure)
                    return
        except Exception as error:  # the generator raised
            self.fail(error)
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()  # a generator's `finally` runs: the stream's return()

    # -- internals --
    def _end(self) -> bool:
        """Marks the exchange ended; False if it already was (the answer is then dropped)."""
        with self._cv:
            if self.ended:
                return False
            self.ended = True
            self._cv.notify_all()
        self.link.settle(self.id)
        return True

    def _write_error(self, error: PlexusError) -> None:
        try:
            self.link.write({"t": codec.ERROR, "id": self.id, "error": error.to_json()})
        except PlexusError:
            # The error's own data could not be sent: keep code and message, drop the rest.
            plain = PlexusError(error.code, error.message, retryable=error.retryable)
            self.link.write({"t": codec.ERROR, "id": self.id, "error": plain.to_json()})
