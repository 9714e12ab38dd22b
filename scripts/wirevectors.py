#!/usr/bin/env python3
"""Independent Python implementation of the Courier wire encoding.

Written from docs/PROTOCOL.md (sections 2-8) alone, without reading the Swift
sources, so that the shared test vectors in Tests/Vectors/wire-vectors.json are a
real cross-check of the Swift implementation.  Standard library only.

Messages are plain dicts in exactly the JSON shape of the test vectors (see
Tests/Vectors/README.md): ``{"type", "type_code", "flags", "session_id",
"sequence", "timestamp", "has_length", "body"}``, u64 values as decimal
strings, byte strings as lowercase hex.

Public API
----------
encode_message(msg, version, trace=None) -> bytes
encode_frame(messages, version, trace=None) -> bytes
decode_message(data, pos, version, max_message_bytes=...) -> (msg, next_pos)
decode_frame(data, version, max_message_bytes=..., max_messages_per_frame=...) -> [msg]
WireError(error, offset)   -- ``error`` is the §8 id, ``offset`` from frame start

Command line (handy when comparing with the Swift implementation)::

    python3 scripts/wirevectors.py decode --version 2 84412841...
    python3 scripts/wirevectors.py encode --version 1 '[{"type": ...}]'
"""

from __future__ import annotations

import argparse
import json
import sys

__all__ = [
    "WireError", "Writer", "encode_varint", "read_varint",
    "encode_message", "encode_frame", "encode_body",
    "decode_message", "decode_frame",
    "TYPES", "TYPE_CODES", "compact_type", "expand_compact_type",
    "DEFAULT_MAX_MESSAGE_BYTES", "DEFAULT_MAX_MESSAGES_PER_FRAME",
]

# --------------------------------------------------------------------------
# Constants (§2-§7)
# --------------------------------------------------------------------------

MAGIC = 0xC0D1
V1_HEADER_LEN = 30

U8_MAX = 0xFF
U16_MAX = 0xFFFF
U32_MAX = 0xFFFFFFFF
U64_MAX = (1 << 64) - 1

DEFAULT_MAX_MESSAGE_BYTES = 1_048_576
DEFAULT_MAX_MESSAGES_PER_FRAME = 1024

# §5 message flags (bits 0-3)
COMPRESSED = 0x01
ENCRYPTED = 0x02
ACK_REQUESTED = 0x04
DELTA = 0x08
FLAG_NAMES = ("compressed", "encrypted", "ack_requested", "delta")
FLAG_BITS = {name: 1 << i for i, name in enumerate(FLAG_NAMES)}
# §4 v2 field-presence bits (bits 4-7)
HAS_TIMESTAMP = 0x10
HAS_SEQUENCE = 0x20
HAS_SESSION = 0x40
HAS_LENGTH = 0x80

# §6
TYPES = {
    0x0001: "Handshake",
    0x0002: "HandshakeResponse",
    0x0003: "Heartbeat",
    0x0004: "Close",
    0x0005: "Challenge",
    0x0006: "Error",
    0x0007: "WindowUpdate",
    0x0101: "TextData",
    0x0102: "BinaryData",
    0x0103: "DeltaUpdate",
    0x0201: "Subscribe",
    0x0202: "Unsubscribe",
    0x0203: "Acknowledge",
    0x0204: "SubscribeResult",
}
TYPE_CODES = {name: code for code, name in TYPES.items()}

# Field limits in bytes (§7)
NONCE_MIN, NONCE_MAX = 16, 64
KEY_ID_MAX = 128
MAC_MAX, MAC_LEN = 64, 32
TOKEN_MAX = 8192
RESUME_TOKEN_MAX = 512
REASON_MAX = 123
ERROR_MESSAGE_MAX = 256
TOPIC_MAX = 256
USER_ID_MAX = 128
KEY_MAX = 256
PATTERN_MAX = 256
EXT_COUNT_MAX = 16
EXT_VALUE_MAX = 1024

