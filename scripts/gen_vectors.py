#!/usr/bin/env python3
"""Generate and self-check the Courier wire test vectors.

    python3 scripts/gen_vectors.py            # write Tests/Vectors/wire-vectors.json
                                              # and docs/PROTOCOL-EXAMPLES.md
    python3 scripts/gen_vectors.py --check    # verify both files are up to date

Thin entry point: the generator lives in the ``vectorgen`` package next to this
file (scripts/vectorgen/; see its docstring for the module layout) and uses the
independent encoder/decoder in scripts/courierwire/ (scripts/wirevectors.py).

Deterministic: no randomness, no clock.  "Random-looking" bytes come from
SHA-256 of fixed labels.  Standard library only.

Self-checks (any failure aborts without writing):
* every valid vector decodes (scripts/wirevectors.py) to exactly its listed
  messages, and those messages re-encode to the same hex;
* every invalid vector fails with exactly the listed error and offset (the
  offset is computed by the builder from the layout, not taken from the
  decoder);
* most invalid vectors have a "good twin": the same construction with the one
  defect removed, which must decode cleanly and re-encode to the same bytes.
  This is what shows the invalid input has exactly one defect;
* coverage: every message type in both versions, every error id, every route
  kind, every header-presence bit.
"""

import os
import sys

sys.dont_write_bytecode = True   # keep scripts/ free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vectorgen.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
