"""§7 message bodies: JSON-shaped body dicts -> bytes (via a Writer)."""

from __future__ import annotations

import json

from .constants import (
    COMPRESSED, DELTA, ENCRYPTED, ERROR_MESSAGE_MAX, EXT_COUNT_MAX, EXT_VALUE_MAX,
    FAIL_REASON_CODES, HEARTBEAT_KINDS, KEY_ID_MAX, KEY_MAX, MAC_LEN, NONCE_MAX,
    NONCE_MIN, PATTERN_MAX, REASON_MAX, RECOVERY, REF_KINDS, RESUME_STATUSES,
    RESUME_TOKEN_MAX, ROUTE_KINDS, TOKEN_MAX, TOPIC_MAX, U32_MAX, U64_MAX, USER_ID_MAX,
)
from .primitives import Writer


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
        if flags & DELTA and body["version"] == 0:
            raise ValueError("version must not be 0 with DELTA")
        w.int32(body["version"], "version")
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
    elif t == "SnapshotRequest":
        w.int32(body["request_id"], "request id")
        _enc_string(w, body["topic"], TOPIC_MAX, "topic")
        _enc_string(w, body["key"], KEY_MAX, "key")
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
