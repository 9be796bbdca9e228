"""One connected link to a kernel: handshake, then every envelope the kernel may send."""

from __future__ import annotations

import logging
import math
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from . import codec
from .context import Context
from .deadlines import Deadlines
from .errors import PlexusError, protocol_error
from .exchange import Exchange
from .frames import DEFAULT_MAX_FRAME_SIZE, FrameDecoder
from .json_section import DEFAULT_MAX_DEPTH
from .router import Router, Target
from .writer import FrameWriter


def unavailable(message: str, reason: str) -> PlexusError:
    return PlexusError("UNAVAILABLE", message, {"reason": reason}, retryable=True)


class Link:
    """Serves the kernel over one socket until it closes; `run()` blocks and returns why.

    The calling thread reads and dispatches; PING is answered from it at once, ahead of any
    queued work; handlers run on a thread pool; one thread writes."""

    def __init__(self, sock: socket.socket, router: Router, hello: dict, *, side: str = "acceptor",
                 hello_timeout: float = 5.0, max_frame_size: int = DEFAULT_MAX_FRAME_SIZE,
                 max_depth: int = DEFAULT_MAX_DEPTH, workers: int = 32,
                 logger: logging.Logger | None = None,
                 on_ready: Callable[[dict], None] | None = None) -> None:
        self._sock = sock
        self._router = router
        self._ours_odd = side == "initiator"
        self._hello_timeout = hello_timeout
        self._max_depth = max_depth
        self._log = logger or logging.getLogger("plexus.host")
        self._on_ready = on_ready
        self._decoder = FrameDecoder(max_frame_size)
        self._writer = FrameWriter(sock, self._write_failed, max_frame_size)
        self._deadlines = Deadlines()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="plexus-handler")
        self._lock = threading.Lock()
        self._inbound: dict[int, Exchange] = {}
        self._sends: set[Context] = set()
        self.peer: dict | None = None
        self.version: int | None = None
        self.refused = 0
        self.refused_by_peer = False
        self.closed: PlexusError | None = None
        self._writer.write(hello)  # §5.1: at once, without waiting for the peer

    # ---- the read loop ----
    def run(self) -> PlexusError:
        """Reads until the link closes; returns the reason."""
        give_up = time.monotonic() + self._hello_timeout
        while self.closed is None:
            try:
                self._sock.settimeout(None if self.peer else max(0.001, give_up - time.monotonic()))
                chunk = self._sock.recv(1 << 16)
            except socket.timeout:
                if self.peer is None and time.monotonic() >= give_up:
                    self.close(unavailable(f"No HELLO from the kernel within {self._hello_timeout} s",
                                           "handshake-timeout"))
                continue
            except OSError as error:
                self.close(unavailable(f"Link lost: {error}", "link-lost"))
                break
            if not chunk:
                try:
                    self._decoder.end()
                except PlexusError as error:
                    self._count(error)
                self.close(unavailable("The kernel closed the link", "closed"))
                break
            received_at = time.monotonic()
            try:
                bodies = self._decoder.push(chunk)
            except PlexusError as error:  # framing error: nothing after it can be trusted
                self._count(error)
                self.close(unavailable(f"Link broken: {error.message}", "framing"))
                break
            for body in bodies:
                if self.closed is not None:
                    break
                try:
                    envelope = codec.decode_envelope(body, self._max_depth)
                except PlexusError as error:
                    self._violation(error)
                    continue
                try:
                    self._dispatch(envelope, received_at)
                except Exception:  # a bug here must not take the link down
                    self._log.exception("Envelope handling failed (t=%s)", envelope.get("t"))
        return self.closed  # type: ignore[return-value]

    # ---- for exchanges ----
    def write(self, envelope: dict, urgent: bool = False) -> int:
        """Queues an envelope; raises PROTOCOL if it cannot be encoded or is too large."""
        return self._writer.write(envelope, urgent)

    def settle(self, rid: int) -> None:
        with self._lock:
            self._inbound.pop(rid, None)

    def emit(self, topic: str, payload: Any = None, meta: dict | None = None) -> None:
        """Publishes an event to the kernel (EVENT; the kernel routes it)."""
        envelope: dict = {"t": codec.EVENT, "delivery": "balanced", "topic": topic}
        if payload is not None:
            envelope["payload"] = payload
        if meta is not None:
            envelope["meta"] = meta
        self.write(envelope)

    @property
    def pending(self) -> int:
        """Calls and streams of the kernel's still being served."""
        return len(self._inbound)

    def close(self, reason: PlexusError, flush: bool = False) -> None:
        """Ends the link: every handler still running is cancelled with `reason`, no answers."""
        with self._lock:
            if self.closed is not None:
                return
            self.closed = reason
            inbound = list(self._inbound.values())
            sends = list(self._sends)
            self._inbound.clear()
        for ex in inbound:
            ex.cancel(reason)
        for ctx in sends:
            ctx._cancel(reason)
        self._writer.close(flush=flush)
        self._deadlines.close()
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()
        self._pool.shutdown(wait=False, cancel_futures=True)

    # ---- dispatch ----
    def _dispatch(self, e: dict, received_at: float) -> None:
        t = e["t"]
        if self.peer is None:
            return self._handshake(e)
        if t == codec.PING:
            self.write({"t": codec.PONG, "seq": e["seq"]}, urgent=True)
        elif t == codec.REQUEST:
            self._request(e, received_at)
        elif t == codec.CANCEL:
            ex = self._inbound.get(e["id"])
            if ex is not None:
                ex.cancel(PlexusError("CANCELLED", f"Peer cancelled: {e.get('reason', 'no reason')}"))
        elif t == codec.CREDIT:
            ex = None if self._is_ours(e["id"]) else self._inbound.get(e["id"])
            if ex is not None:
                ex.grant(e["n"])
        elif t == codec.EVENT:
            self._event(e)
        elif t == codec.ERROR and e["id"] == 0:
            self.refused_by_peer = True  # e.g. a token refused: dialling again at once won't help
            self.close(PlexusError.from_json(e["error"]))
        elif t == codec.HELLO:
            self._violation(protocol_error("handshake", "A second HELLO on an open link"))
        # RESPONSE, ERROR, STREAM_ITEM, STREAM_END name requests of ours, and this host sends
        # none; CHANNEL_* name channels, which it never accepts; PONG answers a PING it never
        # sends. §4: an envelope for no open exchange is dropped without reply.

    def _handshake(self, e: dict) -> None:
        if e["t"] != codec.HELLO:
            return self._refuse_link(protocol_error(
                "handshake", f"Expected HELLO (t=1) as the first envelope on the link, got t={e['t']}",
                t=e["t"]))
        common = [v for v in e["versions"] if v in codec.SUPPORTED_VERSIONS]
        if not common:
            return self._refuse_link(protocol_error(
                "handshake",
                f"No common protocol version: the peer speaks {', '.join(map(str, e['versions']))}; "
                f"this side speaks {', '.join(map(str, codec.SUPPORTED_VERSIONS))}",
                seen=e["versions"], supported=list(codec.SUPPORTED_VERSIONS)))
        if e["role"] != "kernel":
            self._log.warning("The peer says it is a %r, not a kernel", e["role"])
        self.version, self.peer = max(common), e
        self._sock.settimeout(None)
        if self._on_ready is not None:
            self._on_ready(e)

    def _refuse_link(self, error: PlexusError) -> None:
        self._count(error)
        try:
            self.write({"t": codec.ERROR, "id": 0, "error": error.to_json()})
        finally:
            self.close(error, flush=True)

    def _request(self, e: dict, received_at: float) -> None:
        rid, kind = e["id"], e["kind"]
        if kind != "send" and (rid == 0 or self._is_ours(rid) or rid in self._inbound):
            error = protocol_error("shape", f"REQUEST id {rid} is not a free id of the peer "
                                   f"(this host uses {'odd' if self._ours_odd else 'even'} ids)", id=rid)
            if rid in self._inbound:
                return self._violation(error)
            self._count(error)  # answered, though §11 would drop it: the caller learns why at once
            if rid != 0:
                self.write({"t": codec.ERROR, "id": rid, "error": error.to_json()})
            return
        budget = e["deadline"]
        # 0xffffffff means "no deadline" (isolation.md); any other value is a budget in ms (§6).
        deadline = math.inf if budget == codec.MAX_U32 else received_at + budget / 1000
        target = self._router.resolve(e)
        if isinstance(target, PlexusError):
            return self._answer_error(e, target)
        if budget == 0:
            return self._answer_error(e, PlexusError(
                "TIMEOUT", f"'{e['address']}' arrived with no budget left", {"address": e["address"]}))
        ctx = Context(service=target.service, name=target.name, address=e["address"], kind=kind,
                      deadline=deadline, caller=e.get("caller"), meta=e.get("meta"),
                      topic=target.topic, emit=self.emit)
        if kind == "send":
            with self._lock:
                self._sends.add(ctx)
            self._deadlines.watch(deadline, lambda: ctx.cancelled, lambda: ctx._cancel(
                PlexusError("TIMEOUT", f"'{e['address']}' ran out of its budget on the host")))
            self._submit(self._run_send, target, ctx)
            return
        ex = Exchange(self, e, ctx)
        with self._lock:
            self._inbound[rid] = ex
        self._deadlines.watch(deadline, lambda: ex.ended, ex.expire)
        self._submit(ex.run, target)

    def _event(self, e: dict) -> None:
        for target in self._router.subscribers(e["topic"], e.get("payload")):
            ctx = Context(service=target.service, name=target.name, address=f"{target.service}.$event",
                          kind="event", deadline=math.inf, meta=e.get("meta"), topic=e["topic"],
                          emit=self.emit)
            self._submit(self._run_event, target, ctx)

    # ---- handlers (on the pool) ----
    def _submit(self, fn: Callable[..., None], *args: Any) -> None:
        try:
            self._pool.submit(fn, *args)
        except RuntimeError:  # the pool shut down: the link is closing
            pass

    def _run_send(self, target: Target, ctx: Context) -> None:
        try:
            if not ctx.cancelled:
                target.invoke(ctx)
        except Exception as error:  # a send has no answer, not even an error (§7)
            self._log.debug("send to %s failed: %s", ctx.address, error)
        finally:
            with self._lock:
                self._sends.discard(ctx)

    def _run_event(self, target: Target, ctx: Context) -> None:
        try:
            target.invoke(ctx)
        except Exception as error:
            self._log.warning("Event handler %s for %r failed: %s", target.name, ctx.topic, error)

    # ---- violations ----
    def _is_ours(self, rid: int) -> bool:
        return rid != 0 and (rid % 2 == 1) == self._ours_odd

    def _answer_error(self, e: dict, error: PlexusError) -> None:
        if e["kind"] != "send":
            self.write({"t": codec.ERROR, "id": e["id"], "error": error.to_json()})

    def _violation(self, error: PlexusError) -> None:
        """§11: count, log (capped), and end the exchange the envelope names, if any."""
        self._count(error)
        rid = error.data.get("id") if isinstance(error.data, dict) else None
        if not rid or self._is_ours(rid):
            return  # about the link or about a request of ours (this host has none open)
        ex = self._inbound.get(rid)
        if ex is not None:
            ex.ctx._cancel(error)
            ex.fail(error)
        else:
            self.write({"t": codec.ERROR, "id": rid, "error": error.to_json()})

    def _count(self, error: PlexusError) -> None:
        self.refused += 1
        if self.refused <= 10 or self.refused % 1000 == 0:
            self._log.warning("Refused from the kernel (%d so far): %s %s", self.refused,
                              error.message, error.data)

    def _write_failed(self, error: BaseException) -> None:
        threading.Thread(target=self.close, args=(unavailable(f"Write failed: {error}", "link-lost"),),
                         daemon=True).start()
