"""Independent Python implementation of the Courier wire encoding.

Written from docs/PROTOCOL.md (sections 2-8) alone, without reading the Swift
sources, so that the shared test vectors in Tests/Vectors/wire-vectors.json are a
real cross-check of the Swift implementation.  Standard library only.

Messages are plain dicts in exactly the JSON shape of the test vectors (see
Tests/Vectors/README.md): ``{"type", "type_code", "flags", "session_id",
"sequence", "timestamp", "has_length", "body"}``, u64 values as decimal
strings, byte strings as lowercase hex.

Modules
-------
constants     §2-§7 constants, type codes, compact types, allowed flags
errors        §8 error ids and WireError
primitives    varints, Writer (field encoder), Reader (field decoder)
body_encode   §7 bodies -> bytes          body_decode   bytes -> §7 bodies
frame_encode  headers and batches -> bytes
frame_decode  bytes -> headers and messages (decode_message, decode_frame)
cli           the ``decode``/``encode`` command line of scripts/wirevectors.py

Public API
----------
encode_message(msg, version, trace=None) -> bytes
encode_frame(messages, version, trace=None) -> bytes
decode_message(data, pos, version, max_message_bytes=...) -> (msg, next_pos)
decode_frame(data, version, max_message_bytes=..., max_messages_per_frame=...) -> [msg]
WireError(error, offset)   -- ``error`` is the §8 id, ``offset`` from frame start
"""

from .constants import *  # noqa: F401,F403  (MAGIC, HAS_*, limits, TYPES, ...)
from .constants import (  # noqa: F401
    DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_MAX_MESSAGES_PER_FRAME, TYPE_CODES, TYPES,
    allowed_flags, compact_type, expand_compact_type,
)
from .errors import ERROR_IDS, WireError  # noqa: F401
from .primitives import Reader, Writer, encode_varint, read_varint  # noqa: F401
from .body_encode import _enc_route, encode_body  # noqa: F401
from .body_decode import _dec_body  # noqa: F401
from .frame_encode import encode_frame, encode_message  # noqa: F401
from .frame_decode import decode_frame, decode_message  # noqa: F401

__all__ = [
    "WireError", "Writer", "encode_varint", "read_varint",
    "encode_message", "encode_frame", "encode_body",
    "decode_message", "decode_frame",
    "TYPES", "TYPE_CODES", "compact_type", "expand_compact_type",
    "DEFAULT_MAX_MESSAGE_BYTES", "DEFAULT_MAX_MESSAGES_PER_FRAME",
]
