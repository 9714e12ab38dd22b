"""Invalid vectors: invalid_value (field values outside their §7 ranges)."""

from __future__ import annotations

import courierwire as wv

from .builders import ACK, frame, h1, h2, hb_body, hs_with_mac, vbody, W
from .common import (
    ch, data, delta, error, handshake, hs_response, jwt_auth, resume, rnd, sess, SID,
    sub_result, TS,
)
from .valid import JWT, NONCE16


def invalid_value(add, both):
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

    @both("invalid_value/delta_version_0_with_delta", "invalid_value")
    def _(v, bad):
        w = W(v)
        wv._enc_route(w, ch(5))
        w.string("k")
        off = w.pos
        w.int32(0 if bad else 17).u32(0)
        b = w.getvalue()
        f = wv.DELTA
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


SECTIONS = (invalid_value,)
