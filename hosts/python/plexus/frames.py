"""Length-prefixed framing for byte streams (protocol.md §1)."""

from __future__ import annotations

from .errors import PlexusError, protocol_error

DEFAULT_MAX_FRAME_SIZE = 16 * 1024 * 1024
HEADER = 4


class FrameDecoder:
    """Splits a byte stream into frame bodies, chunks split and joined arbitrarily.

    A declared length over `max_frame_size` is refused from its 4 bytes, before anything is
    buffered for it. After the first error the decoder stays failed: the stream is out of step
    and its owner must close the link."""

    def __init__(self, max_frame_size: int = DEFAULT_MAX_FRAME_SIZE) -> None:
        self.max_frame_size = max_frame_size
        self._buffer = bytearray()
        self.error: PlexusError | None = None

    @property
    def buffered_bytes(self) -> int:
        return len(self._buffer)

    def push(self, chunk: bytes) -> list[bytes]:
        """The frame bodies `chunk` completes, in order; raises PROTOCOL on a framing error."""
        if self.error is not None:
            raise self.error
        buf = self._buffer
        buf += chunk
        frames: list[bytes] = []
        offset = 0
        while len(buf) - offset >= HEADER:
            size = int.from_bytes(buf[offset:offset + HEADER], "big")
            if size > self.max_frame_size:
                self._buffer = bytearray()
                self.error = protocol_error(
                    "frame-too-large", f"Frame declares {size} bytes; the limit is {self.max_frame_size}",
                    size=size, maxFrameSize=self.max_frame_size)
                raise self.error
            if len(buf) - offset - HEADER < size:
                break
            start = offset + HEADER
            frames.append(bytes(buf[start:start + size]))
            offset = start + size
        if offset:
            del buf[:offset]
        return frames

    def end(self) -> None:
        """The stream ended; bytes of an unfinished header or frame are `truncated`."""
        if self.error is not None:
            raise self.error
        if self._buffer:
            left = len(self._buffer)
            self._buffer = bytearray()
            self.error = protocol_error("truncated", f"Stream ended inside a frame: {left} bytes left",
                                        buffered=left)
            raise self.error
