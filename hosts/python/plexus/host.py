"""A service host: dials a kernel over TCP, says HELLO with its manifests, serves, reconnects."""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit

from . import codec
from .errors import PlexusError
from .frames import DEFAULT_MAX_FRAME_SIZE
from .link import Link
from .router import Router
from .service import Service


@dataclass
class Backoff:
    """Reconnect delays: `initial` doubling up to `maximum`, each drawn at random from its upper
    half (jitter, so that hosts dropped together do not dial back together)."""
    initial: float = 0.1
    maximum: float = 5.0

    def delay(self, attempt: int) -> float:
        ceiling = min(self.maximum, self.initial * (2 ** min(attempt, 30)))
        return random.uniform(ceiling / 2, ceiling)


def parse_url(url: str) -> tuple[str, int]:
    """`tcp://host:port` -> (host, port)."""
    parts = urlsplit(url)
    if parts.scheme != "tcp" or not parts.hostname or parts.port is None:
        raise ValueError(f"Expected tcp://host:port, got {url!r}")
    return parts.hostname, parts.port


class Host:
    """Offers `services` to the kernel at `url` (`tcp://host:port`).

    `serve_forever()` blocks; `start()` runs it on a thread; `stop()` ends it. With `reconnect`
    (the default) a dropped link is dialled again after a jittered backoff, reset once a
    handshake succeeds and the kernel does not refuse the host with ERROR id 0."""

    def __init__(self, url: str, services: list[Service], *, token: str | None = None,
                 name: str | None = None, reconnect: bool = True, backoff: Backoff | None = None,
                 hello_timeout: float = 5.0, connect_timeout: float = 5.0, workers: int = 32,
                 max_frame_size: int = DEFAULT_MAX_FRAME_SIZE, side: str = "acceptor",
                 logger: logging.Logger | None = None) -> None:
        if side not in ("initiator", "acceptor"):
            raise ValueError(f"side must be 'initiator' or 'acceptor', got {side!r}")
        self.address = parse_url(url)
        self.url = url
        self.router = Router(services)
        self.token = token
        self.name = name or f"python {socket.gethostname()} pid {os.getpid()}"
        self.reconnect = reconnect
        self.backoff = backoff or Backoff()
        self.hello_timeout = hello_timeout
        self.connect_timeout = connect_timeout
        self.workers = workers
        self.max_frame_size = max_frame_size
        self.side = side
        self.log = logger or logging.getLogger("plexus.host")
        self.ready = threading.Event()  # set while a handshake-complete link is up
        self.connections = 0  # handshakes completed, over the host's life
        self.on_ready: Callable[[Link], None] | None = None
        self._stopping = threading.Event()
        self._link: Link | None = None
        self._thread: threading.Thread | None = None

    def hello(self) -> dict:
        """The HELLO this host sends: its manifests, and the credential when one is set."""
        hello = {"t": codec.HELLO, "versions": list(codec.SUPPORTED_VERSIONS), "role": "host",
                 "services": [s.manifest() for s in self.router.services.values()],
                 "name": self.name}
        if self.token is not None:
            hello["token"] = self.token
        return hello

    @property
    def link(self) -> Link | None:
        """The current link, if connected."""
        return self._link

    def serve_forever(self) -> None:
        """Connects and serves until `stop()` (or the first drop, without `reconnect`)."""
        attempt = 0
        while not self._stopping.is_set():
            reason, served = self._serve_once()
            if served:
                attempt = 0
            if self._stopping.is_set() or not self.reconnect:
                return
            delay = self.backoff.delay(attempt)
            attempt += 1
            self.log.info("Link to %s down (%s); dialling again in %.2f s", self.url,
                          reason.message, delay)
            self._stopping.wait(delay)

    def start(self) -> "Host":
        """Runs `serve_forever` on a daemon thread."""
        self._thread = threading.Thread(target=self.serve_forever, name="plexus-host", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> None:
        """Stops serving: the link closes, handlers still running see `ctx.cancelled`."""
        self._stopping.set()
        link = self._link
        if link is not None:
            link.close(PlexusError("UNAVAILABLE", "The host is stopping", {"reason": "stopping"},
                                   retryable=True), flush=True)
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def join(self, timeout: float | None = None) -> bool:
        """Waits for the thread `start()` made; True while it still runs."""
        if self._thread is None:
            return False
        self._thread.join(timeout)
        return self._thread.is_alive()

    def _serve_once(self) -> tuple[PlexusError, bool]:
        """One connection, served to its end: why it ended, and whether it served (handshake
        passed and the kernel did not refuse the host)."""
        try:
            sock = socket.create_connection(self.address, timeout=self.connect_timeout)
        except OSError as error:
            return PlexusError("UNAVAILABLE", f"Cannot connect to {self.url}: {error}",
                               retryable=True), False
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        ok = threading.Event()

        def ready(peer: dict) -> None:
            ok.set()
            self.connections += 1
            self.ready.set()
            self.log.info("Serving %s to %s (peer %s)", ", ".join(self.router.services),
                          self.url, peer.get("name", "?"))
            if self.on_ready is not None:
                self.on_ready(link)

        link = Link(sock, self.router, self.hello(), side=self.side,
                    hello_timeout=self.hello_timeout, max_frame_size=self.max_frame_size,
                    workers=self.workers, logger=self.log, on_ready=ready)
        self._link = link
        if self._stopping.is_set():  # stop() ran while we dialled
            link.close(PlexusError("UNAVAILABLE", "The host is stopping", retryable=True))
        try:
            reason = link.run()
        finally:
            self.ready.clear()
            self._link = None
        # Only a link the kernel did not refuse resets the backoff: a kernel that accepts the
        # HELLO and then sends ERROR id 0 (a bad token, a clashing manifest) is not hammered.
        return reason, ok.is_set() and not link.refused_by_peer
