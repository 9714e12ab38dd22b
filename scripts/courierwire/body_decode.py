"""§7 message bodies: bytes (via a Reader) -> JSON-shaped body dicts."""

from __future__ import annotations

from .constants import (
    COMPRESSED, DELTA, ENCRYPTED, ERROR_MESSAGE_MAX, EXT_COUNT_MAX, EXT_VALUE_MAX,
    FAIL_REASONS, HEARTBEAT_KINDS, KEY_ID_MAX, KEY_MAX, MAC_LEN, MAC_MAX, NONCE_MAX,
    NONCE_MIN, PATTERN_MAX, REASON_MAX, RECOVERY, REF_KINDS, RESUME_TOKEN_MAX,
    ROUTE_KINDS, TOKEN_MAX, TOPIC_MAX, TYPES, U32_MAX, USER_ID_MAX,
)
from .errors import WireError
from .primitives import Reader, _utf8


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
        voff = r.pos
        version = r.int32()
        if flags & DELTA and version == 0:
            raise WireError("invalid_value", voff, "DELTA with version 0")
        body = {"route": route, "key": key, "version": version,
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
    elif t == "SnapshotRequest":
        body = {"request_id": r.int32(), "topic": r.string(TOPIC_MAX), "key": r.string(KEY_MAX)}
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
