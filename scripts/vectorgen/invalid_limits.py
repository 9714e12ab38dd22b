"""Invalid vectors: field_too_long, too_many_messages, empty_frame, and check order."""

from __future__ import annotations

import courierwire as wv
from courierwire import U32_MAX

from .builders import ACK, frame, h1, h2, hb_body, hs_with_mac, vbody, vmsg, W
from .common import ch, data, heartbeat, hs_response, rnd, SID
from .valid import MAC


lim2 = {"max_messages_per_frame": 2}


def field_too_long(add, both):
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


def too_many_messages_and_empty_frame(add, both):
    # ---- too_many_messages / empty_frame -----------------------------------

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


def check_order(add, both):
    """Two defects on purpose: the spec fixes which one is reported."""
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


SECTIONS = (field_too_long, too_many_messages_and_empty_frame, check_order)