ROUTE_KINDS = ("channel", "bind", "topic", "session", "user")          # 0..4
REF_KINDS = ("none", "request", "sequence", "channel")                # 0..3
HEARTBEAT_KINDS = ("ping", "pong")                                    # 0..1
RESUME_STATUSES = ("new", "resumed", "failed")                        # 0..2
FAIL_REASONS = {1: "expired", 2: "unknown_session", 3: "buffer_overflowed", 4: "invalid_token"}
FAIL_REASON_CODES = {v: k for k, v in FAIL_REASONS.items()}
RECOVERY = ("not_requested", "recovered", "failed")                   # 0..2
AUTH_METHODS = {1: "hmac", 2: "jwt"}

ERROR_IDS = (
    "truncated_header", "truncated_payload", "bad_magic", "unsupported_version",
    "unknown_message_type", "payload_too_large", "length_mismatch", "invalid_utf8",
    "trailing_bytes", "flag_not_allowed", "invalid_varint", "invalid_value",
    "field_too_long", "too_many_messages", "empty_frame",
)


def compact_type(code: int) -> int:
    """§6.1: 16-bit type -> v2 compact type."""
    rng, low = code >> 8, code & 0xFF
    if rng > 2 or low > 0x3F:
        raise ValueError(f"type 0x{code:04x} has no compact code")
    return (rng << 6) | low


def expand_compact_type(compact: int) -> int:
    """§6.1: compact type -> 16-bit value (compact must be < 0xC0)."""
    return ((compact >> 6) << 8) | (compact & 0x3F)


def allowed_flags(type_code: int) -> int:
    """§5: which of bits 0-3 a type may carry."""
    allowed = 0
    if type_code >> 8 == 0x01:
        allowed |= COMPRESSED | ENCRYPTED | ACK_REQUESTED
    if type_code == 0x0103:
        allowed |= DELTA
    return allowed


class WireError(Exception):
    """A §8 decoding error: ``error`` is the id, ``offset`` is from frame start."""

    def __init__(self, error: str, offset: int, detail: str = ""):
        assert error in ERROR_IDS, error
        self.error = error
        self.offset = offset
        self.detail = detail
        super().__init__(f"{error} at offset {offset}" + (f" ({detail})" if detail else ""))


# --------------------------------------------------------------------------
# Varints (§2)
# --------------------------------------------------------------------------

def encode_varint(value: int) -> bytes:
    """Minimal unsigned LEB128."""
    if not 0 <= value <= U64_MAX:
        raise ValueError(f"varint out of range: {value}")
    out = bytearray()
    while True:
        b = value & 0x7F
        value >>= 7
        if value:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def read_varint(data, pos: int, end: int):
    """Decode a varint starting at ``pos``; the bytes available end at ``end``.

    Returns ``(value, next_pos)``, or ``None`` when the input ends before the
    varint does (the caller decides whether that is truncated_header or
    length_mismatch).  Raises invalid_varint (at the varint's first byte) for an
    11th byte (10th byte with the continuation bit), a value above 2^64-1, or a
    non-minimal encoding (multi-byte varint whose last byte is 0x00).
    """
    start = pos
    value = 0
    for i in range(10):
        if pos >= end:
            return None
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << (7 * i)
        if not b & 0x80:
            if i > 0 and b == 0:
                raise WireError("invalid_varint", start, "non-minimal")
            if value > U64_MAX:
                raise WireError("invalid_varint", start, "above 2^64-1")
            return value, pos
    raise WireError("invalid_varint", start, "longer than 10 bytes")


# --------------------------------------------------------------------------
# Writer: primitive encodings, optionally recording a field-by-field trace
# --------------------------------------------------------------------------

