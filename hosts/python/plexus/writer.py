"""The sending half of a link: frames queued by any thread, written by one, coalesced."""

from __future__ import annotations

import socket
import threading
from collections import deque
from typing import Callable

from . import codec
from .errors import protocol_error
from .frames import DEFAULT_MAX_FRAME_SIZE

# protocol.md §1: coalesce what is queued, but write at most this many frames at once.
BATCH_FRAMES = 16


class FrameWriter:
    """Encodes in the caller's thread (so an unsendable value fails that caller), then queues.

    One thread drains the queue, up to BATCH_FRAMES frames per `sendall`. Urgent frames (PONG)
    go to the head of the queue, ahead of answers already waiting."""

    def __init__(self, sock: socket.socket, on_error: Callable[[BaseException], None],
                 max_frame_size: int = DEFAULT_MAX_FRAME_SIZE) -> None:
        self._sock = sock
        self._on_error = on_error
        self._max = max_frame_size
        self._queue: deque[bytes] = deque()
        self._cv = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="plexus-writer", daemon=True)
        self._thread.start()

    def write(self, envelope: dict, urgent: bool = False) -> int:
        """Queues one envelope; returns its frame size (0 once closed). Raises PROTOCOL when the
        envelope cannot be encoded or is larger than the peer's maximum frame size."""
        body = codec.encode_envelope(envelope)
        if len(body) > self._max:
            raise protocol_error("frame-too-large",
                                 f"Envelope of {len(body)} bytes is over the limit of {self._max}",
                                 size=len(body), maxFrameSize=self._max)
        frame = len(body).to_bytes(4, "big") + body
        with self._cv:
            if self._closed:
                return 0
            if urgent:
                self._queue.appendleft(frame)
            else:
                self._queue.append(frame)
            self._cv.notify()
        return len(frame)

    def close(self, flush: bool = False, timeout: float = 1.0) -> None:
        """Stops writing; with `flush`, what is queued is written first (bounded by `timeout`)."""
        with self._cv:
            if not flush:
                self._queue.clear()
            self._closed = True
            self._cv.notify()
        if flush and threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            with self._cv:
                while not self._queue and not self._closed:
                    self._cv.wait()
                if not self._queue:
                    return
                batch = [self._queue.popleft() for _ in range(min(BATCH_FRAMES, len(self._queue)))]
            try:
                self._sock.sendall(b"".join(batch))
            except OSError as error:
                with self._cv:
                    self._queue.clear()
                    self._closed = True
                self._on_error(error)
                return
