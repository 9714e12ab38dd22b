"""Invalid vectors: body field errors (length_mismatch, invalid_utf8, trailing_bytes)."""

from __future__ import annotations

import courierwire as wv
from courierwire import encode_varint, U64_MAX

from .builders import ACK, frame, hb_body, vbody, vmsg, W
from .common import (
    ch, challenge, data, delta, handshake, heartbeat, hmac_auth, hs_response, sess, SID,
    subscribe, topic, window,
)
from .valid import JWT, MAC, NONCE16


def length_mismatch(add, both):
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


def invalid_utf8(add, both):
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


def trailing_bytes(add, both):
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


SECTIONS = (length_mismatch, invalid_utf8, trailing_bytes)
