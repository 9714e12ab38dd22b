#!/usr/bin/env python3
"""Generate and self-check the Courier wire test vectors.

    python3 scripts/gen_vectors.py            # write Tests/Vectors/wire-vectors.json
                                              # and docs/PROTOCOL-EXAMPLES.md
    python3 scripts/gen_vectors.py --check    # verify both files are up to date

Deterministic: no randomness, no clock.  "Random-looking" bytes come from
SHA-256 of fixed labels.  Standard library only.

Self-checks (any failure aborts without writing):
* every valid vector decodes (scripts/wirevectors.py) to exactly its listed
  messages, and those messages re-encode to the same hex;
* every invalid vector fails with exactly the listed error and offset (the
  offset is computed by the builder from the layout, not taken from the
  decoder);
* most invalid vectors have a "good twin": the same construction with the one
  defect removed, which must decode cleanly and re-encode to the same bytes.
  This is what shows the invalid input has exactly one defect;
* coverage: every message type in both versions, every error id, every route
  kind, every header-presence bit.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import sys
import zlib

sys.dont_write_bytecode = True   # keep scripts/ free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wirevectors as wv  # noqa: E402
from wirevectors import WireError, encode_varint, TYPE_CODES, U32_MAX, U64_MAX  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
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


# ---------------------------------------------------------------------------
# Message dicts (JSON shape)
# ---------------------------------------------------------------------------

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


def delta(route, key, base, full_value, payload):
    return {"route": route, "key": key, "base_sequence": base,
            "checksum": zlib.crc32(full_value) & 0xFFFFFFFF, "payload": hx(payload)}


def subscribe(rid, pattern, recover=None):
    return {"request_id": rid, "pattern": pattern,
            "recover": None if recover is None else
            {"epoch": str(recover[0]), "offset": str(recover[1])}}


def sub_result(rid, chan, epoch, offset, recovery):
    return {"request_id": rid, "channel": chan, "epoch": str(epoch),
            "offset": str(offset), "recovery": recovery}


# ---------------------------------------------------------------------------
# Valid vectors
# ---------------------------------------------------------------------------

NONCE16 = rnd("nonce16", 16)
NONCE32 = rnd("nonce32", 32)
NONCE64 = rnd("nonce64", 64)
MAC = rnd("mac", 32)
JWT = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
       "eyJzdWIiOiJhbGljZSIsImV4cCI6MTcwMDAwMzYwMH0."
       "c2lnbmF0dXJlLW5vdC1jaGVja2VkLWJ5LXRoZS13aXJl")


def valid_common(v):
    """Vectors that exist in both versions: (suffix, [messages])."""
    S = SID if v == 1 else None   # v2 omits the established session id
    T = TS if v == 1 else None
    out = []
    add = lambda name, *msgs: out.append((name, list(msgs)))  # noqa: E731

    # Challenge
    add("challenge/nonce16_both_methods", M(v, "Challenge", challenge(NONCE16)))
    add("challenge/nonce64_hmac_only", M(v, "Challenge", challenge(NONCE64, 1, 1, 1, 5_000)))
    add("challenge/jwt_only_u32max_deadline",
        M(v, "Challenge", challenge(NONCE32, 2, 2, 2, U32_MAX)))
    # Handshake
    add("handshake/hmac", M(v, "Handshake", handshake(hmac_auth("client-7", MAC))))
    add("handshake/hmac_resume", M(v, "Handshake", handshake(
        hmac_auth("client-7", MAC), resume(SID, rnd("resume-token", 16), 41))))
    add("handshake/hmac_non_ascii_key_id_extensions", M(v, "Handshake", handshake(
        hmac_auth("clé-🔑", MAC), None, [(1, b"\x01"), (0xFFFF, b"")], 2, 2)))
    add("handshake/jwt", M(v, "Handshake", handshake(jwt_auth(JWT), mn=1, mx=1)))
    add("handshake/jwt_resume_extensions", M(v, "Handshake", handshake(
        jwt_auth(JWT), resume(U64_MAX, b"", U32_MAX),
        [(7, rnd("ext", 40)), (8, b"zstd")])))
    add("handshake/hmac_16_extensions_empty_key_id", M(v, "Handshake", handshake(
        hmac_auth("", MAC), None, [(i, bytes([i])) for i in range(16)])))
    add("handshake/jwt_resume_token_512", M(v, "Handshake", handshake(
        jwt_auth(JWT), resume(SID, rnd("long-token", 512), 1))))
    # HandshakeResponse
    add("handshake_response/new", M(v, "HandshakeResponse",
                                    hs_response(v, {"status": "new"}), sid=S, ts=T))
    add("handshake_response/resumed", M(v, "HandshakeResponse", hs_response(
        v, {"status": "resumed", "last_received": 1234})))
    for reason in ("expired", "unknown_session", "buffer_overflowed", "invalid_token"):
        add(f"handshake_response/failed_{reason}", M(v, "HandshakeResponse", hs_response(
            v, {"status": "failed", "reason": reason}, sid=SID + 1)))
    add("handshake_response/u32max_extensions_empty_token", M(v, "HandshakeResponse", hs_response(
        v, {"status": "resumed", "last_received": U32_MAX}, [(2, b"permessage"), (300, b"\x00\xff")],
        sid=U64_MAX, token=b"", hb=U32_MAX, cm=U32_MAX, cb=U32_MAX, mmb=U32_MAX)))
    # Heartbeat
    add("heartbeat/ping", M(v, "Heartbeat", heartbeat("ping", 123_456_789), sid=S, ts=T))
    add("heartbeat/pong_zero", M(v, "Heartbeat", heartbeat("pong", 0)))
    add("heartbeat/ping_u64max", M(v, "Heartbeat", heartbeat("ping", U64_MAX)))
    # Close
    add("close/normal_empty_reason", M(v, "Close", close(1000)))
    add("close/1012_retry_hint", M(v, "Close", close(1012, 5_000, 2_000, "restarting"), sid=S))
    add("close/4002_non_ascii_reason", M(v, "Close", close(4002, reason="version non prise en charge — v3")))
    add("close/reason_123_bytes_u32max", M(v, "Close", close(1013, U32_MAX, U32_MAX, "r" * 123)))
    # Error
    add("error/ref_none", M(v, "Error", error(1, "none", 0, "bad request")))
    add("error/ref_request", M(v, "Error", error(2, "request", 77, "forbidden: news/*")))
    add("error/ref_sequence", M(v, "Error", error(3, "sequence", U32_MAX, "")))
    add("error/ref_channel_message_256_non_ascii", M(v, "Error", error(
        0xFFFF, "channel", 5, "é" * 128)))
    # WindowUpdate
    add("window_update/connection", M(v, "WindowUpdate", window(0, 64, 65_536)))
    add("window_update/channel_u32max", M(v, "WindowUpdate", window(U32_MAX, U32_MAX, U32_MAX)))
    # TextData (every route kind)
    rel = dict(flags=["ack_requested"], seq=42)
    add("text_data/channel", M(v, "TextData", data(ch(5), "hello"), sid=S, ts=T))
    add("text_data/channel_reliable", M(v, "TextData", data(ch(5), "hello"), sid=S, **rel))
    add("text_data/bind_non_ascii_topic", M(v, "TextData", data(bind(7, "chat/général"), "salut")))
    add("text_data/topic_emoji", M(v, "TextData", data(topic("news/🚀/launches"), "T-10")))
    add("text_data/topic_256_bytes", M(v, "TextData", data(topic("t" * 256), "x")))
    add("text_data/session", M(v, "TextData", data(sess(SID), "direct"), **rel))
    add("text_data/session_zero_and_u64max_header", M(v, "TextData", data(sess(0), "x"),
                                                      sid=U64_MAX, ts=U64_MAX))
    add("text_data/user", M(v, "TextData", data(user("alice@example.com"), "hi alice")))
    add("text_data/user_non_ascii_128_bytes", M(v, "TextData", data(user("ü" * 64), "hallo")))
    add("text_data/empty_payload", M(v, "TextData", data(ch(1), b"")))
    add("text_data/alias_u32max", M(v, "TextData", data(ch(U32_MAX), "max")))
    add("text_data/bind_alias_u32max_empty_topic", M(v, "TextData", data(bind(U32_MAX, ""), "")))
    add("text_data/utf8_edge_code_points", M(v, "TextData", data(
        ch(5), "\x00\x7f\u0080\u07ff\u0800\ufffd\uffff\U00010000\U0010ffff")))
    add("text_data/decomposed_not_normalised", M(v, "TextData", data(
        topic("cafe\u0301"), "e\u0301 \u00e9")))
    add("text_data/compressed_non_utf8", M(v, "TextData", data(
        ch(5), bytes.fromhex("789c0b492d2e0100034f01a5ff80")), flags=["compressed"]))
    add("text_data/encrypted_non_utf8", M(v, "TextData", data(
        ch(9), b"\xff\xfe" + rnd("cipher", 30)), flags=["encrypted"]))
    add("text_data/compressed_encrypted_reliable", M(v, "TextData", data(
        ch(9), rnd("cipher2", 24)), flags=["compressed", "encrypted", "ack_requested"], seq=U32_MAX))
    # BinaryData
    add("binary_data/channel", M(v, "BinaryData", data(ch(3), bytes(range(256)))))
    add("binary_data/topic_reliable", M(v, "BinaryData", data(topic("sensors/42"), b"\x00\x01\x02"),
                                        flags=["ack_requested"], seq=1))
    add("binary_data/empty_payload_bind", M(v, "BinaryData", data(bind(2, "blobs"), b"")))
    add("binary_data/user_compressed_encrypted", M(v, "BinaryData", data(
        user("bob"), rnd("blob", 17)), flags=["compressed", "encrypted"]))
    # DeltaUpdate
    full = b'{"price":101.25,"qty":7}'
    add("delta_update/full_value", M(v, "DeltaUpdate", delta(ch(5), "AAPL", 0, full, full)))
    add("delta_update/delta_reliable", M(v, "DeltaUpdate", delta(
        ch(5), "AAPL", 17, full, b'{"price":101.25}'), flags=["ack_requested", "delta"], seq=18))
    add("delta_update/delta_compressed_bind", M(v, "DeltaUpdate", delta(
        bind(11, "prices/ü"), "clé", U32_MAX, full, rnd("zdelta", 9)),
        flags=["compressed", "delta"]))
    add("delta_update/full_empty_key_empty_value_session", M(v, "DeltaUpdate", delta(
        sess(SID), "", 0, b"", b"")))
    add("delta_update/delta_base_zero_topic", M(v, "DeltaUpdate", delta(
        topic("cfg"), "k", 0, b"v", b"v"), flags=["delta"]))
    # Subscribe / Unsubscribe / Acknowledge / SubscribeResult
    add("subscribe/no_recover", M(v, "Subscribe", subscribe(1, "news/*")))
    add("subscribe/recover", M(v, "Subscribe", subscribe(2, "prices/AAPL", (3, 1_000))))
    add("subscribe/recover_u64max_non_ascii", M(v, "Subscribe", subscribe(
        U32_MAX, "météo/#", (U64_MAX, U64_MAX))))
    add("unsubscribe/basic", M(v, "Unsubscribe", {"request_id": 3, "channel": 5}))
    add("unsubscribe/u32max", M(v, "Unsubscribe", {"request_id": U32_MAX, "channel": U32_MAX}))
    add("acknowledge/basic", M(v, "Acknowledge", {"sequence": 42}, sid=S, ts=T))
    add("acknowledge/u32max", M(v, "Acknowledge", {"sequence": U32_MAX}))
    add("acknowledge/127", M(v, "Acknowledge", {"sequence": 127}))
    add("acknowledge/128", M(v, "Acknowledge", {"sequence": 128}))
    for rec, (e, o) in (("not_requested", (0, 0)), ("recovered", (3, 1_000)),
                        ("failed", (U64_MAX, 2 ** 32))):
        add(f"subscribe_result/{rec}", M(v, "SubscribeResult", sub_result(4, 6, e, o, rec)))
    return out


def valid_v1_only():
    out = []
    add = lambda name, *msgs: out.append((name, list(msgs)))  # noqa: E731
    add("header/all_fields_max", M(1, "BinaryData", data(ch(5), b"\x01"),
                                   flags=["compressed", "encrypted", "ack_requested"],
                                   sid=U64_MAX, seq=U32_MAX, ts=U64_MAX))
    add("header/sequence_1", M(1, "TextData", data(ch(5), "first"), flags=["ack_requested"], seq=1))
    add("batch/two_messages",
        M(1, "Acknowledge", {"sequence": 41}, sid=SID),
        M(1, "TextData", data(ch(5), "next"), flags=["ack_requested"], sid=SID, seq=42))
    add("batch/three_messages",
        M(1, "Heartbeat", heartbeat("pong", 99)),
        M(1, "Subscribe", subscribe(8, "a/b")),
        M(1, "WindowUpdate", window(5, 10, 4096)))
    add("batch/three_empty_payload_data",
        M(1, "TextData", data(ch(1), b"")),
        M(1, "BinaryData", data(ch(2), b"")),
        M(1, "TextData", data(ch(3), b""), flags=["ack_requested"], seq=7))
    return out


def valid_v2_only():
    out = []
    add = lambda name, *msgs: out.append((name, list(msgs)))  # noqa: E731
    p64 = bytes(range(0x30, 0x70))  # 64 printable ASCII bytes
    assert len(p64) == 64
    add("text_data/channel5_64_byte_payload_implicit_sequence",
        M(2, "TextData", data(ch(5), p64), flags=["ack_requested"]))
    add("text_data/channel5_64_byte_payload_implicit_sequence_no_length",
        M(2, "TextData", data(ch(5), p64), flags=["ack_requested"], hl=False))
    add("text_data/body_200_bytes_two_byte_length",
        M(2, "TextData", data(ch(5), "y" * 199)))
    add("text_data/alias_2_to_32_minus_1_large_route_varint",
        M(2, "BinaryData", data(ch(2 ** 31 + 1), b"\x00")))
    # header presence: each optional field alone, all, none
    body = data(ch(5), "h")
    add("header/none_no_length", M(2, "TextData", body, hl=False))
    add("header/length_only", M(2, "TextData", body))
    add("header/session_only", M(2, "TextData", body, sid=SID, hl=False))
    add("header/sequence_only", M(2, "TextData", body, flags=["ack_requested"], seq=300, hl=False))
    add("header/timestamp_only", M(2, "TextData", body, ts=TS, hl=False))
    add("header/implicit_sequence_no_length", M(2, "TextData", body, flags=["ack_requested"], hl=False))
    add("header/all_fields", M(2, "TextData", body, flags=["ack_requested"], sid=SID, seq=7, ts=TS))
    add("header/all_fields_max", M(2, "BinaryData", data(ch(5), b"\x01"),
                                   flags=["compressed", "encrypted", "ack_requested"],
                                   sid=U64_MAX, seq=U32_MAX, ts=U64_MAX))
    add("header/session_zero_timestamp_zero", M(2, "Heartbeat", heartbeat("ping", 1), sid=0, ts=0))
    add("header/empty_body_no_length", M(2, "TextData", data(ch(1), b""), hl=False))
    add("batch/two_messages_last_without_length",
        M(2, "Acknowledge", {"sequence": 41}),
        M(2, "TextData", data(ch(5), "next"), flags=["ack_requested"], hl=False))
    add("batch/three_messages_all_with_length",
        M(2, "Heartbeat", heartbeat("pong", 99)),
        M(2, "Subscribe", subscribe(8, "a/b")),
        M(2, "WindowUpdate", window(5, 10, 4096)))
    add("batch/three_explicit_then_implicit_sequence_last_without_length",
        M(2, "TextData", data(ch(5), "one"), flags=["ack_requested"], seq=10),
        M(2, "TextData", data(ch(5), "two"), flags=["ack_requested"]),
        M(2, "BinaryData", data(ch(6), b"three"), flags=["ack_requested"], hl=False))
    add("batch/three_empty_bodies_last_without_length",
        M(2, "TextData", data(ch(1), b"")),
        M(2, "BinaryData", data(ch(2), b"")),
        M(2, "TextData", data(ch(3), b""), hl=False))
    return out


# ---------------------------------------------------------------------------
# Worked examples (also emitted as valid vectors "vN/example/...")
# ---------------------------------------------------------------------------

EX_NONCE = rnd("example-nonce", 16)
EX_KEY = b"example pre-shared key"
EX_MAC = hmac.new(EX_KEY, EX_NONCE, hashlib.sha256).digest()
EX_TOKEN = rnd("example-resume-token", 16)
EX_SID = 0x0123456789ABCDEF


def examples():
    """(slug, title, {version: [messages]}, prose)."""
    ex = []
    ex.append(("challenge", "Challenge", {
        1: [M(1, "Challenge", challenge(EX_NONCE, 1, 2, 3, 10_000), ts=TS)],
        2: [M(2, "Challenge", challenge(EX_NONCE, 1, 2, 3, 10_000), hl=False)],
    }, "The server's first message: a 16-byte nonce, versions 1 to 2, both auth methods "
       "(HMAC and JWT), and a 10-second handshake deadline. In v2 the single message of "
       "the batch omits HAS_LENGTH, so the body runs to the end of the WebSocket message."))
    ex.append(("handshake_hmac", "Handshake with HMAC", {
        1: [M(1, "Handshake", handshake(hmac_auth("client-7", EX_MAC)))],
        2: [M(2, "Handshake", handshake(hmac_auth("client-7", EX_MAC)))],
    }, "The client answers with key id `client-7` and the 32-byte HMAC-SHA256 of the "
       f"nonce under the key `{EX_KEY.decode()}`; no resume, no extensions. "
       "The v2 message sets HAS_LENGTH (optional on the last message of a batch)."))
    ex.append(("handshake_response", "HandshakeResponse", {
        1: [M(1, "HandshakeResponse", hs_response(1, {"status": "new"}, sid=EX_SID,
                                                   token=EX_TOKEN), ts=TS)],
        2: [M(2, "HandshakeResponse", hs_response(2, {"status": "new"}, sid=EX_SID,
                                                   token=EX_TOKEN), hl=False)],
    }, f"A new session {EX_SID} (0x{EX_SID:016x}) with a 16-byte resume token, "
       "15 s heartbeats, an initial credit of 256 messages / 1 MiB and a 1 MiB message limit."))
    ex.append(("text_data_channel", "TextData on an established channel", {
        1: [M(1, "TextData", data(ch(5), "hello"), flags=["ack_requested"], sid=EX_SID, seq=42, ts=TS)],
        2: [M(2, "TextData", data(ch(5), "hello"), flags=["ack_requested"], hl=False)],
    }, "A reliable `hello` on channel alias 5. In v1 the header carries the session id, "
       "sequence 42 and a timestamp. In v2 the session id is omitted (established), the "
       "sequence is implicit (previous reliable message was 41) and the route takes one byte "
       "(`0x28` = alias 5 << 3 | kind 0): {len2} bytes in all against {len1}."))
    ex.append(("batch", "A batch of two messages in one WebSocket message", {
        1: [M(1, "Acknowledge", {"sequence": 41}, sid=EX_SID),
            M(1, "TextData", data(ch(5), "hi"), flags=["ack_requested"], sid=EX_SID, seq=42)],
        2: [M(2, "Acknowledge", {"sequence": 41}),
            M(2, "TextData", data(ch(5), "hi"), flags=["ack_requested"], seq=42, hl=False)],
    }, "An Acknowledge of sequence 41 followed by a reliable TextData with sequence 42. "
       "In v2 the first message must carry HAS_LENGTH; the last omits it. The TextData "
       "carries an explicit sequence (HAS_SEQUENCE) as it would on the first reliable "
       "message after a resume."))
    ex.append(("acknowledge", "Acknowledge", {
        1: [M(1, "Acknowledge", {"sequence": 300}, sid=EX_SID)],
        2: [M(2, "Acknowledge", {"sequence": 300}, hl=False)],
    }, "Cumulative acknowledgement of every reliable message up to sequence 300. "
       "In v2 the sequence is the two-byte varint `ac 02` (300 = 0b10_0101100)."))
    ex.append(("close_1012", "Close 1012 with a retry hint", {
        1: [M(1, "Close", close(1012, 5_000, 2_000, "restarting"), sid=EX_SID, ts=TS)],
        2: [M(2, "Close", close(1012, 5_000, 2_000, "restarting"), hl=False)],
    }, "Service restart: do not reconnect for 5 s, then spread reconnects over "
       "5.0-7.0 s. `code` is a fixed u16 in both versions; the retry fields are int32 "
       "(fixed in v1, varints in v2)."))
    ex.append(("all_header_fields", "v2 header with every optional field (bind route)", {
        2: [M(2, "TextData", data(bind(7, "chat/général"), "salut"), flags=["ack_requested"],
              sid=EX_SID, seq=1, ts=TS)],
    }, "All four presence bits set: session id (u64 fixed), sequence, timestamp and body "
       "length (varints). The bind route is one varint (`0x39` = alias 7 << 3 | kind 1) "
       "followed by the topic as a v2 string; `é` is the two bytes `c3 a9`."))
    return ex


# ---------------------------------------------------------------------------
# Raw builders for invalid input
# ---------------------------------------------------------------------------

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


def invalid_vectors():
    inv = []

    def add(name, version, error, limits=None, twin=True):
        def deco(fn):
            inv.append(Inv(f"v{version}/{name}", version, error, fn, limits, twin))
            return fn
        return deco

    def both(name, error, limits=None, twin=True):
        def deco(fn):
            for v in (1, 2):
                inv.append(Inv(f"v{v}/{name}", v, error,
                               (lambda bad, v=v: fn(v, bad)), limits, twin))
            return fn
        return deco

    hb_body = lambda v: vbody(v, "Heartbeat", heartbeat("ping", 7))  # noqa: E731

    # ---- truncated_header ------------------------------------------------
    @add("truncated_header/29_bytes", 1, "truncated_header")
    def _(bad):
        m = vmsg(1, "Heartbeat", heartbeat("ping", 7))
        return (m[:29] if bad else m), 0

    @add("truncated_header/one_byte", 1, "truncated_header")
    def _(bad):
        m = vmsg(1, "Acknowledge", {"sequence": 1})
        return (m[:1] if bad else m), 0

    @add("truncated_header/second_message", 1, "truncated_header")
    def _(bad):
        m1 = vmsg(1, "Acknowledge", {"sequence": 1})
        m2 = vmsg(1, "Heartbeat", heartbeat("pong", 7))
        return m1 + (m2[:12] if bad else m2), len(m1)

    @add("truncated_header/one_byte", 2, "truncated_header")
    def _(bad):
        m = vmsg(2, "Acknowledge", {"sequence": 1}, hl=False)
        return (m[:1] if bad else m), 0

    @add("truncated_header/session_id_cut", 2, "truncated_header")
    def _(bad):
        m = h2(ct("Heartbeat"), sid=SID) + hb_body(2)
        return (m[:2 + 4] if bad else m), 0

    @add("truncated_header/sequence_varint_cut", 2, "truncated_header")
    def _(bad):
        b = vbody(2, "TextData", data(ch(5), "x"))
        m = h2(ct("TextData"), ACK, seq=300, length=len(b)) + b   # 300 = ac 02
        return (m[:3] if bad else m), 0

    @add("truncated_header/timestamp_varint_cut", 2, "truncated_header")
    def _(bad):
        m = h2(ct("Heartbeat"), ts=TS) + hb_body(2)
        return (m[:5] if bad else m), 0

    @add("truncated_header/length_varint_cut", 2, "truncated_header")
    def _(bad):
        b = vbody(2, "TextData", data(ch(5), "z" * 200))
        m = h2(ct("TextData"), length=len(b)) + b
        return (m[:3] if bad else m), 0

    @add("truncated_header/second_message", 2, "truncated_header")
    def _(bad):
        m1 = vmsg(2, "Acknowledge", {"sequence": 1})
        m2 = h2(ct("Heartbeat"), sid=SID) + hb_body(2)
        return m1 + (m2[:7] if bad else m2), len(m1)

    # ---- truncated_payload -----------------------------------------------
    @add("truncated_payload/one_byte_short", 1, "truncated_payload")
    def _(bad):
        m = vmsg(1, "Heartbeat", heartbeat("ping", 7))
        return (m[:-1] if bad else m), 30

    @add("truncated_payload/no_body", 1, "truncated_payload")
    def _(bad):
        m = vmsg(1, "Acknowledge", {"sequence": 9})
        return (m[:30] if bad else m), 30

    @add("truncated_payload/second_message", 1, "truncated_payload")
    def _(bad):
        m1 = vmsg(1, "Acknowledge", {"sequence": 1})
        m2 = vmsg(1, "TextData", data(ch(5), "payload"))
        return m1 + (m2[:-3] if bad else m2), len(m1) + 30

    @add("truncated_payload/one_byte_short", 2, "truncated_payload")
    def _(bad):
        m = vmsg(2, "Heartbeat", heartbeat("ping", 7))
        return (m[:-1] if bad else m), 3

    @add("truncated_payload/after_all_header_fields", 2, "truncated_payload")
    def _(bad):
        b = vbody(2, "TextData", data(ch(5), "abcdef"))
        h = h2(ct("TextData"), ACK, sid=SID, seq=5, ts=TS, length=len(b))
        m = h + b
        return (m[:-4] if bad else m), len(h)

    @add("truncated_payload/second_message", 2, "truncated_payload")
    def _(bad):
        m1 = vmsg(2, "Acknowledge", {"sequence": 1})
        m2 = vmsg(2, "Acknowledge", {"sequence": 2})
        return m1 + (m2[:3] if bad else m2), len(m1) + 3

    # ---- bad_magic / unsupported_version (v1 only) -------------------------
    def v1_hdr_patch(bad, off, good_bytes, bad_bytes, err_off, type_="Acknowledge", body=None):
        m = bytearray(vmsg(1, type_, body or {"sequence": 1}))
        assert m[off:off + len(good_bytes)] == good_bytes
        if bad:
            m[off:off + len(bad_bytes)] = bad_bytes
        return bytes(m), err_off

    add("bad_magic/c0d2", 1, "bad_magic")(lambda bad: v1_hdr_patch(bad, 0, b"\xc0\xd1", b"\xc0\xd2", 0))
    add("bad_magic/byte_swapped", 1, "bad_magic")(lambda bad: v1_hdr_patch(bad, 0, b"\xc0\xd1", b"\xd1\xc0", 0))
    add("bad_magic/zero", 1, "bad_magic")(lambda bad: v1_hdr_patch(bad, 0, b"\xc0\xd1", b"\x00\x00", 0))

    @add("bad_magic/second_message", 1, "bad_magic")
    def _(bad):
        m1 = vmsg(1, "Acknowledge", {"sequence": 1})
        m2 = bytearray(vmsg(1, "Acknowledge", {"sequence": 2}))
        if bad:
            m2[1] = 0xD0
        return m1 + bytes(m2), len(m1)

    add("unsupported_version/2", 1, "unsupported_version")(
        lambda bad: v1_hdr_patch(bad, 2, b"\x01", b"\x02", 2))
    add("unsupported_version/0", 1, "unsupported_version")(
        lambda bad: v1_hdr_patch(bad, 2, b"\x01", b"\x00", 2))
    add("unsupported_version/255", 1, "unsupported_version")(
        lambda bad: v1_hdr_patch(bad, 2, b"\x01", b"\xff", 2))

    # ---- unknown_message_type --------------------------------------------
    for code, good_type in ((0x0105, "TextData"), (0x0300, "Acknowledge"), (0x0000, "Acknowledge"),
                            (0x0008, "Acknowledge"), (0x0104, "TextData"), (0x0205, "Acknowledge"),
                            (0x0141, "TextData"), (0xFFFF, "Acknowledge")):
        def fn(bad, code=code, good_type=good_type):
            body = (vbody(1, "TextData", data(ch(5), "x")) if good_type == "TextData"
                    else vbody(1, "Acknowledge", {"sequence": 1}))
            return h1(code if bad else TYPE_CODES[good_type], len(body)) + body, 4
        add(f"unknown_message_type/0x{code:04x}", 1, "unknown_message_type")(fn)

    for compact, good_type in ((0xC1, "TextData"), (0x45, "TextData"), (0x00, "Acknowledge"),
                               (0x08, "Acknowledge"), (0x85, "Acknowledge"), (0x3F, "Acknowledge"),
                               (0xC3, "Acknowledge"), (0xFF, "Acknowledge")):
        def fn(bad, compact=compact, good_type=good_type):
            body = (vbody(2, "TextData", data(ch(5), "x")) if good_type == "TextData"
                    else vbody(2, "Acknowledge", {"sequence": 1}))
            return h2(compact if bad else ct(good_type), length=len(body)) + body, 1
        add(f"unknown_message_type/compact_0x{compact:02x}", 2, "unknown_message_type")(fn)

    # ---- payload_too_large -----------------------------------------------
    lim64 = {"max_message_bytes": 64}

    @add("payload_too_large/65_over_64", 1, "payload_too_large", lim64)
    def _(bad):
        b = vbody(1, "TextData", data(ch(5), "p" * (60 if bad else 59)))
        assert len(b) == (65 if bad else 64)
        return h1(0x0101, len(b)) + b, 26

    @add("payload_too_large/65_over_64_with_length", 2, "payload_too_large", lim64)
    def _(bad):
        b = vbody(2, "TextData", data(ch(5), "p" * (64 if bad else 63)))
        assert len(b) == (65 if bad else 64)
        return h2(0x41, sid=SID, length=len(b)) + b, 10

    @add("payload_too_large/65_over_64_without_length", 2, "payload_too_large", lim64)
    def _(bad):
        b = vbody(2, "TextData", data(ch(5), "p" * (64 if bad else 63)))
        return h2(0x41, ACK, seq=3) + b, 3

    @add("payload_too_large/second_message", 2, "payload_too_large", lim64)
    def _(bad):
        m1 = vmsg(2, "Acknowledge", {"sequence": 1})
        b = vbody(2, "BinaryData", data(ch(5), b"\x00" * (64 if bad else 63)))
        return m1 + h2(ct("BinaryData"), length=len(b)) + b, len(m1) + 2

    # ---- length_mismatch -------------------------------------------------
    @both("length_mismatch/close_reason_prefix_past_end", "length_mismatch")
    def _(v, bad):
        w = W(v).u16(1000).int32(0).int32(0)
        off = w.pos
        w.length(10 if bad else 3).raw(b"bye")
        fr, bo = frame(v, "Close", w.getvalue())
        return fr, bo + off

    @both("length_mismatch/window_update_missing_last_field", "length_mismatch")
    def _(v, bad):
        w = W(v).int32(5).int32(10)
        off = w.pos
        if not bad:
            w.int32(4096)
        fr, bo = frame(v, "WindowUpdate", w.getvalue())
        return fr, bo + off

    @both("length_mismatch/heartbeat_value_cut", "length_mismatch")
    def _(v, bad):
        full = vbody(v, "Heartbeat", heartbeat("ping", U64_MAX))
        fr, bo = frame(v, "Heartbeat", full[:5] if bad else full)
        return fr, bo + 1

    @both("length_mismatch/route_alias_cut", "length_mismatch")
    def _(v, bad):
        # v1: kind 0 then 2 of the 4 alias bytes; v2: route varint cut after 2 bytes
        full = vbody(v, "BinaryData", data(ch(300_000), b""))
        cut = full[:3]
        fr, bo = frame(v, "BinaryData", cut if bad else full)
        return fr, bo + (1 if v == 1 else 0)

    @both("length_mismatch/nonce_past_end", "length_mismatch")
    def _(v, bad):
        full = vbody(v, "Challenge", challenge(NONCE16))
        fr, bo = frame(v, "Challenge", full[:11] if bad else full)
        return fr, bo

    @both("length_mismatch/string_prefix_cut", "length_mismatch")
    def _(v, bad):
        full = vbody(v, "Subscribe", subscribe(9, "p" * 200))
        off = 4 if v == 1 else 1
        fr, bo = frame(v, "Subscribe", full[:off + 1] if bad else full)
        return fr, bo + off

    @both("length_mismatch/mac_past_end", "length_mismatch")
    def _(v, bad):
        w = W(v).u8(1).u8(2).u8(1).string("k")
        off = w.pos
        w.bytes8(MAC)
        full = w.u8(0).u8(0).getvalue()
        fr, bo = frame(v, "Handshake", full[:off + 20] if bad else full)
        return fr, bo + off

    @both("length_mismatch/extension_value_past_end", "length_mismatch")
    def _(v, bad):
        w = W(v)
        wv.encode_body(w, "HandshakeResponse", hs_response(v, {"status": "new"}), 0)
        pre = w.getvalue()[:-1]          # drop the extension count 0
        w2 = W(v).u8(1).u16(9)
        off = len(pre) + w2.pos
        w2.length(8 if bad else 4).raw(b"abcd")
        fr, bo = frame(v, "HandshakeResponse", pre + w2.getvalue())
        return fr, bo + off

    @both("length_mismatch/body_bounded_by_declared_length", "length_mismatch")
    def _(v, bad):
        # The first message's declared body is one byte short of its last field;
        # the next message's bytes must not be read as part of it.
        full = vbody(v, "WindowUpdate", window(1, 2, 3))
        b = full[:-1] if bad else full
        fr, bo = frame(v, "WindowUpdate", b)
        m2 = vmsg(v, "Acknowledge", {"sequence": 3})
        return fr + m2, bo + len(full) - (4 if v == 1 else 1)

    @add("length_mismatch/topic_route_past_end", 2, "length_mismatch")
    def _(bad):
        body = encode_varint((10 << 3) | 2) + b"news/x" + (b"yzw!" if not bad else b"")
        fr, bo = frame(2, "TextData", body, hl=False)
        return fr, bo

    @add("length_mismatch/acknowledge_empty_body", 2, "length_mismatch")
    def _(bad):
        fr, bo = frame(2, "Acknowledge", b"" if bad else encode_varint(5))
        return fr, bo

    @add("length_mismatch/varint_cut_at_body_end", 2, "length_mismatch")
    def _(bad):
        b = b"\x00" + (b"\xff\xff" if bad else b"\xff\x7f")
        fr, bo = frame(2, "Heartbeat", b, hl=False)
        return fr, bo + 1

    @add("length_mismatch/session_route_id_cut", 2, "length_mismatch")
    def _(bad):
        full = vbody(2, "TextData", data(sess(SID), b""))
        fr, bo = frame(2, "TextData", full[:6] if bad else full)
        return fr, bo + 1

    @add("length_mismatch/delta_checksum_cut", 1, "length_mismatch")
    def _(bad):
        full = vbody(1, "DeltaUpdate", delta(ch(5), "k", 0, b"", b""))
        fr, bo = frame(1, "DeltaUpdate", full[:-2] if bad else full)
        return fr, bo + len(full) - 4

    # ---- invalid_utf8 ----------------------------------------------------
    @both("invalid_utf8/bind_topic_overlong", "invalid_utf8")
    def _(v, bad):
        w = W(v)
        if v == 1:
            w.u8(1).u32(7)
        else:
            w.varint((7 << 3) | 1)
        t = b"ab" + (b"\xc0\xaf" if bad else b"\x2f\x2f") + b"cd"
        w.length(len(t))
        off = w.pos + 2
        w.raw(t).raw(b"msg")
        fr, bo = frame(v, "TextData", w.getvalue())
        return fr, bo + off

    @both("invalid_utf8/topic_route_surrogate", "invalid_utf8")
    def _(v, bad):
        t = b"x/" + (b"\xed\xa0\x80" if bad else b"\xed\x9f\xbf")
        w = W(v)
        if v == 1:
            w.u8(2).u16(len(t))
        else:
            w.varint((len(t) << 3) | 2)
        off = w.pos + 2
        w.raw(t).raw(b"ok")
        fr, bo = frame(v, "TextData", w.getvalue())
        return fr, bo + off

    @both("invalid_utf8/close_reason_surrogate", "invalid_utf8")
    def _(v, bad):
        w = W(v).u16(1011).int32(0).int32(0)
        r = b"ok " + (b"\xed\xbf\xbf" if bad else b"\xee\x80\x80")
        w.length(len(r))
        off = w.pos + 3
        w.raw(r)
        fr, bo = frame(v, "Close", w.getvalue())
        return fr, bo + off

    @both("invalid_utf8/text_payload_truncated_sequence_at_end", "invalid_utf8")
    def _(v, bad):
        w = W(v)
        wv._enc_route(w, ch(5))
        off = w.pos + 2
        w.raw(b"hi" + (b"\xe2\x82" if bad else b"\xe2\x82\xac"))
        fr, bo = frame(v, "TextData", w.getvalue(), hl=(v == 1))
        return fr, bo + off

    @both("invalid_utf8/text_payload_truncated_sequence_mid", "invalid_utf8")
    def _(v, bad):
        w = W(v)
        wv._enc_route(w, ch(5))
        off = w.pos + 1
        w.raw(b"A" + (b"\xf0\x9f\x9a" if bad else b"\xf0\x9f\x9a\x80") + b"B")
        fr, bo = frame(v, "TextData", w.getvalue(), ACK, seq=3)
        return fr, bo + off

    @both("invalid_utf8/text_payload_above_u10ffff", "invalid_utf8")
    def _(v, bad):
        w = W(v)
        wv._enc_route(w, topic("t"))
        off = w.pos
        w.raw(b"\xf4\x90\x80\x80" if bad else b"\xf4\x8f\xbf\xbf")
        fr, bo = frame(v, "TextData", w.getvalue())
        return fr, bo + off

    @both("invalid_utf8/text_payload_overlong_nul", "invalid_utf8")
    def _(v, bad):
        w = W(v)
        wv._enc_route(w, ch(2))
        off = w.pos + 3
        w.raw(b"abc" + (b"\xc0\x80" if bad else b"\xc2\x80"))
        fr, bo = frame(v, "TextData", w.getvalue())
        return fr, bo + off

    @both("invalid_utf8/text_payload_overlong_3_byte", "invalid_utf8")
    def _(v, bad):
        w = W(v)
        wv._enc_route(w, ch(2))
        off = w.pos
        w.raw(b"\xe0\x80\xaf" if bad else b"\xe0\xa0\x80")
        fr, bo = frame(v, "TextData", w.getvalue())
        return fr, bo + off

    @both("invalid_utf8/subscribe_pattern_lone_continuation", "invalid_utf8")
    def _(v, bad):
        w = W(v).int32(1)
        p = b"a/" + (b"\x80" if bad else b"*")
        w.length(len(p))
        off = w.pos + 2
        w.raw(p).u8(0)
        fr, bo = frame(v, "Subscribe", w.getvalue())
        return fr, bo + off

    @both("invalid_utf8/user_route_0xff", "invalid_utf8")
    def _(v, bad):
        u = b"bob" + (b"\xff" if bad else b"!")
        w = W(v)
        if v == 1:
            w.u8(4).u16(len(u))
        else:
            w.varint((len(u) << 3) | 4)
        off = w.pos + 3
        w.raw(u)
        fr, bo = frame(v, "BinaryData", w.getvalue())
        return fr, bo + off

    @both("invalid_utf8/hmac_key_id", "invalid_utf8")
    def _(v, bad):
        w = W(v).u8(1).u8(2).u8(1)
        k = b"key-" + (b"\xc3\x28" if bad else b"\xc3\xa9")
        w.length(len(k))
        off = w.pos + 4
        w.raw(k).bytes8(MAC).u8(0).u8(0)
        fr, bo = frame(v, "Handshake", w.getvalue())
        return fr, bo + off

    @both("invalid_utf8/jwt_token", "invalid_utf8")
    def _(v, bad):
        w = W(v).u8(1).u8(2).u8(2)
        t = JWT.encode()[:20] + (b"\xfe" if bad else b"x") + JWT.encode()[20:]
        w.length(len(t))
        off = w.pos + 20
        w.raw(t).u8(0).u8(0)
        fr, bo = frame(v, "Handshake", w.getvalue())
        return fr, bo + off

    @both("invalid_utf8/error_message", "invalid_utf8")
    def _(v, bad):
        w = W(v).u16(7).u8(1).int32(3)
        msg = b"\xe4\xb8\xad" + (b"\xe4\xb8" if bad else b"\xe4\xb8\xad") + b"!"
        w.length(len(msg))
        off = w.pos + 3
        w.raw(msg)
        fr, bo = frame(v, "Error", w.getvalue())
        return fr, bo + off

    @both("invalid_utf8/delta_key", "invalid_utf8")
    def _(v, bad):
        w = W(v)
        wv._enc_route(w, ch(5))
        k = b"\xf8\x88\x80\x80\x80" if bad else b"\xf0\x90\x80\x80!"
        w.length(len(k))
        off = w.pos
        w.raw(k).int32(0).u32(0)
        fr, bo = frame(v, "DeltaUpdate", w.getvalue())
        return fr, bo + off

    # ---- trailing_bytes --------------------------------------------------
    @both("trailing_bytes/heartbeat", "trailing_bytes")
    def _(v, bad):
        b = hb_body(v)
        fr, bo = frame(v, "Heartbeat", b + (b"\x00" if bad else b""))
        return fr, bo + len(b)

    @both("trailing_bytes/acknowledge", "trailing_bytes")
    def _(v, bad):
        b = vbody(v, "Acknowledge", {"sequence": 5})
        fr, bo = frame(v, "Acknowledge", b + (b"\x00\x01" if bad else b""))
        m2 = vmsg(v, "Acknowledge", {"sequence": 6})
        return fr + m2, bo + len(b)

    @both("trailing_bytes/acknowledge_last_message", "trailing_bytes")
    def _(v, bad):
        m1 = vmsg(v, "Acknowledge", {"sequence": 5})
        b = vbody(v, "Acknowledge", {"sequence": 6})
        fr, bo = frame(v, "Acknowledge", b + (b"\x06" if bad else b""), hl=False)
        return m1 + fr, len(m1) + bo + len(b)

    @both("trailing_bytes/handshake_after_extensions", "trailing_bytes")
    def _(v, bad):
        b = vbody(v, "Handshake", handshake(hmac_auth("k", MAC), None, [(1, b"x")]))
        fr, bo = frame(v, "Handshake", b + (b"\x00" if bad else b""))
        return fr, bo + len(b)

    @both("trailing_bytes/challenge", "trailing_bytes")
    def _(v, bad):
        b = vbody(v, "Challenge", challenge(NONCE16))
        fr, bo = frame(v, "Challenge", b + (b"\xff\xff\xff" if bad else b""))
        return fr, bo + len(b)

    @both("trailing_bytes/subscribe_recover_fields_without_recover", "trailing_bytes")
    def _(v, bad):
        b = vbody(v, "Subscribe", subscribe(1, "a"))
        extra = W(v).int64(1).int64(2).getvalue() if bad else b""
        fr, bo = frame(v, "Subscribe", b + extra)
        return fr, bo + len(b)

    @both("trailing_bytes/window_update", "trailing_bytes")
    def _(v, bad):
        b = vbody(v, "WindowUpdate", window(1, 2, 3))
        fr, bo = frame(v, "WindowUpdate", b + (b"\x04" if bad else b""))
        return fr, bo + len(b)

    @both("trailing_bytes/handshake_response_failed", "trailing_bytes")
    def _(v, bad):
        b = vbody(v, "HandshakeResponse", hs_response(v, {"status": "failed", "reason": "expired"}))
        fr, bo = frame(v, "HandshakeResponse", b + (b"\x00" if bad else b""))
        return fr, bo + len(b)

    # ---- flag_not_allowed ------------------------------------------------
    def flag_case(v, type_, body, good_flags, bad_flags, bad, seq=None, extra=0):
        b = vbody(v, type_, body, good_flags)
        f = bad_flags if bad else good_flags
        if v == 1:
            return h1(TYPE_CODES[type_], len(b), f | extra, seq=seq or 0) + b, 3
        return h2(ct(type_), f, seq=seq, length=len(b)) + b, 0

    both("flag_not_allowed/delta_on_text_data", "flag_not_allowed")(
        lambda v, bad: flag_case(v, "TextData", data(ch(5), "x"), 0, wv.DELTA, bad))
    both("flag_not_allowed/delta_on_binary_data", "flag_not_allowed")(
        lambda v, bad: flag_case(v, "BinaryData", data(ch(5), b"x"), wv.COMPRESSED,
                                 wv.COMPRESSED | wv.DELTA, bad))
    both("flag_not_allowed/compressed_on_heartbeat", "flag_not_allowed")(
        lambda v, bad: flag_case(v, "Heartbeat", heartbeat("ping", 1), 0, wv.COMPRESSED, bad))
    both("flag_not_allowed/encrypted_on_close", "flag_not_allowed")(
        lambda v, bad: flag_case(v, "Close", close(1000), 0, wv.ENCRYPTED, bad))
    both("flag_not_allowed/delta_on_subscribe", "flag_not_allowed")(
        lambda v, bad: flag_case(v, "Subscribe", subscribe(1, "a"), 0, wv.DELTA, bad))

    @both("flag_not_allowed/ack_on_acknowledge", "flag_not_allowed")
    def _(v, bad):
        # v1: sequence 5 so the header is otherwise consistent with ACK_REQUESTED;
        # v2: implicit sequence (no HAS_SEQUENCE).
        b = vbody(v, "Acknowledge", {"sequence": 4})
        if v == 1:
            return h1(0x0203, len(b), ACK if bad else 0, seq=5 if bad else 0) + b, 3
        return h2(0x83, ACK if bad else 0, length=len(b)) + b, 0

    @add("flag_not_allowed/ack_on_handshake_with_sequence", 2, "flag_not_allowed")
    def _(bad):
        b = vbody(2, "Handshake", handshake(jwt_auth(JWT)))
        if bad:
            return h2(0x01, ACK, seq=1, length=len(b)) + b, 0
        return h2(0x01, length=len(b)) + b, 0

    for bit in (0x10, 0x20, 0x40, 0x80):
        def fn(bad, bit=bit):
            b = vbody(1, "TextData", data(ch(5), "x"))
            return h1(0x0101, len(b), bit if bad else 0) + b, 3
        add(f"flag_not_allowed/reserved_bit_0x{bit:02x}", 1, "flag_not_allowed")(fn)

    @add("flag_not_allowed/reserved_bit_on_reliable_data", 1, "flag_not_allowed")
    def _(bad):
        b = vbody(1, "BinaryData", data(ch(5), b"x"))
        return h1(0x0102, len(b), ACK | (0x40 if bad else 0), seq=9) + b, 3

    @add("flag_not_allowed/has_sequence_without_ack", 2, "flag_not_allowed")
    def _(bad):
        b = vbody(2, "TextData", data(ch(5), "x"))
        return h2(0x41, 0 if bad else ACK, seq=12, length=len(b)) + b, 0

    @add("flag_not_allowed/has_sequence_without_ack_on_control", 2, "flag_not_allowed")
    def _(bad):
        b = hb_body(2)
        return h2(0x03, seq=12 if bad else None) + b, 0

    @add("flag_not_allowed/has_sequence_with_compressed_no_ack", 2, "flag_not_allowed")
    def _(bad):
        b = vbody(2, "BinaryData", data(ch(5), b"\x00"))
        return h2(0x42, wv.COMPRESSED | (0 if bad else ACK), seq=2, length=len(b)) + b, 0

    @add("flag_not_allowed/second_message", 2, "flag_not_allowed")
    def _(bad):
        m1 = vmsg(2, "Acknowledge", {"sequence": 1})
        b = hb_body(2)
        return m1 + h2(0x03, wv.ENCRYPTED if bad else 0) + b, len(m1)

    # ---- invalid_varint (v2 only: v1 has no varints) -----------------------
    def ack_raw(bad, bad_v, good_v):
        fr, bo = frame(2, "Acknowledge", bad_v if bad else good_v)
        return fr, bo

    add("invalid_varint/non_minimal_80_00", 2, "invalid_varint")(
        lambda bad: ack_raw(bad, b"\x80\x00", b"\x00"))
    add("invalid_varint/non_minimal_ff_00", 2, "invalid_varint")(
        lambda bad: ack_raw(bad, b"\xff\x00", b"\x7f"))
    add("invalid_varint/non_minimal_5_bytes", 2, "invalid_varint")(
        lambda bad: ack_raw(bad, b"\x81\x80\x80\x80\x00", b"\x01"))
    add("invalid_varint/u32_field_2_to_32", 2, "invalid_varint")(
        lambda bad: ack_raw(bad, encode_varint(2 ** 32), encode_varint(U32_MAX)))
    add("invalid_varint/u32_field_u64max", 2, "invalid_varint")(
        lambda bad: ack_raw(bad, encode_varint(U64_MAX), encode_varint(U32_MAX)))

    @add("invalid_varint/11_bytes", 2, "invalid_varint")
    def _(bad):
        b = b"\x00" + (b"\xff" * 10 + b"\x01" if bad else b"\xff" * 9 + b"\x01")
        fr, bo = frame(2, "Heartbeat", b)
        return fr, bo + 1

    @add("invalid_varint/11_bytes_zero_value", 2, "invalid_varint")
    def _(bad):
        b = b"\x01" + (b"\x80" * 10 + b"\x00" if bad else b"\x00")
        fr, bo = frame(2, "Heartbeat", b, hl=False)
        return fr, bo + 1

    @add("invalid_varint/above_u64_max", 2, "invalid_varint")
    def _(bad):
        b = b"\x00" + b"\xff" * 9 + (b"\x02" if bad else b"\x01")
        fr, bo = frame(2, "Heartbeat", b)
        return fr, bo + 1

    @add("invalid_varint/10_bytes_last_zero", 2, "invalid_varint")
    def _(bad):
        b = b"\x00" + (b"\xff" * 9 + b"\x00" if bad else b"\xff" * 8 + b"\x7f")
        fr, bo = frame(2, "Heartbeat", b)
        return fr, bo + 1

    @add("invalid_varint/window_update_bytes_above_u32", 2, "invalid_varint")
    def _(bad):
        w = W(2).int32(5).int32(1)
        off = w.pos
        w.varint(2 ** 35 if bad else 2 ** 31)
        fr, bo = frame(2, "WindowUpdate", w.getvalue())
        return fr, bo + off

    @add("invalid_varint/header_sequence_non_minimal", 2, "invalid_varint")
    def _(bad):
        b = vbody(2, "TextData", data(ch(5), "x"))
        return h2(0x41, ACK, seq=b"\x81\x00" if bad else b"\x01", length=len(b)) + b, 2

    @add("invalid_varint/header_sequence_above_u32", 2, "invalid_varint")
    def _(bad):
        b = vbody(2, "TextData", data(ch(5), "x"))
        return h2(0x41, ACK, sid=SID, seq=2 ** 32 if bad else U32_MAX, length=len(b)) + b, 10

    @add("invalid_varint/header_timestamp_11_bytes", 2, "invalid_varint")
    def _(bad):
        b = hb_body(2)
        return h2(0x03, ts=(b"\x80" * 10 + b"\x01") if bad else U64_MAX) + b, 2

    @add("invalid_varint/body_length_non_minimal", 2, "invalid_varint")
    def _(bad):
        b = hb_body(2)
        return h2(0x03, length=(bytes([len(b) | 0x80, 0x00]) if bad else len(b))) + b, 2

    @add("invalid_varint/string_length_non_minimal", 2, "invalid_varint")
    def _(bad):
        w = W(2).u16(1000).int32(0).int32(0)
        off = w.pos
        w.raw(b"\x83\x00" if bad else b"\x03").raw(b"bye")
        fr, bo = frame(2, "Close", w.getvalue())
        return fr, bo + off

    @add("invalid_varint/route_non_minimal", 2, "invalid_varint")
    def _(bad):
        fr, bo = frame(2, "TextData", (b"\xa8\x00" if bad else b"\x28") + b"hi")
        return fr, bo

    @add("invalid_varint/route_alias_above_u32", 2, "invalid_varint")
    def _(bad):
        r = ((2 ** 32 if bad else U32_MAX) << 3) | 0
        fr, bo = frame(2, "TextData", encode_varint(r) + b"hi")
        return fr, bo

    @add("invalid_varint/extension_value_length_non_minimal", 2, "invalid_varint")
    def _(bad):
        pre = vbody(2, "Handshake", handshake(jwt_auth(JWT)))[:-1]
        w = W(2).u8(1).u16(3)
        off = len(pre) + w.pos
        w.raw(b"\x82\x00" if bad else b"\x02").raw(b"ok")
        fr, bo = frame(2, "Handshake", pre + w.getvalue())
        return fr, bo + off

    # ---- invalid_value ---------------------------------------------------
    @both("invalid_value/route_kind_5", "invalid_value")
    def _(v, bad):
        good = vbody(v, "TextData", data(ch(5), "x"))
        if v == 1:
            b = (b"\x05" + good[1:]) if bad else good
        else:
            b = (bytes([(5 << 3) | 5]) + good[1:]) if bad else good
        fr, bo = frame(v, "TextData", b)
        return fr, bo

    @both("invalid_value/route_kind_7", "invalid_value")
    def _(v, bad):
        good = vbody(v, "BinaryData", data(ch(9), b"x"))
        b = bytearray(good)
        if bad:
            b[0] = 7 if v == 1 else (9 << 3) | 7
        fr, bo = frame(v, "BinaryData", bytes(b))
        return fr, bo

    @both("invalid_value/channel_alias_0", "invalid_value")
    def _(v, bad):
        if v == 1:
            b = W(1).u8(0).u32(0 if bad else 1).raw(b"x").getvalue()
            off = 1
        else:
            b = (b"\x00" if bad else b"\x08") + b"x"
            off = 0
        fr, bo = frame(v, "TextData", b)
        return fr, bo + off

    @both("invalid_value/bind_alias_0", "invalid_value")
    def _(v, bad):
        if v == 1:
            b = W(1).u8(1).u32(0 if bad else 3).string("t").raw(b"x").getvalue()
            off = 1
        else:
            b = W(2).varint(((0 if bad else 3) << 3) | 1).string("t").raw(b"x").getvalue()
            off = 0
        fr, bo = frame(v, "TextData", b)
        return fr, bo + off

    @both("invalid_value/delta_alias_0", "invalid_value")
    def _(v, bad):
        good = vbody(v, "DeltaUpdate", delta(ch(1), "k", 0, b"", b""))
        b = bytearray(good)
        if bad:
            if v == 1:
                b[4] = 0
            else:
                b[0] = 0
        fr, bo = frame(v, "DeltaUpdate", bytes(b))
        return fr, bo + (1 if v == 1 else 0)

    @add("invalid_value/session_route_n_1", 2, "invalid_value")
    def _(bad):
        good = vbody(2, "TextData", data(sess(SID), "x"))
        b = bytearray(good)
        if bad:
            b[0] = (1 << 3) | 3
        fr, bo = frame(2, "TextData", bytes(b))
        return fr, bo

    @add("invalid_value/session_route_n_8", 2, "invalid_value")
    def _(bad):
        good = vbody(2, "BinaryData", data(sess(SID), b""))
        b = W(2).varint((8 << 3) | 3 if bad else 3).getvalue() + good[1:]
        fr, bo = frame(2, "BinaryData", b)
        return fr, bo

    def hsr_status(v, bad, bad_tail):
        pre = vbody(v, "HandshakeResponse", hs_response(v, {"status": "new"}))[:-2]
        tail = bad_tail if bad else b"\x00\x00"
        fr, bo = frame(v, "HandshakeResponse", pre + tail)
        return fr, bo + len(pre)

    both("invalid_value/resume_status_3", "invalid_value")(
        lambda v, bad: hsr_status(v, bad, b"\x03\x00"))
    both("invalid_value/resume_status_255", "invalid_value")(
        lambda v, bad: hsr_status(v, bad, b"\xff\x00"))

    @both("invalid_value/failure_reason_0", "invalid_value")
    def _(v, bad):
        pre = vbody(v, "HandshakeResponse", hs_response(v, {"status": "new"}))[:-2]
        fr, bo = frame(v, "HandshakeResponse", pre + (b"\x02\x00\x00" if bad else b"\x02\x01\x00"))
        return fr, bo + len(pre) + 1

    @both("invalid_value/failure_reason_5", "invalid_value")
    def _(v, bad):
        pre = vbody(v, "HandshakeResponse", hs_response(v, {"status": "new"}))[:-2]
        fr, bo = frame(v, "HandshakeResponse", pre + (b"\x02\x05\x00" if bad else b"\x02\x04\x00"))
        return fr, bo + len(pre) + 1

    @both("invalid_value/handshake_response_session_id_0", "invalid_value")
    def _(v, bad):
        b = bytearray(vbody(v, "HandshakeResponse", hs_response(v, {"status": "new"})))
        if bad:
            b[1:9] = bytes(8)
        fr, bo = frame(v, "HandshakeResponse", bytes(b))
        return fr, bo + 1

    def hs_with_mac(v, mac_len, bad, bad_len):
        w = W(v).u8(1).u8(2).u8(1).string("k")
        off = w.pos
        w.bytes8(rnd("m", bad_len if bad else mac_len)).u8(0).u8(0)
        fr, bo = frame(v, "Handshake", w.getvalue())
        return fr, bo + off

    both("invalid_value/mac_length_31", "invalid_value")(lambda v, bad: hs_with_mac(v, 32, bad, 31))
    both("invalid_value/mac_length_33", "invalid_value")(lambda v, bad: hs_with_mac(v, 32, bad, 33))
    both("invalid_value/mac_length_0", "invalid_value")(lambda v, bad: hs_with_mac(v, 32, bad, 0))

    def ch_with_nonce(v, bad, n):
        b = W(v).bytes8(rnd("n", n if bad else 16)).u8(1).u8(2).u8(3).int32(1000).getvalue()
        fr, bo = frame(v, "Challenge", b)
        return fr, bo

    both("invalid_value/nonce_length_15", "invalid_value")(lambda v, bad: ch_with_nonce(v, bad, 15))
    both("invalid_value/nonce_length_0", "invalid_value")(lambda v, bad: ch_with_nonce(v, bad, 0))

    @both("invalid_value/challenge_min_version_above_max", "invalid_value")
    def _(v, bad):
        b = W(v).bytes8(NONCE16).u8(2).u8(1 if bad else 2).u8(3).int32(1000).getvalue()
        fr, bo = frame(v, "Challenge", b)
        return fr, bo + 18

    @both("invalid_value/challenge_auth_methods_0", "invalid_value")
    def _(v, bad):
        b = W(v).bytes8(NONCE16).u8(1).u8(2).u8(0 if bad else 1).int32(1000).getvalue()
        fr, bo = frame(v, "Challenge", b)
        return fr, bo + 19

    @both("invalid_value/challenge_auth_methods_bit_2", "invalid_value")
    def _(v, bad):
        b = W(v).bytes8(NONCE16).u8(1).u8(2).u8(7 if bad else 3).int32(1000).getvalue()
        fr, bo = frame(v, "Challenge", b)
        return fr, bo + 19

    @both("invalid_value/handshake_min_version_above_max", "invalid_value")
    def _(v, bad):
        b = bytearray(vbody(v, "Handshake", handshake(jwt_auth(JWT), mn=2, mx=2)))
        if bad:
            b[0] = 3
        fr, bo = frame(v, "Handshake", bytes(b))
        return fr, bo + 1

    @both("invalid_value/auth_method_3", "invalid_value")
    def _(v, bad):
        b = bytearray(vbody(v, "Handshake", handshake(jwt_auth(JWT))))
        if bad:
            b[2] = 3
        fr, bo = frame(v, "Handshake", bytes(b))
        return fr, bo + 2

    @both("invalid_value/auth_method_0", "invalid_value")
    def _(v, bad):
        b = bytearray(vbody(v, "Handshake", handshake(jwt_auth(JWT))))
        if bad:
            b[2] = 0
        fr, bo = frame(v, "Handshake", bytes(b))
        return fr, bo + 2

    @both("invalid_value/has_resume_2", "invalid_value")
    def _(v, bad):
        good = vbody(v, "Handshake", handshake(jwt_auth("t"), resume(SID, b"tok", 3)))
        b = bytearray(good)
        off = 3 + (2 if v == 1 else 1) + 1
        assert b[off] == 1
        if bad:
            b[off] = 2
        fr, bo = frame(v, "Handshake", bytes(b))
        return fr, bo + off

    @both("invalid_value/heartbeat_kind_2", "invalid_value")
    def _(v, bad):
        b = bytearray(hb_body(v))
        if bad:
            b[0] = 2
        fr, bo = frame(v, "Heartbeat", bytes(b))
        return fr, bo

    @both("invalid_value/error_ref_kind_4", "invalid_value")
    def _(v, bad):
        b = bytearray(vbody(v, "Error", error(9, "channel", 5, "x")))
        if bad:
            b[2] = 4
        fr, bo = frame(v, "Error", bytes(b))
        return fr, bo + 2

    @both("invalid_value/error_ref_nonzero_with_ref_kind_none", "invalid_value")
    def _(v, bad):
        b = W(v).u16(9).u8(0).int32(5 if bad else 0).string("x").getvalue()
        fr, bo = frame(v, "Error", b)
        return fr, bo + 3

    @both("invalid_value/delta_base_sequence_without_delta", "invalid_value")
    def _(v, bad):
        w = W(v)
        wv._enc_route(w, ch(5))
        w.string("k")
        off = w.pos
        w.int32(17).u32(0)
        b = w.getvalue()
        f = 0 if bad else wv.DELTA
        if v == 1:
            fr = h1(0x0103, len(b), f) + b
            return fr, 30 + off
        h = h2(0x43, f, length=len(b))
        return h + b, len(h) + off

    @both("invalid_value/subscribe_recover_2", "invalid_value")
    def _(v, bad):
        w = W(v).int32(1).string("a/b")
        off = w.pos
        w.u8(2 if bad else 1).int64(1).int64(2)
        fr, bo = frame(v, "Subscribe", w.getvalue())
        return fr, bo + off

    @both("invalid_value/subscribe_result_recovery_3", "invalid_value")
    def _(v, bad):
        b = bytearray(vbody(v, "SubscribeResult", sub_result(1, 5, 1, 2, "failed")))
        if bad:
            b[-1] = 3
        fr, bo = frame(v, "SubscribeResult", bytes(b))
        return fr, bo + len(b) - 1

    @both("invalid_value/subscribe_result_channel_0", "invalid_value")
    def _(v, bad):
        w = W(v).int32(1)
        off = w.pos
        w.int32(0 if bad else 5).int64(1).int64(2).u8(0)
        fr, bo = frame(v, "SubscribeResult", w.getvalue())
        return fr, bo + off

    @both("invalid_value/unsubscribe_channel_0", "invalid_value")
    def _(v, bad):
        w = W(v).int32(1)
        off = w.pos
        w.int32(0 if bad else 5)
        fr, bo = frame(v, "Unsubscribe", w.getvalue())
        return fr, bo + off

    @both("invalid_value/extension_count_17", "invalid_value")
    def _(v, bad):
        pre = vbody(v, "Handshake", handshake(jwt_auth(JWT)))[:-1]
        n = 17 if bad else 16
        w = W(v).u8(n)
        for i in range(n):
            w.u16(i).bytes_(b"")
        fr, bo = frame(v, "Handshake", pre + w.getvalue())
        return fr, bo + len(pre)

    @add("invalid_value/sequence_nonzero_without_ack", 1, "invalid_value")
    def _(bad):
        b = vbody(1, "TextData", data(ch(5), "x"))
        return h1(0x0101, len(b), 0, seq=7 if bad else 0) + b, 14

    @add("invalid_value/sequence_nonzero_on_control", 1, "invalid_value")
    def _(bad):
        b = hb_body(1)
        return h1(0x0003, len(b), 0, seq=1 if bad else 0) + b, 14

    @add("invalid_value/reliable_sequence_0", 1, "invalid_value")
    def _(bad):
        b = vbody(1, "TextData", data(ch(5), "x"))
        return h1(0x0101, len(b), ACK, seq=0 if bad else 1) + b, 14

    @add("invalid_value/explicit_sequence_0", 2, "invalid_value")
    def _(bad):
        b = vbody(2, "TextData", data(ch(5), "x"))
        return h2(0x41, ACK, seq=0 if bad else 1, length=len(b)) + b, 2

    @add("invalid_value/explicit_sequence_0_after_session", 2, "invalid_value")
    def _(bad):
        b = vbody(2, "BinaryData", data(ch(5), b"x"))
        return h2(0x42, ACK, sid=SID, seq=0 if bad else 1, ts=TS) + b, 10

    # ---- field_too_long ----------------------------------------------------
    @both("field_too_long/topic_route_257", "field_too_long")
    def _(v, bad):
        t = b"t" * (257 if bad else 256)
        w = W(v)
        if v == 1:
            w.u8(2)
            off = w.pos
            w.u16(len(t))
        else:
            off = w.pos
            w.varint((len(t) << 3) | 2)
        w.raw(t).raw(b"x")
        fr, bo = frame(v, "TextData", w.getvalue())
        return fr, bo + off

    @both("field_too_long/bind_topic_257", "field_too_long")
    def _(v, bad):
        w = W(v)
        if v == 1:
            w.u8(1).u32(4)
        else:
            w.varint((4 << 3) | 1)
        off = w.pos
        w.string(b"b" * (257 if bad else 256)).raw(b"x")
        fr, bo = frame(v, "BinaryData", w.getvalue())
        return fr, bo + off

    @both("field_too_long/user_id_129", "field_too_long")
    def _(v, bad):
        u = b"u" * (129 if bad else 128)
        w = W(v)
        if v == 1:
            w.u8(4)
            off = w.pos
            w.u16(len(u))
        else:
            off = w.pos
            w.varint((len(u) << 3) | 4)
        w.raw(u)
        fr, bo = frame(v, "TextData", w.getvalue())
        return fr, bo + off

    @both("field_too_long/nonce_65", "field_too_long")
    def _(v, bad):
        b = W(v).bytes8(rnd("n", 65 if bad else 64)).u8(1).u8(2).u8(3).int32(1000).getvalue()
        fr, bo = frame(v, "Challenge", b)
        return fr, bo

    @both("field_too_long/nonce_255", "field_too_long")
    def _(v, bad):
        b = W(v).bytes8(rnd("n", 255 if bad else 64)).u8(1).u8(2).u8(3).int32(1000).getvalue()
        fr, bo = frame(v, "Challenge", b)
        return fr, bo

    @both("field_too_long/mac_65", "field_too_long")
    def _(v, bad):
        return hs_with_mac(v, 32, bad, 65)

    @both("field_too_long/key_id_129", "field_too_long")
    def _(v, bad):
        w = W(v).u8(1).u8(2).u8(1)
        off = w.pos
        w.string("k" * (129 if bad else 128)).bytes8(MAC).u8(0).u8(0)
        fr, bo = frame(v, "Handshake", w.getvalue())
        return fr, bo + off

    @both("field_too_long/jwt_8193", "field_too_long")
    def _(v, bad):
        w = W(v).u8(1).u8(2).u8(2)
        off = w.pos
        w.string("j" * (8193 if bad else 8192)).u8(0).u8(0)
        fr, bo = frame(v, "Handshake", w.getvalue())
        return fr, bo + off

    @both("field_too_long/resume_token_513", "field_too_long")
    def _(v, bad):
        w = W(v).u8(1).u8(2).u8(2).string("t").u8(1).u64(SID)
        off = w.pos
        w.bytes_(rnd("rt", 513 if bad else 512)).int32(0).u8(0)
        fr, bo = frame(v, "Handshake", w.getvalue())
        return fr, bo + off

    @both("field_too_long/extension_value_1025", "field_too_long")
    def _(v, bad):
        pre = vbody(v, "HandshakeResponse", hs_response(v, {"status": "new"}))[:-1]
        w = W(v).u8(1).u16(5)
        off = len(pre) + w.pos
        w.bytes_(bytes(1025 if bad else 1024))
        fr, bo = frame(v, "HandshakeResponse", pre + w.getvalue())
        return fr, bo + off

    @both("field_too_long/close_reason_124", "field_too_long")
    def _(v, bad):
        w = W(v).u16(1000).int32(0).int32(0)
        off = w.pos
        w.string("r" * (124 if bad else 123))
        fr, bo = frame(v, "Close", w.getvalue())
        return fr, bo + off

    @both("field_too_long/close_reason_124_bytes_62_chars", "field_too_long")
    def _(v, bad):
        # limits are in bytes, not characters
        w = W(v).u16(1001).int32(0).int32(0)
        off = w.pos
        w.string("é" * 62 if bad else "é" * 61 + "!")
        fr, bo = frame(v, "Close", w.getvalue())
        return fr, bo + off

    @both("field_too_long/error_message_257", "field_too_long")
    def _(v, bad):
        w = W(v).u16(1).u8(0).int32(0)
        off = w.pos
        w.string("m" * (257 if bad else 256))
        fr, bo = frame(v, "Error", w.getvalue())
        return fr, bo + off

    @both("field_too_long/delta_key_257", "field_too_long")
    def _(v, bad):
        w = W(v)
        wv._enc_route(w, ch(5))
        off = w.pos
        w.string("k" * (257 if bad else 256)).int32(0).u32(0)
        fr, bo = frame(v, "DeltaUpdate", w.getvalue())
        return fr, bo + off

    @both("field_too_long/subscribe_pattern_257", "field_too_long")
    def _(v, bad):
        w = W(v).int32(1)
        off = w.pos
        w.string("p" * (257 if bad else 256)).u8(0)
        fr, bo = frame(v, "Subscribe", w.getvalue())
        return fr, bo + off

    # ---- too_many_messages / empty_frame -----------------------------------
    lim2 = {"max_messages_per_frame": 2}

    @both("too_many_messages/3_over_2", "too_many_messages", lim2)
    def _(v, bad):
        ms = [vmsg(v, "Acknowledge", {"sequence": i}) for i in (1, 2, 3)]
        if not bad:
            ms = ms[:2]
        return b"".join(ms), len(ms[0]) + len(ms[1])

    @add("too_many_messages/2_over_1", 2, "too_many_messages", {"max_messages_per_frame": 1})
    def _(bad):
        m1 = vmsg(2, "Heartbeat", heartbeat("ping", 1))
        m2 = vmsg(2, "TextData", data(ch(5), "x"), hl=False)
        return m1 + (m2 if bad else b""), len(m1)

    @both("empty_frame", "empty_frame", twin=False)
    def _(v, bad):
        return b"", 0

    # ---- check order (two defects on purpose: the spec fixes which wins) ---
    @add("order/payload_too_large_before_truncated_payload", 1, "payload_too_large", twin=False)
    def _(bad):
        return h1(0x0102, U32_MAX) + b"\x00\x00\x00\x00\x05", 26

    @add("order/payload_too_large_before_truncated_payload", 2, "payload_too_large", twin=False)
    def _(bad):
        return h2(0x42, length=2 ** 32) + b"\x08", 2

    @add("order/bad_magic_before_version", 1, "bad_magic", twin=False)
    def _(bad):
        b = vbody(1, "Acknowledge", {"sequence": 1})
        return h1(0x0203, len(b), magic=0x1234, ver=9) + b, 0

    @add("order/reserved_flag_bit_before_unknown_type", 1, "flag_not_allowed", twin=False)
    def _(bad):
        b = vbody(1, "Acknowledge", {"sequence": 1})
        return h1(0x0105, len(b), 0x10) + b, 3

    @add("order/unknown_type_before_flags_on_type", 1, "unknown_message_type", twin=False)
    def _(bad):
        b = vbody(1, "Acknowledge", {"sequence": 1})
        return h1(0x0300, len(b), wv.DELTA) + b, 4

    @add("order/flags_on_type_before_sequence_rule", 1, "flag_not_allowed", twin=False)
    def _(bad):
        b = hb_body(1)
        return h1(0x0003, len(b), ACK, seq=0) + b, 3

    @add("order/unknown_compact_type_before_flags", 2, "unknown_message_type", twin=False)
    def _(bad):
        return h2(0xC1, wv.DELTA) + b"\x28x", 1

    @add("order/has_sequence_check_before_header_fields", 2, "flag_not_allowed", twin=False)
    def _(bad):
        return bytes([wv.HAS_SEQUENCE | wv.HAS_LENGTH, 0x41]), 0

    @add("order/field_too_long_before_length_mismatch", 2, "field_too_long", twin=False)
    def _(bad):
        w = W(2).u16(1000).int32(0).int32(0)
        off = w.pos
        w.varint(200).raw(b"bye")
        fr, bo = frame(2, "Close", w.getvalue())
        return fr, bo + off

    @add("order/too_many_messages_before_decoding_extra", 2, "too_many_messages", lim2, twin=False)
    def _(bad):
        m = vmsg(2, "Acknowledge", {"sequence": 1})
        return m + m + b"\xff", 2 * len(m)

    @add("order/earlier_message_error_wins", 1, "trailing_bytes", twin=False)
    def _(bad):
        b = vbody(1, "Acknowledge", {"sequence": 1}) + b"\x00"
        return h1(0x0203, len(b)) + b + b"\xc0", 34

    return inv


# ---------------------------------------------------------------------------
# Assembly and self-check
# ---------------------------------------------------------------------------

class CheckFailed(Exception):
    pass


def _decode(hexstr, version, limits):
    lim = dict(DEFAULTS, **(limits or {}))
    return wv.decode_frame(bytes.fromhex(hexstr), version,
                           lim["max_message_bytes"], lim["max_messages_per_frame"])


def build_valid():
    specs = []
    for v in (1, 2):
        specs += [(f"v{v}/{n}", v, ms) for n, ms in valid_common(v)]
    specs += [(f"v1/{n}", 1, ms) for n, ms in valid_v1_only()]
    specs += [(f"v2/{n}", 2, ms) for n, ms in valid_v2_only()]
    for slug, _title, per_version, _prose in examples():
        for v, ms in per_version.items():
            specs.append((f"v{v}/example/{slug}", v, ms))
    out = []
    for name, v, msgs in specs:
        # normalise through JSON so the comparison sees what the file holds
        msgs = json.loads(json.dumps(msgs))
        raw = wv.encode_frame(msgs, v)
        try:
            dec = wv.decode_frame(raw, v)
        except WireError as e:
            raise CheckFailed(f"{name}: own encoding does not decode: {e}")
        if dec != msgs:
            raise CheckFailed(f"{name}: decoded messages differ:\n{dec}\n!=\n{msgs}")
        if wv.encode_frame(dec, v) != raw:
            raise CheckFailed(f"{name}: re-encoding differs")
        out.append({"name": name, "version": v, "hex": raw.hex(), "messages": dec})
    return out


def build_invalid():
    out = []
    for iv in invalid_vectors():
        raw, offset = iv.build(True)
        entry = {"name": iv.name, "version": iv.version, "hex": raw.hex(),
                 "error": iv.error, "offset": offset}
        if iv.limits:
            entry["limits"] = dict(iv.limits)
        try:
            _decode(entry["hex"], iv.version, iv.limits)
        except WireError as e:
            if (e.error, e.offset) != (iv.error, offset):
                raise CheckFailed(f"{iv.name}: expected {iv.error}@{offset}, decoder says "
                                  f"{e.error}@{e.offset} ({e.detail})")
        else:
            raise CheckFailed(f"{iv.name}: decoded without error")
        if iv.twin:
            good, _ = iv.build(False)
            if good == raw:
                raise CheckFailed(f"{iv.name}: good twin is identical to the bad input")
            try:
                msgs = _decode(good.hex(), iv.version, iv.limits)
            except WireError as e:
                raise CheckFailed(f"{iv.name}: good twin fails: {e}")
            if wv.encode_frame(msgs, iv.version) != good:
                raise CheckFailed(f"{iv.name}: good twin does not re-encode identically")
        out.append(entry)
    return out


def check_coverage(valid, invalid):
    names = [x["name"] for x in valid + invalid]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise CheckFailed(f"duplicate vector names: {sorted(dup)}")
    for v in (1, 2):
        msgs = [m for x in valid if x["version"] == v for m in x["messages"]]
        types = {m["type"] for m in msgs}
        if types != set(TYPE_CODES):
            raise CheckFailed(f"v{v}: types not covered: {set(TYPE_CODES) - types}")
        kinds = {m["body"]["route"]["kind"] for m in msgs if "route" in m["body"]}
        if kinds != set(wv.ROUTE_KINDS):
            raise CheckFailed(f"v{v}: route kinds not covered: {set(wv.ROUTE_KINDS) - kinds}")
        flags = {f for m in msgs for f in m["flags"]}
        if flags != set(wv.FLAG_NAMES):
            raise CheckFailed(f"v{v}: flags not covered")
        statuses = {m["body"]["resume"]["status"] for m in msgs if m["type"] == "HandshakeResponse"}
        if statuses != set(wv.RESUME_STATUSES):
            raise CheckFailed(f"v{v}: resume statuses not covered")
        errors = {x["error"] for x in invalid if x["version"] == v}
        # v1 has no varints; v2 has no magic or version byte
        expected = set(wv.ERROR_IDS) - ({"bad_magic", "unsupported_version"}
                                        if v == 2 else {"invalid_varint"})
        if not expected <= errors:
            raise CheckFailed(f"v{v}: error ids not covered: {expected - errors}")
    v2 = [m for x in valid if x["version"] == 2 for m in x["messages"]]
    for key in ("session_id", "sequence", "timestamp"):
        if not any(key in m for m in v2) or all(key in m for m in v2):
            raise CheckFailed(f"v2: {key} not covered both present and absent")
    if {m["has_length"] for m in v2} != {True, False}:
        raise CheckFailed("v2: has_length not covered both ways")


def build_document():
    valid = build_valid()
    invalid = build_invalid()
    check_coverage(valid, invalid)
    doc = {
        "format": 1,
        "description": (
            "Courier wire test vectors (docs/PROTOCOL.md sections 2-8). Each valid vector is "
            "one WebSocket message (one or more Courier messages back to back) that MUST "
            "decode to exactly the listed messages and re-encode to the same bytes. Each "
            "invalid vector MUST be rejected with the listed error id at the listed byte "
            "offset (from the start of the WebSocket message), using the default limits "
            "unless the vector gives a 'limits' override. Generated by scripts/gen_vectors.py "
            "from an independent Python implementation (scripts/wirevectors.py); see "
            "Tests/Vectors/README.md."),
        "defaults": dict(DEFAULTS),
        "valid": valid,
        "invalid": invalid,
    }
    return doc


def render_json(doc) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------------------
# Worked examples (markdown)
# ---------------------------------------------------------------------------

def _spaced(b: bytes) -> str:
    return " ".join(f"{x:02x}" for x in b)


def _value_cell(field, b, value):
    if value is not None:
        s = str(value)
    elif "payload" in field:
        try:
            text = b.decode("utf-8")
            s = json.dumps(text, ensure_ascii=False) if text.isprintable() else f"{len(b)} bytes"
        except UnicodeDecodeError:
            s = f"{len(b)} bytes"
    else:
        s = f"{len(b)} bytes"
    return s.replace("|", "\\|")


def _hexdump(raw: bytes) -> str:
    lines = []
    for i in range(0, len(raw), 16):
        lines.append(f"{i:04x}  {_spaced(raw[i:i + 16])}")
    return "\n".join(lines)


def render_examples() -> str:
    out = []
    out.append("# Courier protocol: worked examples (normative appendix to PROTOCOL.md)\n")
    out.append(
        "Every example below is also a valid test vector in `Tests/Vectors/wire-vectors.json` "
        "(named `v1/example/…` and `v2/example/…`), and this section is generated from the "
        "same code by `scripts/gen_vectors.py`, so the bytes are checked, not hand-written. "
        "Offsets are from the start of the WebSocket message; multi-byte fixed integers are "
        "big-endian and varints are minimal LEB128 (§2). Offsets in the hex dumps are "
        "hexadecimal, offsets in the tables decimal. Session id "
        f"`0x{EX_SID:016x}` is {EX_SID}; timestamp {TS} µs is 2023-11-14T22:13:20Z.\n")
    for n, (slug, title, per_version, prose) in enumerate(examples(), 1):
        out.append(f"### Example {n}: {title}\n")
        sizes = {f"len{v}": len(wv.encode_frame(json.loads(json.dumps(ms)), v))
                 for v, ms in per_version.items()}
        out.append(prose.format(**sizes) + "\n")
        for v, msgs in per_version.items():
            trace = []
            raw = wv.encode_frame(json.loads(json.dumps(msgs)), v, trace)
            assert wv.decode_frame(raw, v) == json.loads(json.dumps(msgs))
            out.append(f"**Version {v}** ({len(raw)} bytes, vector `v{v}/example/{slug}`):\n")
            out.append("```\n" + _hexdump(raw) + "\n```\n")
            multi = len(msgs) > 1
            out.append("| offset | bytes | field | value |")
            out.append("|---:|---|---|---|")
            for off, b, field, value, idx in trace:
                label = f"msg {idx + 1}: {field}" if multi else field
                out.append(f"| {off} | `{_spaced(b)}` | {label} | {_value_cell(field, b, value)} |")
            out.append("")
    return "\n".join(out).rstrip() + "\n"


# ---------------------------------------------------------------------------

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true",
                    help="do not write; fail if the committed files differ from the generated ones")
    a = ap.parse_args(argv)
    try:
        doc = build_document()
    except CheckFailed as e:
        print(f"self-check FAILED: {e}", file=sys.stderr)
        return 1
    outputs = {VECTORS_PATH: render_json(doc), EXAMPLES_PATH: render_examples()}
    # reload the JSON text we are about to write and re-verify it end to end
    reread = json.loads(outputs[VECTORS_PATH])
    for x in reread["valid"]:
        assert _decode(x["hex"], x["version"], None) == x["messages"], x["name"]
        assert wv.encode_frame(x["messages"], x["version"]).hex() == x["hex"], x["name"]
    for x in reread["invalid"]:
        try:
            _decode(x["hex"], x["version"], x.get("limits"))
            raise AssertionError(x["name"])
        except WireError as e:
            assert (e.error, e.offset) == (x["error"], x["offset"]), x["name"]
    status = 0
    for path, text in outputs.items():
        rel = os.path.relpath(path, ROOT)
        if a.check:
            try:
                with open(path, encoding="utf-8") as f:
                    same = f.read() == text
            except FileNotFoundError:
                same = False
            print(f"{rel}: {'up to date' if same else 'OUT OF DATE'}")
            status |= 0 if same else 1
        else:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8", newline="\n") as f:
                f.write(text)
            print(f"wrote {rel}")
    nv, ni = len(doc["valid"]), len(doc["invalid"])
    by_err = {}
    for x in doc["invalid"]:
        by_err[x["error"]] = by_err.get(x["error"], 0) + 1
    print(f"{nv} valid vectors ({sum(1 for x in doc['valid'] if x['version'] == 1)} v1, "
          f"{sum(1 for x in doc['valid'] if x['version'] == 2)} v2), "
          f"{ni} invalid vectors ({sum(1 for x in doc['invalid'] if x['version'] == 1)} v1, "
          f"{sum(1 for x in doc['invalid'] if x['version'] == 2)} v2); all self-checks passed")
    print("invalid by error: " + ", ".join(f"{k} {v}" for k, v in sorted(by_err.items())))
    return status


if __name__ == "__main__":
    sys.exit(main())