class Writer:
    """Primitive field encoder for one protocol version.

    It checks only that a value is representable, not protocol rules, so the
    vector generator can also use it to build deliberately invalid input.
    When ``trace`` is enabled every call that passes ``field`` appends
    ``(offset, bytes, field, value)`` to ``self.trace``.
    """

    def __init__(self, version: int, trace: bool = False):
        if version not in (1, 2):
            raise ValueError("version must be 1 or 2")
        self.version = version
        self.buf = bytearray()
        self.trace = [] if trace else None

    @property
    def pos(self) -> int:
        return len(self.buf)

    def getvalue(self) -> bytes:
        return bytes(self.buf)

    def raw(self, b: bytes, field: str | None = None, value=None) -> "Writer":
        if self.trace is not None and field is not None:
            self.trace.append((len(self.buf), bytes(b), field, value))
        self.buf += b
        return self

    def _fixed(self, v: int, size: int, field, value):
        if not 0 <= v < (1 << (8 * size)):
            raise ValueError(f"{field or 'value'}: {v} does not fit in {size} bytes")
        return self.raw(v.to_bytes(size, "big"), field, v if value is None else value)

    def u8(self, v, field=None, value=None):
        return self._fixed(v, 1, field, value)

    def u16(self, v, field=None, value=None):
        return self._fixed(v, 2, field, value)

    def u32(self, v, field=None, value=None):
        return self._fixed(v, 4, field, value)

    def u64(self, v, field=None, value=None):
        return self._fixed(v, 8, field, value)

    def varint(self, v, field=None, value=None):
        return self.raw(encode_varint(v), field, v if value is None else value)

    def int32(self, v, field=None, value=None):
        """§2 int32: u32 fixed in v1, varint (<= 2^32-1) in v2."""
        if not 0 <= v <= U32_MAX:
            raise ValueError(f"{field or 'int32'}: {v} out of range")
        return self.u32(v, field, value) if self.version == 1 else self.varint(v, field, value)

    def int64(self, v, field=None, value=None):
        """§2 int64: u64 fixed in v1, varint in v2."""
        return self.u64(v, field, value) if self.version == 1 else self.varint(v, field, value)

    def length(self, n, field=None, value=None):
        """Length prefix of string(N)/bytes(N): u16 in v1, varint in v2."""
        return self.u16(n, field, value) if self.version == 1 else self.varint(n, field, value)

    def string(self, s, field=None):
        """string(N); ``s`` may be ``str`` or raw ``bytes`` (for invalid input)."""
        b = s.encode("utf-8") if isinstance(s, str) else bytes(s)
        self.length(len(b), field and f"{field} length")
        shown = json.dumps(b.decode("utf-8", "replace"), ensure_ascii=False)
        return self.raw(b, field, shown) if b else self

    def bytes_(self, b, field=None):
        """bytes(N): same prefix as string(N)."""
        b = bytes(b)
        self.length(len(b), field and f"{field} length")
        return self.raw(b, field, None) if b else self

    def bytes8(self, b, field=None):
        """bytes8(N): u8 length in both versions."""
        b = bytes(b)
        self.u8(len(b), field and f"{field} length")
        return self.raw(b, field, None) if b else self


# --------------------------------------------------------------------------
# Encoder (messages in the JSON shape -> bytes)
# --------------------------------------------------------------------------

def _u64s(s) -> int:
    """Parse a decimal-string u64 (ints are accepted too, for convenience)."""
    v = int(s)
    if not 0 <= v <= U64_MAX:
        raise ValueError(f"u64 out of range: {s}")
    return v


def _hexb(h: str) -> bytes:
    if h != h.lower():
        raise ValueError(f"hex must be lowercase: {h!r}")
    return bytes.fromhex(h)


def _check_len(name, b: bytes, limit: int):
    if len(b) > limit:
        raise ValueError(f"{name}: {len(b)} bytes exceeds limit {limit}")


def _check_u32(name, v):
    if not isinstance(v, int) or not 0 <= v <= U32_MAX:
        raise ValueError(f"{name}: {v!r} is not a u32")


def _enc_string(w: Writer, s: str, limit: int, field: str):
    _check_len(field, s.encode("utf-8"), limit)
    w.string(s, field)


def _enc_bytes(w: Writer, h: str, limit: int, field: str):
    b = _hexb(h)
    _check_len(field, b, limit)
    w.bytes_(b, field)


