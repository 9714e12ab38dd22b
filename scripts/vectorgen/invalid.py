"""All invalid vectors, in file order, from the invalid_* section modules."""

from __future__ import annotations

from . import invalid_body, invalid_framing, invalid_header, invalid_limits, invalid_values
from .builders import Registry

MODULES = (invalid_framing, invalid_body, invalid_header, invalid_values, invalid_limits)


def invalid_vectors():
    """[Inv], each with ``build(bad) -> (bytes, offset)``."""
    reg = Registry()
    for module in MODULES:
        for section in module.SECTIONS:
            section(reg.add, reg.both)
    return reg.vectors
