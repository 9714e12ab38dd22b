"""Worked examples (also valid vectors "vN/example/...") and their markdown rendering
(docs/PROTOCOL-EXAMPLES.md)."""

from __future__ import annotations

import hashlib
import hmac
import json

import courierwire as wv

from .common import (
    TS, M, bind, ch, challenge, close, data, handshake, hmac_auth,
    hs_response, rnd,
)


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