def _enc_route(w: Writer, r: dict):
    kind = r["kind"]
    if kind not in ROUTE_KINDS:
        raise ValueError(f"bad route kind {kind!r}")
    k = ROUTE_KINDS.index(kind)
    if kind in ("channel", "bind"):
        alias = r["alias"]
        _check_u32("alias", alias)
        if alias == 0:
            raise ValueError("alias 0 is reserved")
    if w.version == 1:
        w.u8(k, "route kind", f"{k} ({kind})")
        if kind in ("channel", "bind"):
            w.u32(r["alias"], "route alias")
        if kind in ("bind", "topic"):
            _enc_string(w, r["topic"], TOPIC_MAX, "route topic")
        elif kind == "session":
            w.u64(_u64s(r["session_id"]), "route session id")
        elif kind == "user":
            _enc_string(w, r["user_id"], USER_ID_MAX, "route user id")
        return
    # v2: one varint r = (n << 3) | kind (§7.8)
    if kind == "channel":
        n = r["alias"]
        w.varint((n << 3) | k, "route", f"kind {k} (channel), alias {n}")
    elif kind == "bind":
        n = r["alias"]
        w.varint((n << 3) | k, "route", f"kind {k} (bind), alias {n}")
        _enc_string(w, r["topic"], TOPIC_MAX, "route topic")
    elif kind in ("topic", "user"):
        s = r["topic"] if kind == "topic" else r["user_id"]
        b = s.encode("utf-8")
        limit = TOPIC_MAX if kind == "topic" else USER_ID_MAX
        _check_len(f"route {kind}", b, limit)
        w.varint((len(b) << 3) | k, "route", f"kind {k} ({kind}), length {len(b)}")
        if b:
            w.raw(b, f"route {'topic' if kind == 'topic' else 'user id'}",
                  json.dumps(s, ensure_ascii=False))
    else:  # session
        w.varint(k, "route", f"kind {k} (session), n 0")
        w.u64(_u64s(r["session_id"]), "route session id")


def _enc_extensions(w: Writer, exts: list):
    if len(exts) > EXT_COUNT_MAX:
        raise ValueError("more than 16 extensions")
    w.u8(len(exts), "extension count")
    for i, e in enumerate(exts):
        w.u16(e["id"], f"extension[{i}] id")
        _enc_bytes(w, e["value"], EXT_VALUE_MAX, f"extension[{i}] value")


