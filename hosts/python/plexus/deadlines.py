"""One timer thread per link for every request's deadline (no timer per call)."""

from __future__ import annotations

import heapq
import itertools
import math
import threading
import time
from typing import Callable


class Deadlines:
    """Runs `on_expiry()` for each watched entry whose deadline passes before it is done."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Callable[[], bool], Callable[[], None]]] = []
        self._seq = itertools.count()
        self._cv = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="plexus-deadlines", daemon=True)
        self._thread.start()

    def watch(self, deadline: float, done: Callable[[], bool], on_expiry: Callable[[], None]) -> None:
        """Watches `deadline` (a time.monotonic() value); `done()` true means nothing to do."""
        if deadline == math.inf:
            return
        with self._cv:
            heapq.heappush(self._heap, (deadline, next(self._seq), done, on_expiry))
            if self._heap[0][0] == deadline:
                self._cv.notify()

    def close(self) -> None:
        with self._cv:
            self._closed = True
            self._heap.clear()
            self._cv.notify()

    def _run(self) -> None:
        while True:
            with self._cv:
                if self._closed:
                    return
                if not self._heap:
                    self._cv.wait()
                    continue
                wait = self._heap[0][0] - time.monotonic()
                if wait > 0:
                    self._cv.wait(wait)
                    continue
                _, _, done, on_expiry = heapq.heappop(self._heap)
            if not done():
                on_expiry()
