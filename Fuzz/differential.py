#!/usr/bin/env python3
"""Differential check of the fuzz corpus: Swift decoder vs the Python reference.

Every file of the corpus (selector byte + frame, see Fuzz/README.md) is decoded by the
independent Python decoder (scripts/wirevectors.py); its result becomes a test vector
(valid: the decoded messages; invalid: the error and offset) in a vector file, which
`courier inspect --vectors` then checks against the Swift decoder. A FAIL line is a
disagreement: one of the two decoders is wrong (docs/PROTOCOL.md decides which).

usage: Fuzz/differential.py [--corpus DIR] [--courier PATH] [--out FILE]
Exit status: that of `courier inspect --vectors` (non-zero when any input disagrees).
"""
import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
sys.dont_write_bytecode = True  # no scripts/__pycache__
import wirevectors  # noqa: E402

PER_FRAME = {0: 1024, 1: 2, 2: 1, 3: 16}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default=os.path.join(ROOT, "Fuzz", "corpus"))
    parser.add_argument("--courier", help="courier binary (default: build it with swift build --product courier)")
    parser.add_argument("--out", default=os.path.join(ROOT, "Fuzz", ".build", "corpus-vectors.json"))
    args = parser.parse_args()

    valid, invalid = [], []
    for name in sorted(os.listdir(args.corpus)):
        with open(os.path.join(args.corpus, name), "rb") as f:
            data = f.read()
        if not data:
            continue
        selector, frame = data[0], data[1:]
        version = 2 if selector & 1 else 1
        limits = {"max_message_bytes": 64 if selector & 2 else 1048576,
                  "max_messages_per_frame": PER_FRAME[(selector >> 2) & 3]}
        entry = {"name": name, "version": version, "hex": frame.hex(), "limits": limits}
        try:
            entry["messages"] = wirevectors.decode_frame(frame, version, limits["max_message_bytes"], limits["max_messages_per_frame"])
            valid.append(entry)
        except wirevectors.WireError as e:
            entry["error"], entry["offset"] = e.error, e.offset
            invalid.append(entry)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump({"format": 1, "description": "fuzz corpus decoded by scripts/wirevectors.py",
                   "defaults": {"max_message_bytes": 1048576, "max_messages_per_frame": 1024},
                   "valid": valid, "invalid": invalid}, f)
    print(f"differential: {len(valid)} decodable and {len(invalid)} invalid inputs written to {args.out}", flush=True)

    courier = args.courier
    if courier is None:
        subprocess.run(["swift", "build", "--package-path", ROOT, "--product", "courier"], check=True)
        bin_path = subprocess.run(["swift", "build", "--package-path", ROOT, "--show-bin-path"],
                                  check=True, capture_output=True, text=True).stdout.strip()
        courier = os.path.join(bin_path, "courier")
    result = subprocess.run([courier, "inspect", "--vectors", args.out], capture_output=True, text=True)
    for line in (result.stdout + result.stderr).splitlines():
        if not line.startswith("ok "):
            print(line)
    sys.exit(result.returncode)


if __name__ == "__main__":
    main()
