"""Generator of Tests/Vectors/wire-vectors.json and docs/PROTOCOL-EXAMPLES.md.

Entry point: scripts/gen_vectors.py (``--check`` to verify instead of writing).
Needs scripts/ on sys.path (for ``courierwire``, the independent encoder/decoder).

Modules
-------
common           paths, defaults, deterministic bytes, message-dict builders
valid            valid vectors (both versions, v1 only, v2 only)
examples         worked examples and their markdown rendering
builders         raw byte builders for invalid input, Inv and Registry
invalid_framing  truncated_header, truncated_payload, bad_magic, unsupported_version,
                 unknown_message_type, payload_too_large
invalid_body     length_mismatch, invalid_utf8, trailing_bytes
invalid_header   flag_not_allowed, invalid_varint
invalid_values   invalid_value
invalid_limits   field_too_long, too_many_messages, empty_frame, check order
invalid          all invalid vectors in order
checks           document assembly and self-checks
cli              main(): write or --check the generated files
"""
