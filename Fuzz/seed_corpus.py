#!/usr/bin/env python3
"""Seeds the libFuzzer corpus from the shared test vectors.

Every vector (valid and invalid) becomes one corpus file: a selector byte (see
Fuzz/README.md) followed by the vector's bytes. Files are named by the SHA-1 of their
contents, as libFuzzer names its own, so seeding again is a no-op.

usage: seed_corpus.py VECTORS_JSON CORPUS_DIR
"""
import hashlib
import json
import os
import sys

PER_FRAME_BITS = {1024: 0, 2: 1, 1: 2, 16: 3}


def selector(vector, defaults):
    limits = dict(defaults)
    limits.update(vector.get("limits", {}))
    value = 0 if vector["version"] == 1 else 1
    if limits["max_message_bytes"] == 64:
        value |= 0x02
    elif limits["max_message_bytes"] != 1048576:
        return None  # not expressible with the selector byte
    bits = PER_FRAME_BITS.get(limits["max_messages_per_frame"])
    if bits is None:
        return None
    return value | bits << 2


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    vectors_path, corpus = sys.argv[1], sys.argv[2]
    with open(vectors_path, encoding="utf-8") as f:
        suite = json.load(f)
    os.makedirs(corpus, exist_ok=True)
    written = skipped = 0
    for vector in suite["valid"] + suite["invalid"]:
        sel = selector(vector, suite["defaults"])
        if sel is None:
            skipped += 1
            continue
        data = bytes([sel]) + bytes.fromhex(vector["hex"])
        path = os.path.join(corpus, hashlib.sha1(data).hexdigest())
        if not os.path.exists(path):
            with open(path, "wb") as out:
                out.write(data)
            written += 1
    total = len(suite["valid"]) + len(suite["invalid"])
    print(f"seed: {total} vectors, {written} new corpus files, {skipped} skipped (limits not expressible)")


if __name__ == "__main__":
    main()
