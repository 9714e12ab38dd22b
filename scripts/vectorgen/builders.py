"""Raw builders for (deliberately invalid) input, and the registry of invalid vectors."""

from __future__ import annotations

import courierwire as wv
from courierwire import TYPE_CODES, encode_varint

from .common import heartbeat, rnd


def W(v):
    return wv.Writer(v)


def h1(type_code, body_len, flags=0, sid=0, seq=0, ts=0, magic=wv.MAGIC, ver=1) -> bytes:
    return (magic.to_bytes(2, "big") + bytes([ver, flags]) + type_code.to_bytes(2, "big")
            + sid.to_bytes(8, "big") + seq.to_bytes(4, "big") + ts.to_bytes(8, "big")
            + body_len.to_bytes(4, "big"))


def _vfield(x):
    return x if isinstance(x, (bytes, bytearray)) else encode_varint(x)


def h2(compact, flags=0, sid=None, seq=None, ts=None, length=None) -> bytes:
    """v2 header; presence bits are derived from which arguments are given.
    seq/ts/length may be an int (minimal varint) or raw bytes."""
    byte = flags
    rest = b""
    if sid is not None:
        byte |= wv.HAS_SESSION
        rest += sid if isinstance(sid, bytes) else sid.to_bytes(8, "big")
    if seq is not None:
        byte |= wv.HAS_SEQUENCE
        rest += _vfield(seq)
    if ts is not None:
        byte |= wv.HAS_TIMESTAMP
        rest += _vfield(ts)
    if length is not None:
        byte |= wv.HAS_LENGTH
        rest += _vfield(length)
    return bytes([byte, compact]) + rest


def ct(name):
    return wv.compact_type(TYPE_CODES[name])


def frame(v, type_, body, flags=0, hl=True, seq=None, **kw):
    """One message with a correct header; returns (bytes, body_offset)."""
    if v == 1:
        if flags & wv.ACK_REQUESTED and seq is None:
            seq = 1
        h = h1(TYPE_CODES[type_], len(body), flags, seq=seq or 0, **kw)
    else:
        h = h2(ct(type_), flags, seq=seq, length=len(body) if hl else None, **kw)
    return h + body, len(h)


def vbody(v, type_, body, flags=0) -> bytes:
    w = W(v)
    wv.encode_body(w, type_, body, flags)
    return w.getvalue()


def vmsg(v, type_, body, flags=0, hl=True, seq=None):
    return frame(v, type_, vbody(v, type_, body, flags), flags, hl, seq)[0]


ACK = wv.ACK_REQUESTED


class Inv:
    def __init__(self, name, version, error, build, limits=None, twin=True, note=""):
        self.name, self.version, self.error = name, version, error
        self.build, self.limits, self.twin, self.note = build, limits, twin, note


class Registry:
    """Collects Inv entries in order; ``add``/``both`` are decorator factories."""

    def __init__(self):
        self.vectors = []

    def add(self, name, version, error, limits=None, twin=True):
        def deco(fn):
            self.vectors.append(Inv(f"v{version}/{name}", version, error, fn, limits, twin))
            return fn
        return deco

    def both(self, name, error, limits=None, twin=True):
        def deco(fn):
            for v in (1, 2):
                self.vectors.append(Inv(f"v{v}/{name}", v, error,
                                        (lambda bad, v=v: fn(v, bad)), limits, twin))
            return fn
        return deco


def hb_body(v):
    return vbody(v, "Heartbeat", heartbeat("ping", 7))


def hs_with_mac(v, mac_len, bad, bad_len):
    w = W(v).u8(1).u8(2).u8(1).string("k")
    off = w.pos
    w.bytes8(rnd("m", bad_len if bad else mac_len)).u8(0).u8(0)
    fr, bo = frame(v, "Handshake", w.getvalue())
    return fr, bo + off