def encode_body(w: Writer, type_name: str, body: dict, flags: int):
    """Append the §7 body of ``type_name`` to ``w``, validating the §7 rules."""
    t = type_name
    if t == "Challenge":
        nonce = _hexb(body["nonce"])
        if not NONCE_MIN <= len(nonce) <= NONCE_MAX:
            raise ValueError("nonce must be 16..64 bytes")
        if body["min_version"] > body["max_version"]:
            raise ValueError("min_version > max_version")
        am = body["auth_methods"]
        if am == 0 or am & ~0x03:
            raise ValueError("bad auth_methods")
        w.bytes8(nonce, "nonce")
        w.u8(body["min_version"], "min version")
        w.u8(body["max_version"], "max version")
        w.u8(am, "auth methods", f"0x{am:02x} (" + "|".join(
            n for b, n in ((1, "HMAC"), (2, "JWT")) if am & b) + ")")
        w.int32(body["deadline_millis"], "deadline millis")
    elif t == "Handshake":
        if body["min_version"] > body["max_version"]:
            raise ValueError("min_version > max_version")
        w.u8(body["min_version"], "min version")
        w.u8(body["max_version"], "max version")
        auth = body["auth"]
        if auth["method"] == "hmac":
            mac = _hexb(auth["mac"])
            if len(mac) != MAC_LEN:
                raise ValueError("mac must be 32 bytes")
            w.u8(1, "auth method", "1 (HMAC)")
            _enc_string(w, auth["key_id"], KEY_ID_MAX, "key id")
            w.bytes8(mac, "mac")
        elif auth["method"] == "jwt":
            w.u8(2, "auth method", "2 (JWT)")
            _enc_string(w, auth["token"], TOKEN_MAX, "token")
        else:
            raise ValueError(f"bad auth method {auth['method']!r}")
        res = body["resume"]
        if res is None:
            w.u8(0, "has resume")
        else:
            w.u8(1, "has resume")
            w.u64(_u64s(res["session_id"]), "resume session id")
            _enc_bytes(w, res["resume_token"], RESUME_TOKEN_MAX, "resume token")
            w.int32(res["last_received"], "last received")
        _enc_extensions(w, body["extensions"])
    elif t == "HandshakeResponse":
        sid = _u64s(body["session_id"])
        if sid == 0:
            raise ValueError("session id must not be 0")
        w.u8(body["version"], "version in force")
        w.u64(sid, "session id")
        _enc_bytes(w, body["resume_token"], RESUME_TOKEN_MAX, "resume token")
        w.int32(body["heartbeat_millis"], "heartbeat millis")
        w.int32(body["credit_messages"], "credit messages")
        w.int32(body["credit_bytes"], "credit bytes")
        w.int32(body["max_message_bytes"], "max message bytes")
        res = body["resume"]
        st = res["status"]
        if st not in RESUME_STATUSES:
            raise ValueError(f"bad resume status {st!r}")
        w.u8(RESUME_STATUSES.index(st), "resume status", f"{RESUME_STATUSES.index(st)} ({st})")
        if st == "resumed":
            w.int32(res["last_received"], "last received")
        elif st == "failed":
            code = FAIL_REASON_CODES[res["reason"]]
            w.u8(code, "failure reason", f"{code} ({res['reason']})")
        _enc_extensions(w, body["extensions"])
    elif t == "Heartbeat":
        kind = HEARTBEAT_KINDS.index(body["kind"])
        w.u8(kind, "kind", f"{kind} ({body['kind']})")
        w.int64(_u64s(body["value"]), "value")
    elif t == "Close":
        w.u16(body["code"], "code")
        w.int32(body["retry_after_millis"], "retry after millis")
        w.int32(body["retry_jitter_millis"], "retry jitter millis")
        _enc_string(w, body["reason"], REASON_MAX, "reason")
    elif t == "Error":
        rk = REF_KINDS.index(body["ref_kind"])
        if rk == 0 and body["ref"] != 0:
            raise ValueError("ref must be 0 when ref_kind is none")
        w.u16(body["code"], "code")
        w.u8(rk, "ref kind", f"{rk} ({body['ref_kind']})")
        w.int32(body["ref"], "ref")
        _enc_string(w, body["message"], ERROR_MESSAGE_MAX, "message")
    elif t == "WindowUpdate":
        w.int32(body["channel"], "channel")
        w.int32(body["messages"], "messages")
        w.int32(body["bytes"], "bytes")
    elif t in ("TextData", "BinaryData"):
        _enc_route(w, body["route"])
        payload = _hexb(body["payload"])
        if t == "TextData" and not flags & (COMPRESSED | ENCRYPTED):
            payload.decode("utf-8")  # raises on ill-formed UTF-8
        if payload:
            w.raw(payload, "payload", None)
    elif t == "DeltaUpdate":
        _enc_route(w, body["route"])
        _enc_string(w, body["key"], KEY_MAX, "key")
        if not flags & DELTA and body["base_sequence"] != 0:
            raise ValueError("base_sequence must be 0 without DELTA")
        w.int32(body["base_sequence"], "base sequence")
        w.u32(body["checksum"], "checksum", f"0x{body['checksum']:08x}")
        payload = _hexb(body["payload"])
        if payload:
            w.raw(payload, "payload", None)
    elif t == "Subscribe":
        w.int32(body["request_id"], "request id")
        _enc_string(w, body["pattern"], PATTERN_MAX, "pattern")
        rec = body["recover"]
        if rec is None:
            w.u8(0, "recover")
        else:
            w.u8(1, "recover")
            w.int64(_u64s(rec["epoch"]), "epoch")
            w.int64(_u64s(rec["offset"]), "offset")
    elif t == "Unsubscribe":
        if body["channel"] == 0:
            raise ValueError("channel must not be 0")
        w.int32(body["request_id"], "request id")
        w.int32(body["channel"], "channel")
    elif t == "Acknowledge":
        w.int32(body["sequence"], "sequence")
    elif t == "SubscribeResult":
        if body["channel"] == 0:
            raise ValueError("channel must not be 0")
        w.int32(body["request_id"], "request id")
        w.int32(body["channel"], "channel")
        w.int64(_u64s(body["epoch"]), "epoch")
        w.int64(_u64s(body["offset"]), "offset")
        rc = RECOVERY.index(body["recovery"])
        w.u8(rc, "recovery", f"{rc} ({body['recovery']})")
    else:
        raise ValueError(f"unknown type {type_name!r}")


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


# --------------------------------------------------------------------------
# Decoder
# --------------------------------------------------------------------------

