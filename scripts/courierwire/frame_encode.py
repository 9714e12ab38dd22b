"""Message headers (§3 v1, §4 v2) and batches: message dicts -> bytes."""

from __future__ import annotations

from .body_encode import _check_u32, _u64s, encode_body
from .constants import (
    ACK_REQUESTED, FLAG_BITS, FLAG_NAMES, HAS_LENGTH, HAS_SEQUENCE, HAS_SESSION,
    HAS_TIMESTAMP, MAGIC, TYPE_CODES, allowed_flags, compact_type,
)
from .primitives import Writer


def _flag_bits(names) -> int:
    bits = 0
    for n in names:
        if n not in FLAG_BITS:
            raise ValueError(f"unknown flag {n!r}")
        bits |= FLAG_BITS[n]
    if list(names) != [n for n in FLAG_NAMES if bits & FLAG_BITS[n]]:
        raise ValueError(f"flags must be listed once each in bit order: {names!r}")
    return bits


def _flags_text(byte: int) -> str:
    names = [n.upper() for n in FLAG_NAMES if byte & FLAG_BITS[n]]
    names += [n for b, n in ((HAS_TIMESTAMP, "HAS_TIMESTAMP"), (HAS_SEQUENCE, "HAS_SEQUENCE"),
                             (HAS_SESSION, "HAS_SESSION"), (HAS_LENGTH, "HAS_LENGTH")) if byte & b]
    return f"0x{byte:02x}" + (" = " + " | ".join(names) if names else " (none)")


def encode_message(msg: dict, version: int, trace: list | None = None) -> bytes:
    """Encode one message dict (JSON shape) as a complete v1 or v2 message.

    If ``trace`` is a list, ``(offset, bytes, field, value)`` tuples describing
    every field are appended to it (offsets relative to the message start).
    """
    name = msg["type"]
    code = TYPE_CODES[name]
    if msg.get("type_code", code) != code:
        raise ValueError(f"type_code {msg['type_code']} does not match {name}")
    flags = _flag_bits(msg["flags"])
    if flags & ~allowed_flags(code):
        raise ValueError(f"flags {msg['flags']} not allowed on {name}")
    ack = bool(flags & ACK_REQUESTED)

    bw = Writer(version, trace is not None)
    encode_body(bw, name, msg["body"], flags)
    body = bw.getvalue()

    hw = Writer(version, trace is not None)
    if version == 1:
        if "has_length" in msg:
            raise ValueError("has_length is v2 only")
        if ("sequence" in msg) != ack:
            raise ValueError("v1: sequence must be present iff ack_requested")
        seq = msg.get("sequence", 0)
        _check_u32("sequence", seq)
        if ack and seq == 0:
            raise ValueError("reliable message with sequence 0")
        hw.u16(MAGIC, "magic", "0xc0d1")
        hw.u8(1, "version")
        hw.u8(flags, "flags", _flags_text(flags))
        hw.u16(code, "type", f"0x{code:04x} ({name})")
        hw.u64(_u64s(msg["session_id"]), "session id")
        hw.u32(seq, "sequence")
        hw.u64(_u64s(msg["timestamp"]), "timestamp")
        hw.u32(len(body), "payload length")
    else:
        byte = flags
        if "session_id" in msg:
            byte |= HAS_SESSION
        if "sequence" in msg:
            if not ack:
                raise ValueError("v2: explicit sequence without ack_requested")
            _check_u32("sequence", msg["sequence"])
            if msg["sequence"] == 0:
                raise ValueError("reliable message with sequence 0")
            byte |= HAS_SEQUENCE
        if "timestamp" in msg:
            byte |= HAS_TIMESTAMP
        has_length = msg["has_length"]
        if not isinstance(has_length, bool):
            raise ValueError("v2: has_length must be a boolean")
        if has_length:
            byte |= HAS_LENGTH
        ct = compact_type(code)
        hw.u8(byte, "flags", _flags_text(byte))
        hw.u8(ct, "compact type", f"0x{ct:02x} = {name} (0x{code:04x})")
        if "session_id" in msg:
            hw.u64(_u64s(msg["session_id"]), "session id")
        if "sequence" in msg:
            hw.varint(msg["sequence"], "sequence")
        if "timestamp" in msg:
            hw.varint(_u64s(msg["timestamp"]), "timestamp")
        if has_length:
            hw.varint(len(body), "body length")
    header = hw.getvalue()
    if trace is not None:
        trace.extend(hw.trace)
        trace.extend((off + len(header), b, f, v) for off, b, f, v in bw.trace)
    return header + body


def encode_frame(messages: list, version: int, trace: list | None = None) -> bytes:
    """Encode a batch.  In v2 only the last message may lack has_length."""
    if not messages:
        raise ValueError("a frame holds at least one message")
    out = bytearray()
    for i, m in enumerate(messages):
        if version == 2 and not m["has_length"] and i != len(messages) - 1:
            raise ValueError("v2: a message without has_length must be last in its batch")
        t = [] if trace is not None else None
        enc = encode_message(m, version, t)
        if trace is not None:
            trace.extend((off + len(out), b, f, v, i) for off, b, f, v in t)
        out += enc
    return bytes(out)
