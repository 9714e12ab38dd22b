#!/usr/bin/env python3
"""Independent Python implementation of the Courier wire encoding.

Thin entry point: the implementation lives in the ``courierwire`` package next
to this file (scripts/courierwire/; see its docstring for the module layout).
This module re-exports its API so ``import wirevectors`` keeps working
(Fuzz/differential.py).  Standard library only.

Public API
----------
encode_message(msg, version, trace=None) -> bytes
encode_frame(messages, version, trace=None) -> bytes
decode_message(data, pos, version, max_message_bytes=...) -> (msg, next_pos)
decode_frame(data, version, max_message_bytes=..., max_messages_per_frame=...) -> [msg]
WireError(error, offset)   -- ``error`` is the §8 id, ``offset`` from frame start

Command line (handy when comparing with the Swift implementation)::

    python3 scripts/wirevectors.py decode --version 2 84412841...
    python3 scripts/wirevectors.py encode --version 1 '[{"type": ...}]'
"""

import os
import sys

sys.dont_write_bytecode = True   # keep scripts/ free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from courierwire import *  # noqa: E402,F401,F403  (the public API, __all__)
from courierwire import __all__  # noqa: E402,F401
from courierwire.constants import *  # noqa: E402,F401,F403  (MAGIC, HAS_*, limits, ...)
from courierwire.errors import ERROR_IDS  # noqa: E402,F401
from courierwire.primitives import Reader  # noqa: E402,F401
from courierwire.cli import _main  # noqa: E402

if __name__ == "__main__":
    sys.exit(_main())
