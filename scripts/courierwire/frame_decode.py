"""Message headers (§3 v1, §4 v2) and frames: bytes -> message dicts, §8 errors."""

from __future__ import annotations

from .body_decode import _dec_body
from .constants import (
    ACK_REQUESTED, DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_MAX_MESSAGES_PER_FRAME, FLAG_BITS,
    FLAG_NAMES, HAS_LENGTH, HAS_SEQUENCE, HAS_SESSION, HAS_TIMESTAMP, MAGIC, TYPES,
    U32_MAX, V1_HEADER_LEN, allowed_flags, expand_compact_type,
)
from .errors import WireError
from .primitives import Reader, read_varint


def _flag_names(flags: int) -> list:
    return [n for n in FLAG_NAMES if flags & FLAG_BITS[n]]


def _decode_v1(data: bytes, pos: int, max_message_bytes: int):
    end = len(data)
    if end - pos < V1_HEADER_LEN:
        raise WireError("truncated_header", pos)
    if int.from_bytes(data[pos:pos + 2], "big") != MAGIC:
        raise WireError("bad_magic", pos)
    if data[pos + 2] != 1:
        raise WireError("unsupported_version", pos + 2)
    flags = data[pos + 3]
    if flags & 0xF0:
        raise WireError("flag_not_allowed", pos + 3, "reserved bit")
    code = int.from_bytes(data[pos + 4:pos + 6], "big")
    if code not in TYPES:
        raise WireError("unknown_message_type", pos + 4, f"0x{code:04x}")
    if flags & ~allowed_flags(code):
        raise WireError("flag_not_allowed", pos + 3)
    session = int.from_bytes(data[pos + 6:pos + 14], "big")
    seq = int.from_bytes(data[pos + 14:pos + 18], "big")
    ack = bool(flags & ACK_REQUESTED)
    if ack != (seq != 0):
        raise WireError("invalid_value", pos + 14, "sequence rule")
    ts = int.from_bytes(data[pos + 18:pos + 26], "big")
    length = int.from_bytes(data[pos + 26:pos + 30], "big")
    if length > max_message_bytes:
        raise WireError("payload_too_large", pos + 26)
    body_start = pos + V1_HEADER_LEN
    if length > end - body_start:
        raise WireError("truncated_payload", body_start)
    body = _dec_body(Reader(data, body_start, body_start + length, 1), code, flags)
    msg = {"type": TYPES[code], "type_code": code, "flags": _flag_names(flags),
           "session_id": str(session)}
    if ack:
        msg["sequence"] = seq
    msg["timestamp"] = str(ts)
    msg["body"] = body
    return msg, body_start + length


def _decode_v2(data: bytes, pos: int, max_message_bytes: int):
    end = len(data)
    start = pos
    if end - pos < 2:
        raise WireError("truncated_header", start)
    flags = data[pos]
    compact = data[pos + 1]
    code = expand_compact_type(compact) if compact < 0xC0 else None
    if code not in TYPES:
        raise WireError("unknown_message_type", pos + 1,
                        f"compact 0x{compact:02x}")
    if flags & 0x0F & ~allowed_flags(code):
        raise WireError("flag_not_allowed", start)
    if flags & HAS_SEQUENCE and not flags & ACK_REQUESTED:
        raise WireError("flag_not_allowed", start, "HAS_SEQUENCE without ACK_REQUESTED")
    p = pos + 2

    def varint_field():
        nonlocal p
        r = read_varint(data, p, end)
        if r is None:
            raise WireError("truncated_header", start)
        v, p = r
        return v

    msg = {"type": TYPES[code], "type_code": code, "flags": _flag_names(flags)}
    if flags & HAS_SESSION:
        if end - p < 8:
            raise WireError("truncated_header", start)
        msg["session_id"] = str(int.from_bytes(data[p:p + 8], "big"))
        p += 8
    if flags & HAS_SEQUENCE:
        soff = p
        seq = varint_field()
        if seq > U32_MAX:
            raise WireError("invalid_varint", soff, "sequence above 2^32-1")
        if seq == 0:
            raise WireError("invalid_value", soff, "explicit sequence 0")
        msg["sequence"] = seq
    if flags & HAS_TIMESTAMP:
        msg["timestamp"] = str(varint_field())
    if flags & HAS_LENGTH:
        loff = p
        length = varint_field()
        if length > max_message_bytes:
            raise WireError("payload_too_large", loff)
        if length > end - p:
            raise WireError("truncated_payload", p)
    else:
        length = end - p
        if length > max_message_bytes:
            raise WireError("payload_too_large", p)
    msg["has_length"] = bool(flags & HAS_LENGTH)
    msg["body"] = _dec_body(Reader(data, p, p + length, 2), code, flags)
    return msg, p + length


def decode_message(data: bytes, pos: int, version: int,
                   max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES):
    """Decode the message starting at ``pos``; returns ``(msg, next_pos)``."""
    if version == 1:
        return _decode_v1(data, pos, max_message_bytes)
    if version == 2:
        return _decode_v2(data, pos, max_message_bytes)
    raise ValueError("version must be 1 or 2")


def decode_frame(data: bytes, version: int,
                 max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
                 max_messages_per_frame: int = DEFAULT_MAX_MESSAGES_PER_FRAME) -> list:
    """Decode a WebSocket message holding one or more Courier messages."""
    data = bytes(data)
    if not data:
        raise WireError("empty_frame", 0)
    messages = []
    pos = 0
    while pos < len(data):
        if len(messages) >= max_messages_per_frame:
            raise WireError("too_many_messages", pos)
        msg, pos = decode_message(data, pos, version, max_message_bytes)
        messages.append(msg)
    return messages
