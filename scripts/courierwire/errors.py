"""§8 decoding error ids and the exception that carries them."""

ERROR_IDS = (
    "truncated_header", "truncated_payload", "bad_magic", "unsupported_version",
    "unknown_message_type", "payload_too_large", "length_mismatch", "invalid_utf8",
    "trailing_bytes", "flag_not_allowed", "invalid_varint", "invalid_value",
    "field_too_long", "too_many_messages", "empty_frame",
)


class WireError(Exception):
    """A §8 decoding error: ``error`` is the id, ``offset`` is from frame start."""

    def __init__(self, error: str, offset: int, detail: str = ""):
        assert error in ERROR_IDS, error
        self.error = error
        self.offset = offset
        self.detail = detail
        super().__init__(f"{error} at offset {offset}" + (f" ({detail})" if detail else ""))
