"""Command line of scripts/wirevectors.py: ``decode`` and ``encode`` subcommands."""

from __future__ import annotations

import argparse
import json
import sys

from .constants import DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_MAX_MESSAGES_PER_FRAME
from .errors import WireError
from .frame_decode import decode_frame
from .frame_encode import encode_frame

DESCRIPTION = "Independent Python implementation of the Courier wire encoding."


def _main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=DESCRIPTION)
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("decode", help="decode a hex frame to JSON messages")
    d.add_argument("--version", "-v", type=int, choices=(1, 2), required=True)
    d.add_argument("--max-message-bytes", type=int, default=DEFAULT_MAX_MESSAGE_BYTES)
    d.add_argument("--max-messages-per-frame", type=int, default=DEFAULT_MAX_MESSAGES_PER_FRAME)
    d.add_argument("hex")
    e = sub.add_parser("encode", help="encode a JSON list of messages to a hex frame")
    e.add_argument("--version", "-v", type=int, choices=(1, 2), required=True)
    e.add_argument("json", help="JSON list of messages ('-' for stdin)")
    a = ap.parse_args(argv)
    if a.cmd == "decode":
        try:
            msgs = decode_frame(bytes.fromhex(a.hex), a.version,
                                a.max_message_bytes, a.max_messages_per_frame)
        except WireError as err:
            print(json.dumps({"error": err.error, "offset": err.offset, "detail": err.detail}))
            return 1
        print(json.dumps(msgs, indent=2, ensure_ascii=False))
    else:
        text = sys.stdin.read() if a.json == "-" else a.json
        msgs = json.loads(text)
        if isinstance(msgs, dict):
            msgs = [msgs]
        print(encode_frame(msgs, a.version).hex())
    return 0