def _utf8(b: bytes, base: int) -> str:
    try:
        return b.decode("utf-8")  # strict: rejects overlongs, surrogates, > U+10FFFF
    except UnicodeDecodeError as e:
        raise WireError("invalid_utf8", base + e.start) from None


class Reader:
    """Field reader over one message body, data[pos:end]; offsets are absolute."""

    def __init__(self, data: bytes, pos: int, end: int, version: int):
        self.data, self.pos, self.end, self.version = data, pos, end, version

    def _take(self, n: int) -> bytes:
        if self.end - self.pos < n:
            raise WireError("length_mismatch", self.pos)
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def u8(self) -> int:
        return self._take(1)[0]

    def u16(self) -> int:
        return int.from_bytes(self._take(2), "big")

    def u32(self) -> int:
        return int.from_bytes(self._take(4), "big")

    def u64(self) -> int:
        return int.from_bytes(self._take(8), "big")

    def varint(self, maximum: int = U64_MAX) -> int:
        start = self.pos
        r = read_varint(self.data, self.pos, self.end)
        if r is None:
            raise WireError("length_mismatch", start, "varint runs past end of body")
        value, self.pos = r
        if value > maximum:
            raise WireError("invalid_varint", start, "too large for field")
        return value

    def int32(self) -> int:
        return self.u32() if self.version == 1 else self.varint(U32_MAX)

    def int64(self) -> int:
        return self.u64() if self.version == 1 else self.varint(U64_MAX)

    def _prefixed(self, limit: int, u8_length: bool) -> tuple[int, bytes]:
        """Length-prefixed field: limit (field_too_long), then fit (length_mismatch)."""
        start = self.pos
        if u8_length:
            n = self.u8()
        elif self.version == 1:
            n = self.u16()
        else:
            n = self.varint()
        if n > limit:
            raise WireError("field_too_long", start)
        if n > self.end - self.pos:
            raise WireError("length_mismatch", start)
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return start, b

    def string(self, limit: int) -> str:
        _, b = self._prefixed(limit, False)
        return _utf8(b, self.pos - len(b))

    def bytes_(self, limit: int) -> tuple[int, bytes]:
        return self._prefixed(limit, False)

    def bytes8(self, limit: int) -> tuple[int, bytes]:
        return self._prefixed(limit, True)

    def rest(self) -> bytes:
        b = self.data[self.pos:self.end]
        self.pos = self.end
        return b

    def finish(self):
        if self.pos != self.end:
            raise WireError("trailing_bytes", self.pos)


def _dec_route(r: Reader) -> dict:
    start = r.pos
    if r.version == 1:
        kind = r.u8()
        if kind >= len(ROUTE_KINDS):
            raise WireError("invalid_value", start, f"route kind {kind}")
        name = ROUTE_KINDS[kind]
        out = {"kind": name}
        if name in ("channel", "bind"):
            aoff = r.pos
            alias = r.u32()
            if alias == 0:
                raise WireError("invalid_value", aoff, "alias 0")
            out["alias"] = alias
        if name in ("bind", "topic"):
            out["topic"] = r.string(TOPIC_MAX)
        elif name == "session":
            out["session_id"] = str(r.u64())
        elif name == "user":
            out["user_id"] = r.string(USER_ID_MAX)
        return out
    v = r.varint()
    kind, n = v & 7, v >> 3
    if kind >= len(ROUTE_KINDS):
        raise WireError("invalid_value", start, f"route kind {kind}")
    name = ROUTE_KINDS[kind]
    out = {"kind": name}
    if name in ("channel", "bind"):
        if n > U32_MAX:
            raise WireError("invalid_varint", start, "alias above 2^32-1")
        if n == 0:
            raise WireError("invalid_value", start, "alias 0")
        out["alias"] = n
        if name == "bind":
            out["topic"] = r.string(TOPIC_MAX)
    elif name in ("topic", "user"):
        limit = TOPIC_MAX if name == "topic" else USER_ID_MAX
        if n > limit:
            raise WireError("field_too_long", start)
        if n > r.end - r.pos:
            raise WireError("length_mismatch", start)
        b = r._take(n)
        out["topic" if name == "topic" else "user_id"] = _utf8(b, r.pos - n)
    else:  # session
        if n != 0:
            raise WireError("invalid_value", start, "session route with n != 0")
        out["session_id"] = str(r.u64())
    return out


