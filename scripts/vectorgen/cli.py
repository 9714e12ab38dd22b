"""Command line of scripts/gen_vectors.py: write the files, or ``--check`` them."""

from __future__ import annotations

import argparse
import json
import os
import sys

import courierwire as wv
from courierwire import WireError

from .checks import CheckFailed, _decode, build_document, render_json
from .common import EXAMPLES_PATH, ROOT, VECTORS_PATH
from .examples import render_examples

DESCRIPTION = "Generate and self-check the Courier wire test vectors."


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=DESCRIPTION)
    ap.add_argument("--check", action="store_true",
                    help="do not write; fail if the committed files differ from the generated ones")
    a = ap.parse_args(argv)
    try:
        doc = build_document()
    except CheckFailed as e:
        print(f"self-check FAILED: {e}", file=sys.stderr)
        return 1
    outputs = {VECTORS_PATH: render_json(doc), EXAMPLES_PATH: render_examples()}
    # reload the JSON text we are about to write and re-verify it end to end
    reread = json.loads(outputs[VECTORS_PATH])
    for x in reread["valid"]:
        assert _decode(x["hex"], x["version"], None) == x["messages"], x["name"]
        assert wv.encode_frame(x["messages"], x["version"]).hex() == x["hex"], x["name"]
    for x in reread["invalid"]:
        try:
            _decode(x["hex"], x["version"], x.get("limits"))
            raise AssertionError(x["name"])
        except WireError as e:
            assert (e.error, e.offset) == (x["error"], x["offset"]), x["name"]
    status = 0
    for path, text in outputs.items():
        rel = os.path.relpath(path, ROOT)
        if a.check:
            try:
                with open(path, encoding="utf-8") as f:
                    same = f.read() == text
            except FileNotFoundError:
                same = False
            print(f"{rel}: {'up to date' if same else 'OUT OF DATE'}")
            status |= 0 if same else 1
        else:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8", newline="\n") as f:
                f.write(text)
            print(f"wrote {rel}")
    nv, ni = len(doc["valid"]), len(doc["invalid"])
    by_err = {}
    for x in doc["invalid"]:
        by_err[x["error"]] = by_err.get(x["error"], 0) + 1
    print(f"{nv} valid vectors ({sum(1 for x in doc['valid'] if x['version'] == 1)} v1, "
          f"{sum(1 for x in doc['valid'] if x['version'] == 2)} v2), "
          f"{ni} invalid vectors ({sum(1 for x in doc['invalid'] if x['version'] == 1)} v1, "
          f"{sum(1 for x in doc['invalid'] if x['version'] == 2)} v2); all self-checks passed")
    print("invalid by error: " + ", ".join(f"{k} {v}" for k, v in sorted(by_err.items())))
    return status
