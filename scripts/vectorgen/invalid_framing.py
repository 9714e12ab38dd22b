"""Invalid vectors: framing and header errors (truncation, magic, version, type, size)."""

from __future__ import annotations

from courierwire import TYPE_CODES

from .builders import ACK, ct, h1, h2, hb_body, vbody, vmsg
from .common import ch, data, heartbeat, SID, TS


def truncated_header(add, both):
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


def truncated_payload(add, both):
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


def bad_magic_and_unsupported_version(add, both):
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


def unknown_message_type(add, both):
    # ---- unknown_message_type --------------------------------------------
    for code, good_type in ((0x0105, "TextData"), (0x0300, "Acknowledge"), (0x0000, "Acknowledge"),
                            (0x0008, "Acknowledge"), (0x0104, "TextData"), (0x0206, "Acknowledge"),
                            (0x0141, "TextData"), (0xFFFF, "Acknowledge")):
        def fn(bad, code=code, good_type=good_type):
            body = (vbody(1, "TextData", data(ch(5), "x")) if good_type == "TextData"
                    else vbody(1, "Acknowledge", {"sequence": 1}))
            return h1(code if bad else TYPE_CODES[good_type], len(body)) + body, 4
        add(f"unknown_message_type/0x{code:04x}", 1, "unknown_message_type")(fn)

    for compact, good_type in ((0xC1, "TextData"), (0x45, "TextData"), (0x00, "Acknowledge"),
                               (0x08, "Acknowledge"), (0x86, "Acknowledge"), (0x3F, "Acknowledge"),
                               (0xC3, "Acknowledge"), (0xFF, "Acknowledge")):
        def fn(bad, compact=compact, good_type=good_type):
            body = (vbody(2, "TextData", data(ch(5), "x")) if good_type == "TextData"
                    else vbody(2, "Acknowledge", {"sequence": 1}))
            return h2(compact if bad else ct(good_type), length=len(body)) + body, 1
        add(f"unknown_message_type/compact_0x{compact:02x}", 2, "unknown_message_type")(fn)


def payload_too_large(add, both):
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


SECTIONS = (truncated_header, truncated_payload, bad_magic_and_unsupported_version,
            unknown_message_type, payload_too_large)
