"""Primitive encodings (§2): varints, the field Writer and the body Reader."""

from __future__ import annotations

import json

from .constants import U32_MAX, U64_MAX
from .errors import WireError


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
