"""Shared constants, paths and the builders of JSON-shaped message dicts."""

from __future__ import annotations

import hashlib
import os
import zlib

import courierwire as wv
from courierwire import TYPE_CODES


# scripts/vectorgen/common.py -> repository root
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VECTORS_PATH = os.path.join(ROOT, "Tests", "Vectors", "wire-vectors.json")
EXAMPLES_PATH = os.path.join(ROOT, "docs", "PROTOCOL-EXAMPLES.md")

DEFAULTS = {"max_message_bytes": wv.DEFAULT_MAX_MESSAGE_BYTES,
            "max_messages_per_frame": wv.DEFAULT_MAX_MESSAGES_PER_FRAME}

SID = 0x0123456789ABCDEF          # an established session id
TS = 1_700_000_000_000_000        # 2023-11-14T22:13:20Z in microseconds


def rnd(label: str, n: int) -> bytes:
    """Deterministic random-looking bytes."""
    out = b""
    i = 0
    while len(out) < n:
        out += hashlib.sha256(f"{label}/{i}".encode()).digest()
        i += 1
    return out[:n]


def hx(x) -> str:
    return (x.encode("utf-8") if isinstance(x, str) else bytes(x)).hex()


def M(v, type_, body, flags=(), sid=None, seq=None, ts=None, hl=True):
    m = {"type": type_, "type_code": TYPE_CODES[type_], "flags": list(flags)}
    if v == 1:
        m["session_id"] = str(sid or 0)
        if "ack_requested" in flags:
            assert seq is not None, "v1 reliable message needs a sequence"
            m["sequence"] = seq
        else:
            assert seq is None
        m["timestamp"] = str(ts or 0)
    else:
        if sid is not None:
            m["session_id"] = str(sid)
        if seq is not None:
            m["sequence"] = seq
        if ts is not None:
            m["timestamp"] = str(ts)
        m["has_length"] = hl
    m["body"] = body
    return m


def ch(a):
    return {"kind": "channel", "alias": a}


def bind(a, t):
    return {"kind": "bind", "alias": a, "topic": t}


def topic(t):
    return {"kind": "topic", "topic": t}


def sess(s):
    return {"kind": "session", "session_id": str(s)}


def user(u):
    return {"kind": "user", "user_id": u}


def data(route, payload):
    return {"route": route, "payload": hx(payload)}


def challenge(nonce, mn=1, mx=2, am=3, dl=10_000):
    return {"nonce": hx(nonce), "min_version": mn, "max_version": mx,
            "auth_methods": am, "deadline_millis": dl}


def hmac_auth(key_id, mac):
    return {"method": "hmac", "key_id": key_id, "mac": hx(mac)}


def jwt_auth(token):
    return {"method": "jwt", "token": token}


def handshake(auth, resume=None, exts=(), mn=1, mx=2):
    return {"min_version": mn, "max_version": mx, "auth": auth, "resume": resume,
            "extensions": [{"id": i, "value": hx(b)} for i, b in exts]}


def resume(sid, token, last):
    return {"session_id": str(sid), "resume_token": hx(token), "last_received": last}


def hs_response(version, resume_, exts=(), sid=SID, token=None, hb=15_000,
                cm=256, cb=1_048_576, mmb=1_048_576):
    return {"version": version, "session_id": str(sid),
            "resume_token": hx(rnd("resume-token", 16) if token is None else token),
            "heartbeat_millis": hb, "credit_messages": cm, "credit_bytes": cb,
            "max_message_bytes": mmb, "resume": resume_,
            "extensions": [{"id": i, "value": hx(b)} for i, b in exts]}


def heartbeat(kind, value):
    return {"kind": kind, "value": str(value)}


def close(code, after=0, jitter=0, reason=""):
    return {"code": code, "retry_after_millis": after, "retry_jitter_millis": jitter,
            "reason": reason}


def error(code, ref_kind, ref, message):
    return {"code": code, "ref_kind": ref_kind, "ref": ref, "message": message}


def window(chan, msgs, nbytes):
    return {"channel": chan, "messages": msgs, "bytes": nbytes}


def delta(route, key, version, full_value, payload):
    return {"route": route, "key": key, "version": version,
            "checksum": zlib.crc32(full_value) & 0xFFFFFFFF, "payload": hx(payload)}


def subscribe(rid, pattern, recover=None):
    return {"request_id": rid, "pattern": pattern,
            "recover": None if recover is None else
            {"epoch": str(recover[0]), "offset": str(recover[1])}}


def sub_result(rid, chan, epoch, offset, recovery):
    return {"request_id": rid, "channel": chan, "epoch": str(epoch),
            "offset": str(offset), "recovery": recovery}
