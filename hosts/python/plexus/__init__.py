"""Plexus service host for Python (standard library only); docs/protocol.md is the spec."""

from .codec import (DEFAULT_INITIAL_CREDIT, PROTOCOL_VERSION, SUPPORTED_VERSIONS, decode_envelope,
                    encode_envelope, encode_frame)
from .context import Context
from .errors import PROTOCOL_REASONS, PlexusError, protocol_error
from .frames import FrameDecoder
from .host import Backoff, Host
from .service import Service
from .topic import topic_matches

__all__ = [
    "Backoff", "Context", "DEFAULT_INITIAL_CREDIT", "FrameDecoder", "Host", "PROTOCOL_REASONS",
    "PROTOCOL_VERSION", "PlexusError", "SUPPORTED_VERSIONS", "Service", "decode_envelope",
    "encode_envelope", "encode_frame", "protocol_error", "topic_matches",
]
