"""Invalid vectors: flag_not_allowed and invalid_varint (v2 only)."""

from __future__ import annotations

import courierwire as wv
from courierwire import encode_varint, TYPE_CODES, U32_MAX, U64_MAX

from .builders import ACK, ct, frame, h1, h2, hb_body, vbody, vmsg, W
from .common import ch, close, data, handshake, heartbeat, jwt_auth, SID, subscribe
from .valid import JWT


def flag_not_allowed(add, both):
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


def invalid_varint(add, both):
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


SECTIONS = (flag_not_allowed, invalid_varint)