def _dec_extensions(r: Reader) -> list:
    coff = r.pos
    count = r.u8()
    if count > EXT_COUNT_MAX:
        raise WireError("invalid_value", coff, "more than 16 extensions")
    exts = []
    for _ in range(count):
        eid = r.u16()
        _, val = r.bytes_(EXT_VALUE_MAX)
        exts.append({"id": eid, "value": val.hex()})
    return exts


def _dec_versions(r: Reader) -> tuple[int, int]:
    minv = r.u8()
    off = r.pos
    maxv = r.u8()
    if minv > maxv:
        raise WireError("invalid_value", off, "min_version > max_version")
    return minv, maxv


def _dec_body(r: Reader, code: int, flags: int) -> dict:
    t = TYPES[code]
    if t == "Challenge":
        noff, nonce = r.bytes8(NONCE_MAX)
        if len(nonce) < NONCE_MIN:
            raise WireError("invalid_value", noff, "nonce shorter than 16 bytes")
        minv, maxv = _dec_versions(r)
        aoff = r.pos
        am = r.u8()
        if am == 0 or am & ~0x03:
            raise WireError("invalid_value", aoff, "auth methods")
        body = {"nonce": nonce.hex(), "min_version": minv, "max_version": maxv,
                "auth_methods": am, "deadline_millis": r.int32()}
    elif t == "Handshake":
        minv, maxv = _dec_versions(r)
        moff = r.pos
        method = r.u8()
        if method == 1:
            key_id = r.string(KEY_ID_MAX)
            macoff, mac = r.bytes8(MAC_MAX)
            if len(mac) != MAC_LEN:
                raise WireError("invalid_value", macoff, "mac is not 32 bytes")
            auth = {"method": "hmac", "key_id": key_id, "mac": mac.hex()}
        elif method == 2:
            auth = {"method": "jwt", "token": r.string(TOKEN_MAX)}
        else:
            raise WireError("invalid_value", moff, f"auth method {method}")
        hoff = r.pos
        has_resume = r.u8()
        if has_resume > 1:
            raise WireError("invalid_value", hoff, "has_resume")
        resume = None
        if has_resume:
            sid = r.u64()
            _, tok = r.bytes_(RESUME_TOKEN_MAX)
            resume = {"session_id": str(sid), "resume_token": tok.hex(),
                      "last_received": r.int32()}
        body = {"min_version": minv, "max_version": maxv, "auth": auth,
                "resume": resume, "extensions": _dec_extensions(r)}
    elif t == "HandshakeResponse":
        version = r.u8()
        soff = r.pos
        sid = r.u64()
        if sid == 0:
            raise WireError("invalid_value", soff, "session id 0")
        _, tok = r.bytes_(RESUME_TOKEN_MAX)
        body = {"version": version, "session_id": str(sid), "resume_token": tok.hex(),
                "heartbeat_millis": r.int32(), "credit_messages": r.int32(),
                "credit_bytes": r.int32(), "max_message_bytes": r.int32()}
        stoff = r.pos
        st = r.u8()
        if st == 0:
            resume = {"status": "new"}
        elif st == 1:
            resume = {"status": "resumed", "last_received": r.int32()}
        elif st == 2:
            roff = r.pos
            reason = r.u8()
            if reason not in FAIL_REASONS:
                raise WireError("invalid_value", roff, f"failure reason {reason}")
            resume = {"status": "failed", "reason": FAIL_REASONS[reason]}
        else:
            raise WireError("invalid_value", stoff, f"resume status {st}")
        body["resume"] = resume
        body["extensions"] = _dec_extensions(r)
    elif t == "Heartbeat":
        koff = r.pos
        kind = r.u8()
        if kind > 1:
            raise WireError("invalid_value", koff, f"heartbeat kind {kind}")
        body = {"kind": HEARTBEAT_KINDS[kind], "value": str(r.int64())}
    elif t == "Close":
        body = {"code": r.u16(), "retry_after_millis": r.int32(),
                "retry_jitter_millis": r.int32(), "reason": r.string(REASON_MAX)}
    elif t == "Error":
        code_ = r.u16()
        koff = r.pos
        rk = r.u8()
        if rk >= len(REF_KINDS):
            raise WireError("invalid_value", koff, f"ref kind {rk}")
        roff = r.pos
        ref = r.int32()
        if rk == 0 and ref != 0:
            raise WireError("invalid_value", roff, "ref must be 0 when ref kind is 0")
        body = {"code": code_, "ref_kind": REF_KINDS[rk], "ref": ref,
                "message": r.string(ERROR_MESSAGE_MAX)}
    elif t == "WindowUpdate":
        body = {"channel": r.int32(), "messages": r.int32(), "bytes": r.int32()}
    elif t in ("TextData", "BinaryData"):
        route = _dec_route(r)
        poff = r.pos
        payload = r.rest()
        if t == "TextData" and not flags & (COMPRESSED | ENCRYPTED):
            _utf8(payload, poff)
        body = {"route": route, "payload": payload.hex()}
    elif t == "DeltaUpdate":
        route = _dec_route(r)
        key = r.string(KEY_MAX)
        boff = r.pos
        base = r.int32()
        if not flags & DELTA and base != 0:
            raise WireError("invalid_value", boff, "base_sequence without DELTA")
        body = {"route": route, "key": key, "base_sequence": base,
                "checksum": r.u32(), "payload": r.rest().hex()}
    elif t == "Subscribe":
        rid = r.int32()
        pattern = r.string(PATTERN_MAX)
        roff = r.pos
        rec = r.u8()
        if rec > 1:
            raise WireError("invalid_value", roff, "recover")
        recover = {"epoch": str(r.int64()), "offset": str(r.int64())} if rec else None
        body = {"request_id": rid, "pattern": pattern, "recover": recover}
    elif t == "Unsubscribe":
        rid = r.int32()
        coff = r.pos
        ch = r.int32()
        if ch == 0:
            raise WireError("invalid_value", coff, "channel 0")
        body = {"request_id": rid, "channel": ch}
    elif t == "Acknowledge":
        body = {"sequence": r.int32()}
    elif t == "SubscribeResult":
        rid = r.int32()
        coff = r.pos
        ch = r.int32()
        if ch == 0:
            raise WireError("invalid_value", coff, "channel 0")
        epoch = r.int64()
        offset = r.int64()
        rcoff = r.pos
        rc = r.u8()
        if rc >= len(RECOVERY):
            raise WireError("invalid_value", rcoff, f"recovery {rc}")
        body = {"request_id": rid, "channel": ch, "epoch": str(epoch),
                "offset": str(offset), "recovery": RECOVERY[rc]}
    else:  # pragma: no cover
        raise AssertionError(t)
    r.finish()
    return body


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


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------

