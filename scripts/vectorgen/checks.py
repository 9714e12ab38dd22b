"""Assembly of the vector document and its self-checks."""

from __future__ import annotations

import json

import courierwire as wv
from courierwire import TYPE_CODES, WireError

from .common import DEFAULTS
from .examples import examples
from .invalid import invalid_vectors
from .valid import valid_common, valid_v1_only, valid_v2_only


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
