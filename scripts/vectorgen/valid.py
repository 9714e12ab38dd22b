"""Valid vectors: (name suffix, [messages]) lists for both versions and each alone."""

from __future__ import annotations

from courierwire import U32_MAX, U64_MAX

from .common import (
    bind, ch, challenge, close, data, delta, error, handshake, heartbeat, hmac_auth,
    hs_response, jwt_auth, M, resume, rnd, sess, SID, sub_result, subscribe, topic, TS,
    user, window,
)


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
        hmac_auth("clé-🔑", MAC), None, [(1, bytes.fromhex("03010000000700000001")), (0xFFFF, b"")], 2, 2)))
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
    add("delta_update/delta_version_1_topic", M(v, "DeltaUpdate", delta(
        topic("cfg"), "k", 1, b"v", b"v"), flags=["delta"]))
    add("delta_update/full_value_versioned", M(v, "DeltaUpdate", delta(ch(5), "AAPL", 7, full, full)))
    # Subscribe / Unsubscribe / Acknowledge / SubscribeResult
    add("subscribe/no_recover", M(v, "Subscribe", subscribe(1, "news/*")))
    add("subscribe/recover", M(v, "Subscribe", subscribe(2, "prices/AAPL", (3, 1_000))))
    add("subscribe/recover_u64max_non_ascii", M(v, "Subscribe", subscribe(
        U32_MAX, "météo/#", (U64_MAX, U64_MAX))))
    add("snapshot_request/basic", M(v, "SnapshotRequest", {"request_id": 9, "topic": "prices/AAPL", "key": "AAPL"}))
    add("snapshot_request/empty_key_non_ascii", M(v, "SnapshotRequest", {"request_id": U32_MAX, "topic": "météo/paris", "key": ""}))
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