def _main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("decode", help="decode a hex frame to JSON messages")
    d.add_argument("--version", "-v", type=int, choices=(1, 2), required=True)
    d.add_argument("--max-message-bytes", type=int, default=DEFAULT_MAX_MESSAGE_BYTES)
    d.add_argument("--max-messages-per-frame", type=int, default=DEFAULT_MAX_MESSAGES_PER_FRAME)
    d.add_argument("hex")
    e = sub.add_parser("encode", help="encode a JSON list of messages to a hex frame")
    e.add_argument("--version", "-v", type=int, choices=(1, 2), required=True)
    e.add_argument("json", help="JSON list of messages ('-' for stdin)")
    a = ap.parse_args(argv)
    if a.cmd == "decode":
        try:
            msgs = decode_frame(bytes.fromhex(a.hex), a.version,
                                a.max_message_bytes, a.max_messages_per_frame)
        except WireError as err:
            print(json.dumps({"error": err.error, "offset": err.offset, "detail": err.detail}))
            return 1
        print(json.dumps(msgs, indent=2, ensure_ascii=False))
    else:
        text = sys.stdin.read() if a.json == "-" else a.json
        msgs = json.loads(text)
        if isinstance(msgs, dict):
            msgs = [msgs]
        print(encode_frame(msgs, a.version).hex())
    return 0


if __name__ == "__main__":
    sys.exit(_main())
